/**
 * The ARI `events` resource (rest-api/api-docs/events.json, res/ari/resource_events.c): the
 * events WebSocket and user events.
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path, str, variables, variablesOf } from './params';

export function eventRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'events',
      method: 'GET',
      path: '/events',
      nickname: 'eventWebsocket',
      summary: 'WebSocket that carries the events of the applications named in app.',
      responseClass: 'Message',
      websocket: true,
      params: [
        str('app', 'Applications to subscribe to.', { required: true, multiple: true }),
        { name: 'subscribeAll', in: 'query', type: 'boolean', description: 'Receive events of every channel, bridge and endpoint (default false).' },
      ],
    },
    {
      resource: 'events',
      method: 'POST',
      path: '/events/user/{eventName}',
      nickname: 'userEvent',
      summary: 'Sends a user event to an application.',
      responseClass: 'void',
      params: [
        path('eventName', 'Event name.'),
        str('application', 'Application that receives the event.', { required: true }),
        str('source', 'Event sources (channel:<id>, bridge:<id>).', { multiple: true }),
        variables,
      ],
      errors: [
        { code: 404, reason: 'Application does not exist.' },
        { code: 422, reason: 'Event source not found.' },
        { code: 400, reason: 'Invalid event source URI or user event data.' },
      ],
      handle: (a) => ast.userEvent(a.req('eventName'), a.str('application'), a.list('source'), variablesOf(a)),
    },
  ];
}
