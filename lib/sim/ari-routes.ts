/**
 * The ARI operations the simulated Asterisk serves: paths, nicknames,
 * parameters and error responses as Asterisk's REST API declares them, each
 * with the handler that carries it out. This table is also the source of
 * the Swagger documents (swagger.ts).
 */
import { AriHttpError, type Args, type ErrorSpec, type ParamSpec, type RouteSpec } from './route';
import type { SimulatedAsterisk } from './asterisk';

const str = (name: string, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  in: 'query',
  type: 'string',
  description,
  ...extra,
});
const int = (name: string, description: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  in: 'query',
  type: 'int',
  description,
  ...extra,
});
const bool = (name: string, description: string, def: boolean): ParamSpec => ({
  name,
  in: 'query',
  type: 'boolean',
  description,
  default: def,
});
const path = (name: string, description: string): ParamSpec => ({ name, in: 'path', type: 'string', description, required: true });
const variables: ParamSpec = {
  name: 'variables',
  in: 'body',
  type: 'containers',
  description: 'Channel variables to set, as {"variables": {"NAME": "value"}}.',
};

const CHANNEL = path('channelId', "Channel's id");
const BRIDGE = path('bridgeId', "Bridge's id");
const NOT_FOUND = { code: 404, reason: 'Channel not found' };
const NOT_IN_STASIS = { code: 409, reason: 'Channel not in a Stasis application' };
const BAD_STATE = { code: 412, reason: 'Channel in invalid state' };
const CHANNEL_ERRORS = [NOT_FOUND, NOT_IN_STASIS, BAD_STATE];
const HANGUP_REASON_VALUES = [
  'normal',
  'busy',
  'congestion',
  'no_answer',
  'timeout',
  'rejected',
  'unallocated',
  'normal_unspecified',
  'number_incomplete',
  'codec_mismatch',
  'interworking',
  'failure',
  'answered_elsewhere',
];

const originateParams: ParamSpec[] = [
  str('endpoint', 'Endpoint to call, e.g. PJSIP/100 or PJSIP/+15550100@trunk.', { required: true }),
  str('extension', 'Dialplan extension to go to once answered (instead of an application).'),
  str('context', 'Dialplan context to go to once answered.'),
  { name: 'priority', in: 'query', type: 'long', description: 'Dialplan priority to go to once answered.' },
  str('label', 'Dialplan label to go to once answered.'),
  str('app', 'Stasis application to put the channel in once answered.'),
  str('appArgs', 'Comma-separated arguments for the application.'),
  str('callerId', 'Caller id to show, e.g. "Name" <number>.'),
  int('timeout', 'Seconds to wait for an answer (-1: no limit).', { default: 30 }),
  variables,
];
const originateTail: ParamSpec[] = [
  str('otherChannelId', 'Id for the second channel of a Local channel pair.'),
  str('originator', 'Channel that causes this one to be created.'),
  str('formats', 'Comma-separated list of formats to offer (instead of an originator).'),
];

const mediaParams: ParamSpec[] = [
  str('media', 'Media URIs to play, in order (sound:, recording:, number:, digits:, characters:, tone:).', { required: true, multiple: true }),
  str('lang', 'Language of the sounds, when not the channel language.'),
  int('offsetms', 'Milliseconds to skip at the start of the first media.', { min: 0, default: 0 }),
  int('skipms', 'Milliseconds moved by reverse and forward controls.', { min: 0, default: 3000 }),
];
const recordParams: ParamSpec[] = [
  str('name', 'Name of the recording (the file name, without extension).', { required: true }),
  str('format', 'File format, e.g. wav or gsm.', { required: true }),
  int('maxDurationSeconds', 'Longest recording, in seconds (0: no limit).', { min: 0, default: 0 }),
  int('maxSilenceSeconds', 'Silence that ends the recording, in seconds (0: no limit).', { min: 0, default: 0 }),
  str('ifExists', 'What to do when a recording of that name exists.', { default: 'fail', values: ['fail', 'overwrite', 'append'] }),
  bool('beep', 'Play a beep before recording.', false),
  str('terminateOn', 'DTMF key that ends the recording.', { default: 'none', values: ['none', 'any', '*', '#'] }),
];

function originateArgs(a: Args): Parameters<SimulatedAsterisk['originate']>[0] {
  const p: Parameters<SimulatedAsterisk['originate']>[0] = { endpoint: a.str('endpoint') ?? '' };
  a.strings(p, ['app', 'appArgs', 'callerId', 'extension', 'context', 'label', 'originator', 'formats', 'channelId']);
  a.ints(p, ['timeout', 'priority']);
  const vars = variablesOf(a);
  if (vars) p.variables = vars;
  return p;
}

/** ari-client sends {"variables": {...}}; Asterisk also takes the bare object. */
function variablesOf(a: Args): Record<string, unknown> | undefined {
  const body = a.obj('variables');
  if (!body) return undefined;
  const inner = body.variables;
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : body;
}

function playArgs(a: Args, playbackId?: string): Parameters<SimulatedAsterisk['play']>[1] {
  const p: Parameters<SimulatedAsterisk['play']>[1] = { media: a.list('media') };
  a.strings(p, ['lang']);
  const id = playbackId ?? a.str('playbackId');
  if (id !== undefined) p.playbackId = id;
  a.ints(p, ['offsetms', 'skipms']);
  return p;
}

function recordArgs(a: Args): Parameters<SimulatedAsterisk['record']>[1] {
  return {
    name: a.req('name'),
    format: a.req('format'),
    maxDurationSeconds: a.int('maxDurationSeconds') ?? 0,
    maxSilenceSeconds: a.int('maxSilenceSeconds') ?? 0,
    ifExists: a.str('ifExists') ?? 'fail',
    beep: a.bool('beep') ?? false,
    terminateOn: a.str('terminateOn') ?? 'none',
  };
}

/** A created resource: Asterisk answers 201 with a Location header. */
export class Created {
  constructor(
    readonly body: unknown,
    readonly location: string,
  ) {}
}
/** A binary body (a recording file). */
export class Binary {
  constructor(
    readonly body: Buffer,
    readonly contentType: string,
  ) {}
}

/** play, playWithId and record on a channel or on a bridge: the same operations on either target. */
function mediaRoutes(ast: SimulatedAsterisk, resource: 'channels' | 'bridges', playErrors: ErrorSpec[], recordErrors: ErrorSpec[]): RouteSpec[] {
  const id = resource === 'channels' ? CHANNEL : BRIDGE;
  const target = (a: Args): { channelId: string } | { bridgeId: string } =>
    resource === 'channels' ? { channelId: a.req('channelId') } : { bridgeId: a.req('bridgeId') };
  const to = resource === 'channels' ? 'a channel' : 'every channel of a bridge';
  const play = (a: Args, playbackId?: string): Created => {
    const pb = ast.play(target(a), playArgs(a, playbackId));
    return new Created(pb, `/playbacks/${pb.id}`);
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
        return new Created(rec, `/recordings/live/${encodeURIComponent(rec.name)}`);
      },
    },
  ];
}

export function ariRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    // ---- asterisk
    {
      resource: 'asterisk',
      method: 'GET',
      path: '/asterisk/info',
      nickname: 'getInfo',
      summary: 'Information about this Asterisk system.',
      responseClass: 'AsteriskInfo',
      params: [str('only', 'Which sections to return.', { multiple: true, values: ['build', 'system', 'config', 'status'] })],
      handle: (a) => ast.info(a.list('only')),
    },
    {
      resource: 'asterisk',
      method: 'GET',
      path: '/asterisk/ping',
      nickname: 'ping',
      summary: 'Answers pong, with this Asterisk id.',
      responseClass: 'AsteriskPing',
      handle: () => ast.ping(),
    },
    {
      resource: 'asterisk',
      method: 'GET',
      path: '/asterisk/variable',
      nickname: 'getGlobalVar',
      summary: 'Value of a global variable.',
      responseClass: 'Variable',
      params: [str('variable', 'Variable name.', { required: true })],
      errors: [{ code: 400, reason: 'Missing variable parameter.' }],
      handle: (a) => ast.globalVariable(a.str('variable')),
    },
    {
      resource: 'asterisk',
      method: 'POST',
      path: '/asterisk/variable',
      nickname: 'setGlobalVar',
      summary: 'Sets a global variable.',
      responseClass: 'void',
      params: [str('variable', 'Variable name.', { required: true }), str('value', 'New value.')],
      errors: [{ code: 400, reason: 'Missing variable parameter.' }],
      handle: (a) => ast.globalVariable(a.str('variable'), a.str('value') ?? ''),
    },
    // ---- endpoints
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
    // ---- channels
    {
      resource: 'channels',
      method: 'GET',
      path: '/channels',
      nickname: 'list',
      summary: 'All active channels.',
      responseClass: 'List[Channel]',
      handle: () => ast.channelList(),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels',
      nickname: 'originate',
      summary: 'Calls an endpoint; once answered the channel goes to an application or the dialplan.',
      responseClass: 'Channel',
      params: [...originateParams, str('channelId', 'Id to give the new channel.'), ...originateTail],
      errors: [
        { code: 400, reason: 'Invalid parameters for originating a channel.' },
        { code: 409, reason: 'Channel with given unique ID already exists.' },
      ],
      handle: (a) => ast.originate(originateArgs(a)),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/create',
      nickname: 'create',
      summary: 'Creates a channel in an application without dialing it.',
      responseClass: 'Channel',
      params: [
        str('endpoint', 'Endpoint to call.', { required: true }),
        str('app', 'Stasis application to put the channel in.', { required: true }),
        str('appArgs', 'Comma-separated arguments for the application.'),
        str('channelId', 'Id to give the new channel.'),
        ...originateTail,
        variables,
      ],
      errors: [{ code: 409, reason: 'Channel with given unique ID already exists.' }],
      handle: (a) => {
        const p: Parameters<SimulatedAsterisk['create']>[0] = { endpoint: a.str('endpoint') ?? '', app: a.req('app') };
        a.strings(p, ['appArgs', 'channelId', 'originator', 'formats']);
        const vars = variablesOf(a);
        if (vars) p.variables = vars;
        return ast.create(p);
      },
    },
    {
      resource: 'channels',
      method: 'GET',
      path: '/channels/{channelId}',
      nickname: 'get',
      summary: 'Details of a channel.',
      responseClass: 'Channel',
      params: [CHANNEL],
      errors: [NOT_FOUND],
      handle: (a) => ast.channel(a.req('channelId')).json(),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}',
      nickname: 'originateWithId',
      summary: 'Calls an endpoint, giving the new channel the id in the path.',
      responseClass: 'Channel',
      params: [path('channelId', 'Id to give the new channel.'), ...originateParams, ...originateTail],
      errors: [
        { code: 400, reason: 'Invalid parameters for originating a channel.' },
        { code: 409, reason: 'Channel with given unique ID already exists.' },
      ],
      handle: (a) => ast.originate(originateArgs(a)),
    },
    {
      resource: 'channels',
      method: 'DELETE',
      path: '/channels/{channelId}',
      nickname: 'hangup',
      summary: 'Hangs up a channel.',
      responseClass: 'void',
      params: [
        CHANNEL,
        str('reason_code', 'Q.850 cause code to hang up with.'),
        str('reason', 'Reason to hang up with.', { values: HANGUP_REASON_VALUES }),
      ],
      errors: [{ code: 400, reason: 'Invalid reason for hangup provided' }, NOT_FOUND],
      handle: (a) => ast.hangupRequest(a.req('channelId'), a.str('reason'), a.str('reason_code')),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/continue',
      nickname: 'continueInDialplan',
      summary: 'Leaves the application and carries on in the dialplan.',
      responseClass: 'void',
      params: [CHANNEL, str('context', 'Dialplan context.'), str('extension', 'Dialplan extension.'), int('priority', 'Dialplan priority.'), str('label', 'Dialplan label.')],
      errors: CHANNEL_ERRORS,
      handle: (a) => {
        const p: Parameters<SimulatedAsterisk['continueInDialplan']>[1] = {};
        a.strings(p, ['context', 'extension', 'label']);
        a.ints(p, ['priority']);
        ast.continueInDialplan(a.req('channelId'), p);
      },
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/redirect',
      nickname: 'redirect',
      summary: 'Hands the call to another endpoint (SIP redirect or transfer).',
      responseClass: 'void',
      params: [CHANNEL, str('endpoint', 'Endpoint to send the call to.', { required: true })],
      errors: [
        { code: 400, reason: 'Endpoint parameter not provided' },
        { code: 404, reason: 'Channel or endpoint not found' },
        NOT_IN_STASIS,
        { code: 422, reason: 'Endpoint is not the same type as the channel' },
        BAD_STATE,
      ],
      handle: (a) => ast.redirect(a.req('channelId'), a.str('endpoint')),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/answer',
      nickname: 'answer',
      summary: 'Answers a channel.',
      responseClass: 'void',
      params: [CHANNEL],
      errors: CHANNEL_ERRORS,
      handle: (a) => ast.answer(a.req('channelId')),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/ring',
      nickname: 'ring',
      summary: 'Sends ringing to the caller.',
      responseClass: 'void',
      params: [CHANNEL],
      errors: CHANNEL_ERRORS,
      handle: (a) => ast.ring(a.req('channelId'), true),
    },
    {
      resource: 'channels',
      method: 'DELETE',
      path: '/channels/{channelId}/ring',
      nickname: 'ringStop',
      summary: 'Stops ringing to the caller.',
      responseClass: 'void',
      params: [CHANNEL],
      errors: CHANNEL_ERRORS,
      handle: (a) => ast.ring(a.req('channelId'), false),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/dtmf',
      nickname: 'sendDTMF',
      summary: 'Sends DTMF tones to the far end.',
      responseClass: 'void',
      params: [
        CHANNEL,
        str('dtmf', 'Digits to send.'),
        int('before', 'Milliseconds to wait before the first digit.', { default: 0 }),
        int('between', 'Milliseconds between digits.', { default: 100 }),
        int('duration', 'Milliseconds each digit lasts.', { default: 100 }),
        int('after', 'Milliseconds to wait after the last digit.', { default: 0 }),
      ],
      errors: [{ code: 400, reason: 'DTMF is required' }, ...CHANNEL_ERRORS],
      handle: (a) => {
        const timing: { before?: number; between?: number; duration?: number; after?: number } = {};
        for (const k of ['before', 'between', 'duration', 'after'] as const) {
          const v = a.int(k);
          if (v !== undefined) timing[k] = v;
        }
        ast.sendDtmf(a.req('channelId'), a.str('dtmf'), timing);
      },
    },
    ...(['mute', 'hold', 'moh', 'silence'] as const).flatMap((what): RouteSpec[] => {
      const start = { mute: 'mute', hold: 'hold', moh: 'startMoh', silence: 'startSilence' }[what];
      const stop = { mute: 'unmute', hold: 'unhold', moh: 'stopMoh', silence: 'stopSilence' }[what];
      const extra: ParamSpec[] =
        what === 'mute'
          ? [str('direction', 'Which way to mute.', { default: 'both', values: ['both', 'in', 'out'] })]
          : what === 'moh'
            ? [str('mohClass', 'Music on hold class.')]
            : [];
      return [
        {
          resource: 'channels',
          method: 'POST',
          path: `/channels/{channelId}/${what}`,
          nickname: start,
          summary: `Starts ${what} on a channel.`,
          responseClass: 'void',
          params: [CHANNEL, ...extra],
          errors: CHANNEL_ERRORS,
          handle: (a) => ast.mediaControl(a.req('channelId')),
        },
        {
          resource: 'channels',
          method: 'DELETE',
          path: `/channels/{channelId}/${what}`,
          nickname: stop,
          summary: `Stops ${what} on a channel.`,
          responseClass: 'void',
          params: what === 'mute' ? [CHANNEL, ...extra] : [CHANNEL],
          errors: CHANNEL_ERRORS,
          handle: (a) => ast.mediaControl(a.req('channelId')),
        },
      ];
    }),
    ...mediaRoutes(ast, 'channels', CHANNEL_ERRORS, [
      { code: 400, reason: 'Invalid parameters' },
      NOT_FOUND,
      { code: 409, reason: 'Channel is not in a Stasis application, is in a bridge, or the name is in use' },
      { code: 422, reason: 'The format specified is unknown on this system' },
    ]),
    {
      resource: 'channels',
      method: 'GET',
      path: '/channels/{channelId}/variable',
      nickname: 'getChannelVar',
      summary: 'Value of a channel variable or function.',
      responseClass: 'Variable',
      params: [CHANNEL, str('variable', 'Variable or function name.', { required: true })],
      errors: [{ code: 400, reason: 'Missing variable parameter.' }, { code: 404, reason: 'Channel or variable not found' }, NOT_IN_STASIS],
      handle: (a) => ast.getVariable(a.req('channelId'), a.str('variable')),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/variable',
      nickname: 'setChannelVar',
      summary: 'Sets a channel variable or function.',
      responseClass: 'void',
      params: [CHANNEL, str('variable', 'Variable or function name.', { required: true }), str('value', 'New value.')],
      errors: [{ code: 400, reason: 'Missing variable parameter.' }, NOT_FOUND, NOT_IN_STASIS],
      handle: (a) => ast.setVariable(a.req('channelId'), a.str('variable'), a.str('value')),
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/dial',
      nickname: 'dial',
      summary: 'Dials a channel made with create.',
      responseClass: 'void',
      params: [CHANNEL, str('caller', 'Channel id of the caller, for connected line and events.'), int('timeout', 'Seconds to wait for an answer (0: no limit).', { min: 0, default: 0 })],
      errors: [
        { code: 404, reason: 'Channel cannot be found.' },
        { code: 409, reason: 'Channel cannot be dialed.' },
      ],
      handle: (a) => {
        const p: { caller?: string; timeout?: number } = {};
        a.strings(p, ['caller']);
        a.ints(p, ['timeout']);
        ast.dialCreated(a.req('channelId'), p);
      },
    },
    // ---- bridges
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
        return ast.createBridge(p);
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
      handle: (a) => ast.addToBridge(a.req('bridgeId'), a.list('channel')),
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
    // ---- recordings
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
      handle: (a) => new Binary(ast.storedRecordingFile(a.req('recordingName')), 'audio/wav'),
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
      handle: (a) => ast.copyStoredRecording(a.req('recordingName'), a.req('destinationRecordingName')),
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
    // ---- sounds
    {
      resource: 'sounds',
      method: 'GET',
      path: '/sounds',
      nickname: 'list',
      summary: 'The sound files this system has.',
      responseClass: 'List[Sound]',
      params: [str('lang', 'Only sounds in this language.'), str('format', 'Only sounds in this format.')],
      handle: (a) => {
        const filter: { lang?: string; format?: string } = {};
        const lang = a.str('lang');
        if (lang !== undefined) filter.lang = lang;
        const format = a.str('format');
        if (format !== undefined) filter.format = format;
        return ast.sounds.list(filter);
      },
    },
    {
      resource: 'sounds',
      method: 'GET',
      path: '/sounds/{soundId}',
      nickname: 'get',
      summary: 'Details of a sound.',
      responseClass: 'Sound',
      params: [path('soundId', "Sound's id.")],
      handle: (a) => {
        const sound = ast.sounds.get(a.req('soundId'));
        if (!sound) throw new AriHttpError(404, 'Sound not found');
        return sound;
      },
    },
    // ---- playbacks
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
    // ---- device states
    {
      resource: 'deviceStates',
      method: 'GET',
      path: '/deviceStates',
      nickname: 'list',
      summary: 'All device states.',
      responseClass: 'List[DeviceState]',
      handle: () => ast.deviceStateList(),
    },
    {
      resource: 'deviceStates',
      method: 'GET',
      path: '/deviceStates/{deviceName}',
      nickname: 'get',
      summary: 'State of a device.',
      responseClass: 'DeviceState',
      params: [path('deviceName', 'Device name.')],
      handle: (a) => ast.deviceState(a.req('deviceName')),
    },
    {
      resource: 'deviceStates',
      method: 'PUT',
      path: '/deviceStates/{deviceName}',
      nickname: 'update',
      summary: 'Sets the state of a device the application controls (Stasis:<name>).',
      responseClass: 'void',
      params: [
        path('deviceName', 'Device name.'),
        str('deviceState', 'New state.', { required: true, values: ['NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD'] }),
      ],
      errors: [
        { code: 404, reason: 'Device name is missing' },
        { code: 409, reason: 'Uncontrolled device specified' },
      ],
      handle: (a) => {
        ast.deviceState(a.req('deviceName'), a.req('deviceState'));
      },
    },
    {
      resource: 'deviceStates',
      method: 'DELETE',
      path: '/deviceStates/{deviceName}',
      nickname: 'delete',
      summary: 'Removes a device the application controls.',
      responseClass: 'void',
      params: [path('deviceName', 'Device name.')],
      errors: [
        { code: 404, reason: 'Device name is missing' },
        { code: 409, reason: 'Uncontrolled device specified' },
      ],
      handle: (a) => {
        ast.deviceState(a.req('deviceName'), undefined, true);
      },
    },
    // ---- mailboxes
    {
      resource: 'mailboxes',
      method: 'GET',
      path: '/mailboxes',
      nickname: 'list',
      summary: 'All mailboxes.',
      responseClass: 'List[Mailbox]',
      handle: () => ast.mailboxList(),
    },
    {
      resource: 'mailboxes',
      method: 'GET',
      path: '/mailboxes/{mailboxName}',
      nickname: 'get',
      summary: 'Message counts of a mailbox.',
      responseClass: 'Mailbox',
      params: [path('mailboxName', 'Mailbox name.')],
      errors: [{ code: 404, reason: 'Mailbox not found' }],
      handle: (a) => ast.mailbox(a.req('mailboxName')),
    },
    {
      resource: 'mailboxes',
      method: 'PUT',
      path: '/mailboxes/{mailboxName}',
      nickname: 'update',
      summary: 'Sets the message counts of a mailbox.',
      responseClass: 'void',
      params: [path('mailboxName', 'Mailbox name.'), int('oldMessages', 'Old message count.', { required: true }), int('newMessages', 'New message count.', { required: true })],
      errors: [{ code: 404, reason: 'Mailbox not found' }],
      handle: (a) => {
        ast.mailbox(a.req('mailboxName'), { old: a.int('oldMessages') ?? 0, new: a.int('newMessages') ?? 0 });
      },
    },
    {
      resource: 'mailboxes',
      method: 'DELETE',
      path: '/mailboxes/{mailboxName}',
      nickname: 'delete',
      summary: 'Removes a mailbox.',
      responseClass: 'void',
      params: [path('mailboxName', 'Mailbox name.')],
      errors: [{ code: 404, reason: 'Mailbox not found' }],
      handle: (a) => {
        ast.mailbox(a.req('mailboxName'), undefined, true);
      },
    },
    // ---- events
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
    // ---- applications
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
