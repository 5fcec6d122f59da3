/**
 * The ARI operations the simulated Asterisk serves: paths, nicknames,
 * parameters and error responses as Asterisk's REST API declares them, each
 * with the handler that carries it out. One file per ARI resource, as
 * Asterisk's rest-api/api-docs/<resource>.json and res/ari/resource_<resource>.c;
 * this file only puts them together, in the order of resources.json. The table
 * is also the source of the Swagger documents (swagger.ts).
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { applicationRoutes } from './applications';
import { asteriskRoutes } from './asterisk';
import { bridgeRoutes } from './bridges';
import { channelRoutes } from './channels';
import { deviceStateRoutes } from './deviceStates';
import { endpointRoutes } from './endpoints';
import { eventRoutes } from './events';
import { mailboxRoutes } from './mailboxes';
import { playbackRoutes } from './playbacks';
import { recordingRoutes } from './recordings';
import { soundRoutes } from './sounds';

export { Binary, Created } from './responses';

export function ariRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    ...asteriskRoutes(ast),
    ...endpointRoutes(ast),
    ...channelRoutes(ast),
    ...bridgeRoutes(ast),
    ...recordingRoutes(ast),
    ...soundRoutes(ast),
    ...playbackRoutes(ast),
    ...deviceStateRoutes(ast),
    ...mailboxRoutes(ast),
    ...eventRoutes(ast),
    ...applicationRoutes(ast),
  ];
}
