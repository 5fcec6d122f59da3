/**
 * Swagger 1.1 model definitions the simulated Asterisk publishes in its
 * resource documents, per resource, as Asterisk's rest-api/api-docs declare
 * them. ari-client reads them to know which event properties hold channels,
 * bridges, playbacks and recordings, and it fails on an event type that has
 * no model: every event the simulator can send must be listed here.
 */

export interface SwaggerProperty {
  type: string;
  required?: boolean;
  description: string;
  allowableValues?: { valueType: 'LIST'; values: string[] };
}
export interface SwaggerModel {
  id: string;
  description: string;
  properties: Record<string, SwaggerProperty>;
  discriminator?: string;
  subTypes?: string[];
}

type Prop = [type: string, required: boolean | undefined, description: string, values?: string[]];

function model(id: string, description: string, props: Record<string, Prop>, extra: Partial<SwaggerModel> = {}): SwaggerModel {
  const properties: Record<string, SwaggerProperty> = {};
  for (const [name, [type, required, desc, values]] of Object.entries(props)) {
    const p: SwaggerProperty = { type, description: desc };
    if (required !== undefined) p.required = required;
    if (values) p.allowableValues = { valueType: 'LIST', values };
    properties[name] = p;
  }
  return { id, description, properties, ...extra };
}

const CHANNEL_STATES = ['Down', 'Rsrved', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up', 'Busy', 'Dialing Offhook', 'Pre-ring', 'Unknown'];

const asterisk = [
  model('BuildInfo', 'Build details', {
    os: ['string', true, 'Build operating system.'],
    kernel: ['string', true, 'Build kernel version.'],
    options: ['string', true, 'Compile options (empty when default).'],
    machine: ['string', true, 'CPU architecture.'],
    date: ['string', true, 'Build time.'],
    user: ['string', true, 'Build user.'],
  }),
  model('SystemInfo', 'System details', {
    version: ['string', true, 'Version string.'],
    entity_id: ['string', true, ''],
  }),
  model('SetId', 'Process user and group', {
    user: ['string', true, 'User the process runs as.'],
    group: ['string', true, 'Group the process runs as.'],
  }),
  model('ConfigInfo', 'Configuration details', {
    name: ['string', true, 'System name.'],
    default_language: ['string', true, 'Language used for prompts by default.'],
    max_channels: ['int', false, 'Channel limit.'],
    max_open_files: ['int', false, 'Open file limit.'],
    max_load: ['double', false, 'Load average limit.'],
    setid: ['SetId', true, 'Process user and group.'],
  }),
  model('StatusInfo', 'Status details', {
    startup_time: ['Date', true, 'Start time.'],
    last_reload_time: ['Date', true, 'Last reload time.'],
  }),
  model('AsteriskInfo', 'System information', {
    build: ['BuildInfo', false, 'Build details'],
    system: ['SystemInfo', false, 'System details'],
    config: ['ConfigInfo', false, 'Configuration details'],
    status: ['StatusInfo', false, 'Status details'],
  }),
  model('AsteriskPing', 'Answer to a ping', {
    asterisk_id: ['string', true, 'Id of this system.'],
    ping: ['string', true, 'The word pong.'],
    timestamp: ['string', true, 'When the ping arrived.'],
  }),
  model('Variable', 'A variable value', {
    value: ['string', true, 'The value.'],
  }),
];

const endpoints = [
  model('Endpoint', 'A device or trunk that places and takes calls.', {
    technology: ['string', true, 'Channel technology.'],
    resource: ['string', true, 'Name within the technology.'],
    state: ['string', false, 'Reachability.', ['unknown', 'offline', 'online']],
    channel_ids: ['List[string]', true, 'Ids of its channels.'],
  }),
  model('TextMessage', 'An out-of-call text message.', {
    from: ['string', true, 'Sender URI.'],
    to: ['string', true, 'Recipient URI.'],
    body: ['string', true, 'Message text.'],
    variables: ['object', false, 'Extra technology-specific fields.'],
  }),
];

const channels = [
  model('Dialed', 'About a dialed channel.', {}),
  model('DialplanCEP', 'A place in the dialplan', {
    context: ['string', true, 'Context.'],
    exten: ['string', true, 'Extension.'],
    priority: ['long', true, 'Priority.'],
    app_name: ['string', true, 'Dialplan application running now.'],
    app_data: ['string', true, 'Its arguments.'],
  }),
  model('CallerID', 'Name and number', {
    name: ['string', true, ''],
    number: ['string', true, ''],
  }),
  model('Channel', 'One leg of a call between Asterisk and an endpoint.', {
    id: ['string', true, 'Channel id.'],
    protocol_id: ['string', true, 'Driver-level call id (SIP Call-ID).'],
    name: ['string', true, 'Channel name, e.g. PJSIP/100-00000001.'],
    state: ['string', true, '', CHANNEL_STATES],
    caller: ['CallerID', true, ''],
    connected: ['CallerID', true, ''],
    accountcode: ['string', true, ''],
    dialplan: ['DialplanCEP', true, 'Where the channel is in the dialplan.'],
    creationtime: ['Date', true, 'Creation time.'],
    language: ['string', true, 'Prompt language.'],
    channelvars: ['object', false, 'Selected channel variables.'],
    caller_rdnis: ['string', undefined, 'Redirecting number.'],
  }),
];

const bridges = [
  model('Bridge', 'A meeting point where channels hear each other.', {
    id: ['string', true, 'Bridge id.'],
    technology: ['string', true, 'Mixing technology in use.'],
    bridge_type: ['string', true, 'Bridge type.', ['mixing', 'holding']],
    bridge_class: ['string', true, 'Bridge class.'],
    creator: ['string', true, 'Who created it.'],
    name: ['string', true, 'Name given by its creator.'],
    channels: ['List[string]', true, 'Ids of the channels in it.'],
    video_mode: ['string', false, 'Video mode.'],
    video_source_id: ['string', false, 'Channel whose video is shown.'],
    creationtime: ['Date', true, 'Creation time.'],
  }),
];

const recordings = [
  model('StoredRecording', 'A finished recording that can be played.', {
    name: ['string', true, ''],
    format: ['string', true, ''],
  }),
  model('LiveRecording', 'A recording in progress', {
    name: ['string', true, 'Recording name.'],
    format: ['string', true, 'File format.'],
    target_uri: ['string', true, 'channel:<id> or bridge:<id>.'],
    state: ['string', true, '', ['queued', 'recording', 'paused', 'done', 'failed', 'canceled']],
    duration: ['int', false, 'Length in seconds.'],
    talking_duration: ['int', false, 'Seconds of speech.'],
    silence_duration: ['int', false, 'Seconds of silence.'],
    cause: ['string', false, 'Why it failed.'],
  }),
];

const sounds = [
  model('FormatLangPair', 'A format and language a sound exists in', {
    language: ['string', true, ''],
    format: ['string', true, ''],
  }),
  model('Sound', 'A sound file that can be played.', {
    id: ['string', true, 'Sound id.'],
    text: ['string', false, 'What it says.'],
    formats: ['List[FormatLangPair]', true, 'Formats and languages.'],
  }),
];

const playbacks = [
  model('Playback', 'Media being played to a channel or bridge', {
    id: ['string', true, 'Playback id.'],
    media_uri: ['string', true, 'Media playing now.'],
    next_media_uri: ['string', false, 'Media that plays next, in a list.'],
    target_uri: ['string', true, 'channel:<id> or bridge:<id>.'],
    language: ['string', undefined, 'Requested language.'],
    state: ['string', true, 'Playback state.', ['queued', 'playing', 'continuing', 'done', 'failed']],
  }),
];

const deviceStates = [
  model('DeviceState', 'A device and its state.', {
    name: ['string', true, 'Device name.'],
    state: ['string', true, 'State.', ['UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD']],
  }),
];

const mailboxes = [
  model('Mailbox', 'A mailbox and its message counts.', {
    name: ['string', true, 'Mailbox name.'],
    old_messages: ['int', true, 'Old messages.'],
    new_messages: ['int', true, 'New messages.'],
  }),
];

const applications = [
  model('Application', 'A Stasis application and what it follows', {
    name: ['string', true, 'Application name.'],
    channel_ids: ['List[string]', true, 'Channels it receives events of.'],
    bridge_ids: ['List[string]', true, 'Bridges it receives events of.'],
    endpoint_ids: ['List[string]', true, 'Endpoints it receives events of.'],
    device_names: ['List[string]', true, 'Devices it receives events of.'],
    events_allowed: ['List[object]', true, 'Event filters: allowed.'],
    events_disallowed: ['List[object]', true, 'Event filters: refused.'],
  }),
];

/** Every event type, with its own properties (type/application/timestamp come from Message and Event). */
const EVENT_PROPS: Record<string, [string, Record<string, Prop>]> = {
  DeviceStateChanged: ['A device changed state.', { device_state: ['DeviceState', true, 'The device.'] }],
  PlaybackStarted: ['A playback started (or resumed).', { playback: ['Playback', true, 'The playback.'] }],
  PlaybackContinuing: ['A playback moved on to the next media of its list.', { playback: ['Playback', true, 'The playback.'] }],
  PlaybackFinished: ['A playback ended.', { playback: ['Playback', true, 'The playback.'] }],
  RecordingStarted: ['A recording started.', { recording: ['LiveRecording', true, 'The recording.'] }],
  RecordingFinished: ['A recording ended.', { recording: ['LiveRecording', true, 'The recording.'] }],
  RecordingFailed: ['A recording could not be made.', { recording: ['LiveRecording', true, 'The recording.'] }],
  ApplicationMoveFailed: ['A channel could not be moved to another application.', {
    channel: ['Channel', true, ''],
    destination: ['string', true, ''],
    args: ['List[string]', true, 'Application arguments.'],
  }],
  ApplicationReplaced: ['Another WebSocket now serves this application.', {}],
  BridgeCreated: ['A bridge was made.', { bridge: ['Bridge', true, ''] }],
  BridgeDestroyed: ['A bridge is gone.', { bridge: ['Bridge', true, ''] }],
  BridgeMerged: ['Two bridges became one.', { bridge: ['Bridge', true, ''], bridge_from: ['Bridge', true, ''] }],
  BridgeBlindTransfer: ['A call was blind-transferred.', {
    channel: ['Channel', true, 'Transferring channel.'],
    replace_channel: ['Channel', false, 'Channel standing in for the transferer.'],
    transferee: ['Channel', false, 'Transferred channel.'],
    exten: ['string', true, 'Target extension.'],
    context: ['string', true, 'Target context.'],
    result: ['string', true, 'Outcome.'],
    is_external: ['boolean', true, 'Started outside Asterisk.'],
    bridge: ['Bridge', undefined, 'Bridge transferred.'],
  }],
  BridgeAttendedTransfer: ['A call was transferred after consultation.', {
    transferer_first_leg: ['Channel', true, 'Transferer first leg.'],
    transferer_second_leg: ['Channel', true, 'Transferer second leg.'],
    replace_channel: ['Channel', false, 'Channel standing in for the first leg.'],
    transferee: ['Channel', false, 'Transferred channel.'],
    transfer_target: ['Channel', false, 'Transfer target.'],
    result: ['string', true, 'Outcome.'],
    is_external: ['boolean', true, 'Started outside Asterisk.'],
    transferer_first_leg_bridge: ['Bridge', undefined, 'Bridge of the first leg.'],
    transferer_second_leg_bridge: ['Bridge', undefined, 'Bridge of the second leg.'],
    destination_type: ['string', true, 'How it was done.'],
    destination_bridge: ['string', undefined, 'Surviving bridge.'],
    destination_application: ['string', undefined, 'Application transferred into.'],
    destination_link_first_leg: ['Channel', undefined, 'Link first leg.'],
    destination_link_second_leg: ['Channel', undefined, 'Link second leg.'],
    destination_threeway_channel: ['Channel', undefined, 'Surviving transferer channel.'],
    destination_threeway_bridge: ['Bridge', undefined, 'Surviving bridge.'],
  }],
  BridgeVideoSourceChanged: ['The video source of a bridge changed.', {
    bridge: ['Bridge', true, ''],
    old_video_source_id: ['string', false, ''],
  }],
  ChannelCreated: ['A channel was made.', { channel: ['Channel', true, ''] }],
  ChannelDestroyed: ['A channel is gone.', {
    cause: ['int', true, 'Q.850 cause code.'],
    cause_txt: ['string', true, 'Cause in words.'],
    channel: ['Channel', true, ''],
  }],
  ChannelEnteredBridge: ['A channel joined a bridge.', { bridge: ['Bridge', true, ''], channel: ['Channel', undefined, ''] }],
  ChannelLeftBridge: ['A channel left a bridge.', { bridge: ['Bridge', true, ''], channel: ['Channel', true, ''] }],
  ChannelStateChange: ['A channel changed state.', { channel: ['Channel', true, ''] }],
  ChannelDtmfReceived: ['DTMF received on a channel.', {
    digit: ['string', true, 'Key pressed.'],
    duration_ms: ['int', true, 'How long it was held, ms.'],
    channel: ['Channel', true, 'Channel that pressed it.'],
  }],
  ChannelDialplan: ['Channel changed location in the dialplan.', {
    channel: ['Channel', true, 'The channel.'],
    dialplan_app: ['string', true, 'Dialplan application next.'],
    dialplan_app_data: ['string', true, 'Its arguments.'],
  }],
  ChannelCallerId: ['Channel changed Caller ID.', {
    caller_presentation: ['int', true, 'Presentation code.'],
    caller_presentation_txt: ['string', true, 'Presentation in words.'],
    channel: ['Channel', true, 'The channel.'],
  }],
  ChannelUserevent: ['An event raised by a user, with free-form fields.', {
    eventname: ['string', true, 'Event name.'],
    channel: ['Channel', false, 'Channel concerned.'],
    bridge: ['Bridge', false, 'Bridge concerned.'],
    endpoint: ['Endpoint', false, 'Endpoint concerned.'],
    userevent: ['object', true, 'Free-form fields.'],
  }],
  ChannelHangupRequest: ['Someone asked to hang up a channel.', {
    cause: ['int', undefined, 'Q.850 cause, or a soft-hangup flag.'],
    soft: ['boolean', undefined, 'Soft (requested) hangup.'],
    channel: ['Channel', true, 'The channel.'],
  }],
  ChannelVarset: ['A variable was set.', {
    variable: ['string', true, 'Variable name.'],
    value: ['string', true, 'New value.'],
    channel: ['Channel', false, 'The channel; absent for a global variable.'],
  }],
  ChannelToneDetected: ['A tone was heard on a channel.', { channel: ['Channel', true, 'The channel.'] }],
  ChannelTalkingStarted: ['Someone started talking on a channel.', { channel: ['Channel', true, 'The channel.'] }],
  ChannelTalkingFinished: ['Someone stopped talking on a channel.', {
    channel: ['Channel', true, 'The channel.'],
    duration: ['int', true, 'Talking time, ms.'],
  }],
  ChannelHold: ['A channel put the call on hold.', { channel: ['Channel', true, 'The channel.'], musicclass: ['string', false, 'Requested music class.'] }],
  ChannelUnhold: ['A channel took the call off hold.', { channel: ['Channel', true, 'The channel.'] }],
  ContactStatusChange: ['A contact of an endpoint changed state.', { endpoint: ['Endpoint', true, ''], contact_info: ['ContactInfo', true, ''] }],
  EndpointStateChange: ['An endpoint changed state.', { endpoint: ['Endpoint', true, ''] }],
  Dial: ['Progress of a dial attempt.', {
    caller: ['Channel', false, 'Calling channel.'],
    peer: ['Channel', true, 'Dialed channel.'],
    forward: ['string', false, 'Where the callee forwarded to.'],
    forwarded: ['Channel', false, 'Channel the call was forwarded to.'],
    dialstring: ['string', false, 'Dial string used.'],
    dialstatus: ['string', true, 'Dial status (ANSWER, BUSY, NOANSWER...).'],
  }],
  StasisEnd: ['A channel left the application.', { channel: ['Channel', true, ''] }],
  StasisStart: ['A channel entered the application.', {
    args: ['List[string]', true, 'Application arguments.'],
    channel: ['Channel', true, ''],
    replace_channel: ['Channel', false, ''],
  }],
  TextMessageReceived: ['An endpoint sent a text message.', { message: ['TextMessage', true, ''], endpoint: ['Endpoint', false, ''] }],
  ChannelConnectedLine: ['A channel\'s connected line changed.', { channel: ['Channel', true, 'The channel.'] }],
  PeerStatusChange: ['A peer of an endpoint changed state.', { endpoint: ['Endpoint', true, ''], peer: ['Peer', true, ''] }],
};

export const EVENT_TYPES: readonly string[] = Object.keys(EVENT_PROPS);

const events = [
  model('Message', 'Anything sent on the events socket', {
    type: ['string', true, 'Message type.'],
    asterisk_id: ['string', false, 'Id of the Asterisk that sent it.'],
  }, { discriminator: 'type', subTypes: ['MissingParams', 'Event'] }),
  model('MissingParams', 'Parameters were missing.', {
    params: ['List[string]', true, 'Names of the missing parameters.'],
  }),
  model('Event', 'Something that happened in Asterisk', {
    application: ['string', true, 'Application it is sent to.'],
    timestamp: ['Date', true, 'When it happened.'],
  }, { subTypes: [...EVENT_TYPES] }),
  model('ContactInfo', 'A contact of an endpoint', {
    uri: ['string', true, 'Contact URI.'],
    contact_status: ['string', true, 'Status.', ['Unreachable', 'Reachable', 'Unknown', 'NonQualified', 'Removed']],
    aor: ['string', true, 'Its address of record.'],
    roundtrip_usec: ['string', false, 'Round trip, microseconds.'],
  }),
  model('Peer', 'A remote peer', {
    peer_status: ['string', true, 'State.'],
    cause: ['string', false, 'Why it changed.'],
    address: ['string', false, 'IP address.'],
    port: ['string', false, 'Port.'],
    time: ['string', false, 'Last contact time.'],
  }),
  ...Object.entries(EVENT_PROPS).map(([id, [description, props]]) => model(id, description, props)),
];

export type ResourceName =
  | 'asterisk'
  | 'endpoints'
  | 'channels'
  | 'bridges'
  | 'recordings'
  | 'sounds'
  | 'playbacks'
  | 'deviceStates'
  | 'mailboxes'
  | 'events'
  | 'applications';

/** The resource listing, in Asterisk's order, with each resource's description and models. */
export const RESOURCES: readonly { name: ResourceName; description: string; models: SwaggerModel[] }[] = [
  { name: 'asterisk', description: 'Asterisk resources', models: asterisk },
  { name: 'endpoints', description: 'Endpoint resources', models: endpoints },
  { name: 'channels', description: 'Channel resources', models: channels },
  { name: 'bridges', description: 'Bridge resources', models: bridges },
  { name: 'recordings', description: 'Recording resources', models: recordings },
  { name: 'sounds', description: 'Sound resources', models: sounds },
  { name: 'playbacks', description: 'Playback control resources', models: playbacks },
  { name: 'deviceStates', description: 'Device state resources', models: deviceStates },
  { name: 'mailboxes', description: 'Mailboxes resources', models: mailboxes },
  { name: 'events', description: 'WebSocket resource', models: events },
  { name: 'applications', description: 'Stasis application resources', models: applications },
];
