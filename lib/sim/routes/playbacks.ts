/**
 * The ARI `playbacks` resource (rest-api/api-docs/playbacks.json, res/ari/resource_playbacks.c).
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path, str } from './params';

export function playbackRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'playbacks',
      method: 'GET',
      path: '/playbacks/{playbackId}',
      nickname: 'get',
      summary: 'Details of a playback.',
      responseClass: 'Playback',
      params: [path('playbackId', "Playback's id.")],
      errors: [{ code: 404, reason: 'The playback cannot be found' }],
      handle: (a) => ast.getPlayback(a.req('playbackId')),
    },
    {
      resource: 'playbacks',
      method: 'DELETE',
      path: '/playbacks/{playbackId}',
      nickname: 'stop',
      summary: 'Stops a playback.',
      responseClass: 'void',
      params: [path('playbackId', "Playback's id.")],
      errors: [{ code: 404, reason: 'The playback cannot be found' }],
      handle: (a) => ast.stopPlayback(a.req('playbackId')),
    },
    {
      resource: 'playbacks',
      method: 'POST',
      path: '/playbacks/{playbackId}/control',
      nickname: 'control',
      summary: 'Pauses, resumes, rewinds or skips a playback.',
      responseClass: 'void',
      params: [path('playbackId', "Playback's id."), str('operation', 'What to do.', { required: true, values: ['restart', 'pause', 'unpause', 'reverse', 'forward'] })],
      errors: [
        { code: 400, reason: 'The provided operation parameter was invalid' },
        { code: 404, reason: 'The playback cannot be found' },
        { code: 409, reason: "The operation cannot be performed in the playback's current state" },
      ],
      handle: (a) => ast.controlPlayback(a.req('playbackId'), a.str('operation')),
    },
  ];
}
