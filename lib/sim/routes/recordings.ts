/**
 * The ARI `recordings` resource (rest-api/api-docs/recordings.json, res/ari/resource_recordings.c):
 * stored and live recordings.
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { path, str } from './params';
import { Binary } from './responses';

export function recordingRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'recordings',
      method: 'GET',
      path: '/recordings/stored',
      nickname: 'listStored',
      summary: 'All stored recordings.',
      responseClass: 'List[StoredRecording]',
      handle: () => ast.storedRecordings(),
    },
    {
      resource: 'recordings',
      method: 'GET',
      path: '/recordings/stored/{recordingName}',
      nickname: 'getStored',
      summary: 'Details of a stored recording.',
      responseClass: 'StoredRecording',
      params: [path('recordingName', 'Recording name.')],
      errors: [{ code: 404, reason: 'Recording not found' }],
      handle: (a) => ast.storedRecording(a.req('recordingName')),
    },
    {
      resource: 'recordings',
      method: 'DELETE',
      path: '/recordings/stored/{recordingName}',
      nickname: 'deleteStored',
      summary: 'Deletes a stored recording.',
      responseClass: 'void',
      params: [path('recordingName', 'Recording name.')],
      errors: [{ code: 404, reason: 'Recording not found' }],
      handle: (a) => ast.deleteStoredRecording(a.req('recordingName')),
    },
    {
      resource: 'recordings',
      method: 'GET',
      path: '/recordings/stored/{recordingName}/file',
      nickname: 'getStoredFile',
      summary: 'The file of a stored recording.',
      responseClass: 'binary',
      params: [path('recordingName', 'Recording name.')],
      errors: [
        { code: 403, reason: 'The recording file could not be opened' },
        { code: 404, reason: 'Recording not found' },
      ],
      handle: (a) => {
        const file = ast.storedRecordingFile(a.req('recordingName'));
        return new Binary(file.body, file.contentType);
      },
    },
    {
      resource: 'recordings',
      method: 'POST',
      path: '/recordings/stored/{recordingName}/copy',
      nickname: 'copyStored',
      summary: 'Copies a stored recording.',
      responseClass: 'StoredRecording',
      params: [path('recordingName', 'Recording name.'), str('destinationRecordingName', 'Name of the copy.', { required: true })],
      errors: [
        { code: 404, reason: 'Recording not found' },
        { code: 409, reason: 'A recording with the same name already exists on the system' },
      ],
      handle: (a) => ast.copyStoredRecording(a.req('recordingName'), a.str('destinationRecordingName')),
    },
    {
      resource: 'recordings',
      method: 'GET',
      path: '/recordings/live/{recordingName}',
      nickname: 'getLive',
      summary: 'Details of a recording in progress.',
      responseClass: 'LiveRecording',
      params: [path('recordingName', 'Recording name.')],
      errors: [{ code: 404, reason: 'Recording not found' }],
      handle: (a) => ast.liveRecording(a.req('recordingName')).json(),
    },
    {
      resource: 'recordings',
      method: 'DELETE',
      path: '/recordings/live/{recordingName}',
      nickname: 'cancel',
      summary: 'Stops a recording and discards it.',
      responseClass: 'void',
      params: [path('recordingName', 'Recording name.')],
      errors: [{ code: 404, reason: 'Recording not found' }],
      handle: (a) => ast.controlRecording(a.req('recordingName'), 'cancel'),
    },
    ...(
      [
        ['POST', '/stop', 'stop', 'Stops a recording and keeps it.'],
        ['POST', '/pause', 'pause', 'Pauses a recording.'],
        ['DELETE', '/pause', 'unpause', 'Resumes a paused recording.'],
        ['POST', '/mute', 'mute', 'Records silence instead of the audio.'],
        ['DELETE', '/mute', 'unmute', 'Records the audio again.'],
      ] as const
    ).map(
      ([method, suffix, nickname, summary]): RouteSpec => ({
        resource: 'recordings',
        method,
        path: `/recordings/live/{recordingName}${suffix}`,
        nickname,
        summary,
        responseClass: 'void',
        params: [path('recordingName', 'Recording name.')],
        errors: nickname === 'stop' ? [{ code: 404, reason: 'Recording not found' }] : [{ code: 404, reason: 'Recording not found' }, { code: 409, reason: 'Recording not in session' }],
        handle: (a) => ast.controlRecording(a.req('recordingName'), nickname),
      }),
    ),
  ];
}
