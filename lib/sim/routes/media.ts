/**
 * play, playWithId and record: the same operations on a channel
 * (rest-api/api-docs/channels.json) and on a bridge (bridges.json).
 */
import type { Args, ErrorSpec, ParamSpec, RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { BRIDGE, CHANNEL, bool, int, path, str } from './params';
import { Created } from './responses';

const mediaParams: ParamSpec[] = [
  str('media', 'Media URIs to play, in order (sound:, recording:, number:, digits:, characters:, tone:).', { required: true, multiple: true }),
  str('lang', 'Language of the sounds, when not the channel language.'),
  int('offsetms', 'Milliseconds to skip at the start of the first media.', { min: 0, default: 0, checkedByOperation: true }),
  int('skipms', 'Milliseconds moved by reverse and forward controls.', { min: 0, default: 3000, checkedByOperation: true }),
];
const recordParams: ParamSpec[] = [
  str('name', 'Name of the recording (the file name, without extension).', { required: true }),
  str('format', 'File format, e.g. wav or gsm.', { required: true }),
  int('maxDurationSeconds', 'Longest recording, in seconds (0: no limit).', { min: 0, default: 0, checkedByOperation: true }),
  int('maxSilenceSeconds', 'Silence that ends the recording, in seconds (0: no limit).', { min: 0, default: 0, checkedByOperation: true }),
  str('ifExists', 'What to do when a recording of that name exists.', { default: 'fail', values: ['fail', 'overwrite', 'append'] }),
  bool('beep', 'Play a beep before recording.', false),
  str('terminateOn', 'DTMF key that ends the recording.', { default: 'none', values: ['none', 'any', '*', '#'] }),
];

function playArgs(a: Args, playbackId?: string): Parameters<SimulatedAsterisk['play']>[1] {
  const p: Parameters<SimulatedAsterisk['play']>[1] = { media: a.rawList('media') };
  a.strings(p, ['lang']);
  const id = playbackId ?? a.str('playbackId');
  if (id !== undefined) p.playbackId = id;
  a.ints(p, ['offsetms', 'skipms']);
  return p;
}

/** Missing name and format are read as empty, as the glue leaves them: the operation answers for them (422, 500). */
function recordArgs(a: Args): Parameters<SimulatedAsterisk['record']>[1] {
  return {
    name: a.str('name') ?? '',
    format: a.str('format') ?? '',
    maxDurationSeconds: a.int('maxDurationSeconds') ?? 0,
    maxSilenceSeconds: a.int('maxSilenceSeconds') ?? 0,
    ifExists: a.str('ifExists') ?? 'fail',
    beep: a.bool('beep') ?? false,
    terminateOn: a.str('terminateOn') ?? 'none',
  };
}

/** play, playWithId and record on a channel or on a bridge: the same operations on either target. */
export function mediaRoutes(ast: SimulatedAsterisk, resource: 'channels' | 'bridges', playErrors: ErrorSpec[], recordErrors: ErrorSpec[]): RouteSpec[] {
  const id = resource === 'channels' ? CHANNEL : BRIDGE;
  const target = (a: Args): { channelId: string } | { bridgeId: string } =>
    resource === 'channels' ? { channelId: a.req('channelId') } : { bridgeId: a.req('bridgeId') };
  const to = resource === 'channels' ? 'a channel' : 'every channel of a bridge';
  const play = (a: Args, playbackId?: string): Created => {
    const pb = ast.play(target(a), playArgs(a, playbackId));
    return new Created(pb, `/ari/playbacks/${pb.id}`);
  };
  return [
    {
      resource,
      method: 'POST',
      path: `/${resource}/{${id.name}}/play`,
      nickname: 'play',
      summary: `Plays media to ${to}.`,
      responseClass: 'Playback',
      params: [id, ...mediaParams, str('playbackId', 'Id to give the playback.')],
      errors: playErrors,
      handle: (a) => play(a),
    },
    {
      resource,
      method: 'POST',
      path: `/${resource}/{${id.name}}/play/{playbackId}`,
      nickname: 'playWithId',
      summary: `Plays media to ${to}, giving the playback the id in the path.`,
      responseClass: 'Playback',
      params: [id, path('playbackId', 'Id to give the playback.'), ...mediaParams],
      errors: playErrors,
      handle: (a) => play(a, a.req('playbackId')),
    },
    {
      resource,
      method: 'POST',
      path: `/${resource}/{${id.name}}/record`,
      nickname: 'record',
      summary: resource === 'channels' ? 'Records what the channel says.' : 'Records a bridge.',
      responseClass: 'LiveRecording',
      params: [id, ...recordParams],
      errors: recordErrors,
      handle: (a) => {
        const rec = ast.record(target(a), recordArgs(a));
        // ast_ari_response_created puts the root segment first; ast_uri_encode(ast_uri_http) keeps what encodeURIComponent keeps.
        return new Created(rec, `/ari/recordings/live/${encodeURIComponent(rec.name)}`);
      },
    },
  ];
}
