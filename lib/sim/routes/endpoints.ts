/**
 * The ARI `endpoints` resource (rest-api/api-docs/endpoints.json, res/ari/resource_endpoints.c).
 */
import { AriHttpError, type RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path } from './params';

export function endpointRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'endpoints',
      method: 'GET',
      path: '/endpoints',
      nickname: 'list',
      summary: 'All endpoints.',
      responseClass: 'List[Endpoint]',
      handle: () => ast.endpoints(),
    },
    {
      resource: 'endpoints',
      method: 'GET',
      path: '/endpoints/{tech}',
      nickname: 'listByTech',
      summary: 'Endpoints of one channel technology.',
      responseClass: 'List[Endpoint]',
      params: [path('tech', 'Channel technology, e.g. PJSIP.')],
      errors: [{ code: 404, reason: 'Endpoints not found' }],
      handle: (a) => ast.endpoints(a.req('tech')),
    },
    {
      resource: 'endpoints',
      method: 'GET',
      path: '/endpoints/{tech}/{resource}',
      nickname: 'get',
      summary: 'One endpoint.',
      responseClass: 'Endpoint',
      params: [path('tech', 'Channel technology, e.g. PJSIP.'), path('resource', 'Endpoint name.')],
      errors: [
        { code: 400, reason: 'Invalid parameters for sending a message.' },
        { code: 404, reason: 'Endpoints not found' },
      ],
      handle: (a) => {
        const found = ast.endpoints(a.req('tech')).find((e) => e.resource === a.req('resource'));
        if (!found) throw new AriHttpError(404, 'Endpoint not found');
        return found;
      },
    },
  ];
}
