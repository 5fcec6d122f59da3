/**
 * The ARI `channels` resource (rest-api/api-docs/channels.json, res/ari/resource_channels.c):
 * originate, create and dial, answer, ring, hang up, DTMF, media controls, play,
 * record and variables.
 */
import type { Args, ParamSpec, RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { CHANNEL, int, path, str, variables, variablesOf } from './params';
import { mediaRoutes } from './media';

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

function originateArgs(a: Args): Parameters<SimulatedAsterisk['originate']>[0] {
  const p: Parameters<SimulatedAsterisk['originate']>[0] = { endpoint: a.str('endpoint') ?? '' };
  a.strings(p, ['app', 'appArgs', 'callerId', 'extension', 'context', 'label', 'originator', 'formats', 'channelId', 'otherChannelId']);
  a.ints(p, ['timeout', 'priority']);
  const vars = variablesOf(a);
  if (vars) p.variables = vars;
  return p;
}

export function channelRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
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
        a.strings(p, ['appArgs', 'channelId', 'otherChannelId', 'originator', 'formats']);
        const vars = variablesOf(a);
        if (vars) p.variables = vars;
        return ast.create(p);
      },
    },
    externalMediaRoute(ast),
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
          ? [str('direction', 'Which way to mute.', { default: 'both', values: ['both', 'in', 'out'], checkedByOperation: true })]
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
          handle: (a) => ast.mediaControl(a.req('channelId'), what === 'mute' ? { direction: a.str('direction'), on: true } : undefined),
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
          handle: (a) => ast.mediaControl(a.req('channelId'), what === 'mute' ? { direction: a.str('direction'), on: false } : undefined),
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
    ...snoopRoutes(ast),
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
  ];
}

const SNOOP_DIRECTIONS = ['none', 'both', 'out', 'in'];

/** POST /channels/{channelId}/snoop and /snoop/{snoopId} (snoopChannel, snoopChannelWithId; resources/snoop.ts). */
function snoopRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  const params: ParamSpec[] = [
    str('spy', 'Direction of audio to spy on.', { default: 'none', values: SNOOP_DIRECTIONS, checkedByOperation: true }),
    str('whisper', 'Direction of audio to whisper into.', { default: 'none', values: SNOOP_DIRECTIONS, checkedByOperation: true }),
    str('app', 'Application the snooping channel is placed into.', { required: true, checkedByOperation: true }),
    str('appArgs', 'The application arguments to pass to the Stasis application.'),
  ];
  const errors = [
    { code: 400, reason: 'Invalid parameters' },
    { code: 404, reason: 'Channel not found' },
  ];
  const handle = (a: Args): ReturnType<SimulatedAsterisk['snoop']> => {
    const request: Parameters<SimulatedAsterisk['snoop']>[1] = {};
    a.strings(request, ['spy', 'whisper', 'app', 'appArgs', 'snoopId']);
    return ast.snoop(a.req('channelId'), request);
  };
  return [
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/snoop',
      nickname: 'snoopChannel',
      summary: 'Starts snooping (spy, whisper) on a channel.',
      responseClass: 'Channel',
      params: [CHANNEL, ...params, str('snoopId', 'Unique ID to assign to snooping channel.')],
      errors,
      handle,
    },
    {
      resource: 'channels',
      method: 'POST',
      path: '/channels/{channelId}/snoop/{snoopId}',
      nickname: 'snoopChannelWithId',
      summary: 'Starts snooping on a channel, giving the snooping channel the id in the path.',
      responseClass: 'Channel',
      params: [CHANNEL, path('snoopId', 'Unique ID to assign to snooping channel.'), ...params],
      errors,
      handle,
    },
  ];
}

/**
 * POST /channels/externalMedia (externalMedia; resources/external-media.ts). Its parameters as channels.json declares
 * them; the operation checks them itself, with ast_ari_channels_external_media's messages.
 */
function externalMediaRoute(ast: SimulatedAsterisk): RouteSpec {
  return {
    resource: 'channels',
    method: 'POST',
    path: '/channels/externalMedia',
    nickname: 'externalMedia',
    summary: 'Starts an External Media session: a channel whose audio goes to and comes from external_host.',
    responseClass: 'Channel',
    params: [
      str('channelId', 'The unique id to assign the channel on creation.'),
      str('app', 'Stasis Application to place channel into', { required: true, checkedByOperation: true }),
      variables,
      str('external_host', 'Hostname/ip:port of external host.'),
      str('encapsulation', 'Payload encapsulation protocol.', { default: 'rtp', values: ['rtp', 'audiosocket', 'none'], checkedByOperation: true }),
      str('transport', 'Transport protocol', { default: 'udp', values: ['udp', 'tcp', 'websocket'], checkedByOperation: true }),
      str('connection_type', 'Connection type (client/server).', { default: 'client', values: ['client', 'server'], checkedByOperation: true }),
      str('format', 'Format to encode audio in', { required: true, checkedByOperation: true }),
      str('direction', 'External media direction', { default: 'both', values: ['both'], checkedByOperation: true }),
      str('data', 'An arbitrary data field'),
      str('transport_data', 'Transport-specific data.'),
    ],
    errors: [
      { code: 400, reason: 'Invalid parameters' },
      { code: 409, reason: 'Channel is not in a Stasis application; Channel is already bridged' },
    ],
    handle: (a) => {
      const p: Parameters<SimulatedAsterisk['externalMedia']>[0] = {};
      a.strings(p, ['app', 'channelId', 'external_host', 'encapsulation', 'transport', 'connection_type', 'format', 'direction', 'data', 'transport_data']);
      const vars = variablesOf(a);
      if (vars) p.variables = vars;
      return ast.externalMedia(p);
    },
  };
}
