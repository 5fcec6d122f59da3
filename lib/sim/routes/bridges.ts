/**
 * The ARI `bridges` resource (rest-api/api-docs/bridges.json, res/ari/resource_bridges.c).
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { bool, BRIDGE, path, str } from './params';
import { mediaRoutes } from './media';

export function bridgeRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'bridges',
      method: 'GET',
      path: '/bridges',
      nickname: 'list',
      summary: 'All active bridges.',
      responseClass: 'List[Bridge]',
      handle: () => ast.bridgeList(),
    },
    {
      resource: 'bridges',
      method: 'POST',
      path: '/bridges',
      nickname: 'create',
      summary: 'Creates a bridge.',
      responseClass: 'Bridge',
      params: [str('type', 'Comma-separated bridge attributes (mixing, holding, dtmf_events, proxy_media).'), str('bridgeId', 'Id to give the bridge.'), str('name', 'Name to give the bridge.')],
      handle: (a) => {
        const p: { bridgeId?: string; type?: string; name?: string } = {};
        a.strings(p, ['bridgeId', 'type', 'name']);
        return ast.createBridge(p);
      },
    },
    {
      resource: 'bridges',
      method: 'POST',
      path: '/bridges/{bridgeId}',
      nickname: 'createWithId',
      summary: 'Creates a bridge with the id in the path.',
      responseClass: 'Bridge',
      params: [str('type', 'Comma-separated bridge attributes.'), path('bridgeId', 'Id to give the bridge.'), str('name', 'Name to give the bridge.')],
      handle: (a) => {
        const p: { bridgeId: string; type?: string; name?: string } = { bridgeId: a.req('bridgeId') };
        a.strings(p, ['type', 'name']);
        return ast.createBridge(p, true);
      },
    },
    {
      resource: 'bridges',
      method: 'GET',
      path: '/bridges/{bridgeId}',
      nickname: 'get',
      summary: 'Details of a bridge.',
      responseClass: 'Bridge',
      params: [BRIDGE],
      errors: [{ code: 404, reason: 'Bridge not found' }],
      handle: (a) => ast.getBridge(a.req('bridgeId')),
    },
    {
      resource: 'bridges',
      method: 'DELETE',
      path: '/bridges/{bridgeId}',
      nickname: 'destroy',
      summary: 'Destroys a bridge; its channels stay up.',
      responseClass: 'void',
      params: [BRIDGE],
      errors: [{ code: 404, reason: 'Bridge not found' }],
      handle: (a) => ast.destroyBridge(a.req('bridgeId')),
    },
    {
      resource: 'bridges',
      method: 'POST',
      path: '/bridges/{bridgeId}/addChannel',
      nickname: 'addChannel',
      summary: 'Adds channels to a bridge.',
      responseClass: 'void',
      params: [
        BRIDGE,
        str('channel', 'Ids of the channels to add.', { required: true, multiple: true }),
        str('role', 'Role of the channels in the bridge.'),
        bool('absorbDTMF', 'Keep DTMF from reaching the bridge.', false),
        bool('mute', 'Mute the channels in the bridge.', false),
        bool('inhibitConnectedLineUpdates', 'Do not update connected line.', false),
      ],
      errors: [
        { code: 400, reason: 'Channel not found' },
        { code: 404, reason: 'Bridge not found' },
        { code: 409, reason: 'Bridge not in Stasis application; Channel currently recording' },
        { code: 422, reason: 'Channel not in Stasis application' },
      ],
      handle: (a) => ast.addToBridge(a.req('bridgeId'), a.list('channel'), { mute: a.bool('mute') === true }),
    },
    {
      resource: 'bridges',
      method: 'POST',
      path: '/bridges/{bridgeId}/removeChannel',
      nickname: 'removeChannel',
      summary: 'Takes channels out of a bridge.',
      responseClass: 'void',
      params: [BRIDGE, str('channel', 'Ids of the channels to remove.', { required: true, multiple: true })],
      errors: [
        { code: 400, reason: 'Channel not found' },
        { code: 404, reason: 'Bridge not found' },
        { code: 409, reason: 'Bridge not in Stasis application' },
        { code: 422, reason: 'Channel not in this bridge' },
      ],
      handle: (a) => ast.removeChannels(a.req('bridgeId'), a.list('channel')),
    },
    {
      resource: 'bridges',
      method: 'POST',
      path: '/bridges/{bridgeId}/moh',
      nickname: 'startMoh',
      summary: 'Play music on hold to a bridge or change the MOH class that is playing.',
      responseClass: 'void',
      params: [BRIDGE, str('mohClass', 'Music on hold class to play (default: the default class).')],
      errors: [
        { code: 404, reason: 'Bridge not found' },
        { code: 409, reason: 'Bridge not in Stasis application' },
      ],
      handle: (a) => ast.startMoh(a.req('bridgeId'), a.str('mohClass')),
    },
    {
      resource: 'bridges',
      method: 'DELETE',
      path: '/bridges/{bridgeId}/moh',
      nickname: 'stopMoh',
      summary: 'Stop playing music on hold to a bridge.',
      responseClass: 'void',
      params: [BRIDGE],
      errors: [
        { code: 404, reason: 'Bridge not found' },
        { code: 409, reason: "Bridge not in Stasis application; Bridge isn't playing music" },
      ],
      handle: (a) => ast.stopMoh(a.req('bridgeId')),
    },
    ...mediaRoutes(
      ast,
      'bridges',
      [
        { code: 404, reason: 'Bridge not found' },
        { code: 409, reason: 'Bridge not in a Stasis application' },
      ],
      [
        { code: 400, reason: 'Invalid parameters' },
        { code: 404, reason: 'Bridge not found' },
        { code: 409, reason: 'Bridge is not in a Stasis application, or the name is in use' },
        { code: 422, reason: 'The format specified is unknown on this system' },
      ],
    ),
  ];
}
