/**
 * The ARI `applications` resource (rest-api/api-docs/applications.json, res/ari/resource_applications.c).
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path, str } from './params';

export function applicationRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'applications',
      method: 'GET',
      path: '/applications',
      nickname: 'list',
      summary: 'All applications.',
      responseClass: 'List[Application]',
      handle: () => ast.applicationList(),
    },
    {
      resource: 'applications',
      method: 'GET',
      path: '/applications/{applicationName}',
      nickname: 'get',
      summary: 'Details of an application, with the channels it is subscribed to.',
      responseClass: 'Application',
      params: [path('applicationName', "Application's name.")],
      errors: [{ code: 404, reason: 'Application does not exist.' }],
      handle: (a) => ast.applicationJson(a.req('applicationName')),
    },
    {
      resource: 'applications',
      method: 'POST',
      path: '/applications/{applicationName}/subscription',
      nickname: 'subscribe',
      summary: 'Subscribes an application to event sources.',
      responseClass: 'Application',
      params: [path('applicationName', "Application's name."), str('eventSource', 'Event sources (channel:<id>, bridge:<id>, endpoint:<tech>/<resource>, deviceState:<name>).', { required: true, multiple: true })],
      errors: [
        { code: 400, reason: 'Missing parameter.' },
        { code: 404, reason: 'Application does not exist.' },
        { code: 422, reason: 'Event source does not exist.' },
      ],
      handle: (a) => ast.subscribe(a.req('applicationName'), a.list('eventSource'), true),
    },
    {
      resource: 'applications',
      method: 'DELETE',
      path: '/applications/{applicationName}/subscription',
      nickname: 'unsubscribe',
      summary: 'Unsubscribes an application from event sources.',
      responseClass: 'Application',
      params: [path('applicationName', "Application's name."), str('eventSource', 'Event sources.', { required: true, multiple: true })],
      errors: [
        { code: 400, reason: 'Missing parameter; event source scheme not recognized.' },
        { code: 404, reason: 'Application does not exist.' },
        { code: 409, reason: 'Application not subscribed to event source.' },
        { code: 422, reason: 'Event source does not exist.' },
      ],
      handle: (a) => ast.subscribe(a.req('applicationName'), a.list('eventSource'), false),
    },
  ];
}
