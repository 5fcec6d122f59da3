/**
 * What a connection does with channels, along ARI's channels resource:
 * originate and create (marked with this instance's name, ownership.ts),
 * dial, answer, ring, hang up, channel variables, DTMF, and sending a
 * channel back to the dialplan or elsewhere. Values written into a channel
 * (caller id, variables) are checked first (variables.ts). An originate's
 * end comes as events: pending.ts waits for them.
 */
import { randomUUID } from 'node:crypto';
import { basicAuthorization, type BasicCredentials } from '../net/basic-auth';
import type { HangupReason } from './causes';
import { AriError } from './errors';
import { webSocketUrl } from './events-socket';
import { INSTANCE_VARIABLE } from './ownership';
import type { PendingOperations } from './pending';
import type { ExternalMediaChannel, ExternalMediaRequest, OriginateOutcome, OriginateRequest, SnoopRequest } from './port';
import type { Channel } from './types';
import { checkChannelValue } from './variables';

/** What the channel operations need of their connection. */
export interface ChannelPort {
  /** One ARI request (resource, operation as ari-client names them), refused when not connected. */
  call<T>(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T>;
  /** The same for a request whose answer nobody reads: a 2xx answer's body is not parsed. */
  command(resource: string, operation: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<void>;
  /** The operations waiting for their final event. */
  readonly pending: PendingOperations;
  /** Channels in the application (StasisStart seen) or originated by us and not yet gone. */
  readonly tracked: Set<string>;
  /** Channels we originated or created: Asterisk keeps sending their events after StasisEnd. */
  readonly originated: Set<string>;
  /** The Stasis application new channels enter. */
  readonly app: string;
  /** This Node-RED instance's name, written into every channel it makes (CALLFLOW_INSTANCE). */
  readonly instance: string | undefined;
  /** The WebSocket URL of Asterisk's /media/<connectionId> and the headers to connect with (ARI's credentials). */
  mediaSocket(connectionId: string): { url: string; headers: Record<string, string> };
}

/** Channel variables and the caller id of an originate are written as they are: no control characters, bounded length. */
function refuseVariables(operation: string, request: OriginateRequest): void {
  try {
    if (request.callerId !== undefined) checkChannelValue('CALLERID', request.callerId);
    for (const [name, value] of Object.entries(request.variables ?? {})) checkChannelValue(name, value);
  } catch (err) {
    throw new AriError(operation, 'bad-request', (err as Error).message, 400);
  }
}

export class ChannelOperations {
  constructor(private readonly port: ChannelPort) {}

  async originate(request: OriginateRequest, signal?: AbortSignal): Promise<{ channel: Channel; outcome: Promise<OriginateOutcome> }> {
    refuseVariables('originate', request);
    const { pending, originated, tracked } = this.port;
    const channelId = request.channelId ?? randomUUID();
    // Registered before the request, so no event of this channel can be missed.
    const outcome = pending.expectOriginate(channelId);
    originated.add(channelId);
    tracked.add(channelId);
    const params: Record<string, unknown> = { channelId, endpoint: request.endpoint, app: this.port.app };
    if (request.appArgs && request.appArgs.length > 0) params.appArgs = request.appArgs.join(',');
    if (request.callerId) params.callerId = request.callerId;
    if (request.timeoutSec !== undefined) params.timeout = request.timeoutSec;
    const variables = this.marked(request.variables);
    if (variables) params.variables = variables;
    try {
      const channel = await this.port.call<Channel>('channels', 'originateWithId', params, signal);
      return { channel, outcome };
    } catch (err) {
      pending.forgetOriginate(channelId);
      originated.delete(channelId);
      tracked.delete(channelId);
      throw err;
    }
  }

  async createChannel(request: OriginateRequest, signal?: AbortSignal): Promise<Channel> {
    refuseVariables('create', request);
    const channelId = request.channelId ?? randomUUID();
    this.port.originated.add(channelId);
    const params: Record<string, unknown> = { channelId, endpoint: request.endpoint, app: this.port.app };
    if (request.appArgs && request.appArgs.length > 0) params.appArgs = request.appArgs.join(',');
    const variables = this.marked(request.variables);
    if (variables) params.variables = variables;
    try {
      return await this.port.call<Channel>('channels', 'create', params, signal);
    } catch (err) {
      this.port.originated.delete(channelId);
      throw err;
    }
  }

  /** A new channel's variables, with this instance's mark. */
  private marked(variables: Record<string, string> | undefined): Record<string, string> | undefined {
    const out = { ...variables };
    if (this.port.instance !== undefined) out[INSTANCE_VARIABLE] = this.port.instance;
    return Object.keys(out).length > 0 ? out : undefined;
  }

  dial(channelId: string, options: { callerChannelId?: string; timeoutSec?: number } = {}, signal?: AbortSignal): Promise<void> {
    const params: Record<string, unknown> = { channelId };
    if (options.callerChannelId) params.caller = options.callerChannelId;
    if (options.timeoutSec !== undefined) params.timeout = options.timeoutSec;
    return this.port.command('channels', 'dial', params, signal);
  }

  getChannel(channelId: string, signal?: AbortSignal): Promise<Channel> {
    return this.port.call('channels', 'get', { channelId }, signal);
  }

  answer(channelId: string, signal?: AbortSignal): Promise<void> {
    return this.port.command('channels', 'answer', { channelId }, signal);
  }

  ring(channelId: string, signal?: AbortSignal): Promise<void> {
    return this.port.command('channels', 'ring', { channelId }, signal);
  }

  /** Hangs up; a channel already gone (404) counts as hung up. */
  async hangup(channelId: string, reason?: HangupReason | { code: number }): Promise<void> {
    const params: Record<string, unknown> = { channelId };
    if (typeof reason === 'string') params.reason = reason;
    else if (reason) params.reason_code = String(reason.code);
    try {
      await this.port.command('channels', 'hangup', params);
    } catch (err) {
      if (err instanceof AriError && err.kind === 'not-found') return;
      throw err;
    }
  }

  async getVariable(channelId: string, name: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const v = await this.port.call<{ value: string }>('channels', 'getChannelVar', { channelId, variable: name }, signal);
      return v.value;
    } catch (err) {
      if (err instanceof AriError && err.kind === 'not-found' && /variable/i.test(err.message)) return undefined;
      // A function with nothing to read (PJSIP_HEADER of a header the INVITE did not have) fails with a 500.
      if (err instanceof AriError && err.kind === 'server' && name.includes('(')) return undefined;
      throw err;
    }
  }

  setVariable(channelId: string, name: string, value: string, signal?: AbortSignal): Promise<void> {
    try {
      checkChannelValue(name, value);
    } catch (err) {
      return Promise.reject(new AriError('setChannelVar', 'bad-request', (err as Error).message, 400));
    }
    return this.port.command('channels', 'setChannelVar', { channelId, variable: name, value }, signal);
  }

  sendDtmf(channelId: string, dtmf: string, options: { betweenMs?: number; durationMs?: number } = {}, signal?: AbortSignal): Promise<void> {
    if (!/^[0-9A-Da-d#*,]+$/.test(dtmf)) return Promise.reject(new AriError('sendDTMF', 'bad-request', `"${dtmf}" is not a DTMF string (0-9, A-D, *, #, and , for a pause)`, 400));
    const params: Record<string, unknown> = { channelId, dtmf };
    if (options.betweenMs !== undefined) params.between = options.betweenMs;
    if (options.durationMs !== undefined) params.duration = options.durationMs;
    return this.port.command('channels', 'sendDTMF', params, signal);
  }

  continueInDialplan(channelId: string, target: { context?: string; extension?: string; priority?: number; label?: string }, signal?: AbortSignal): Promise<void> {
    return this.port.command('channels', 'continueInDialplan', { channelId, ...target }, signal);
  }

  /**
   * Mutes a channel: `in` stops what the caller says from reaching the others (a conference's muted participant),
   * `out` what they hear, `both` either way. Unmute takes the same direction back (ARI POST/DELETE /channels/{id}/mute).
   */
  mute(channelId: string, direction: 'in' | 'out' | 'both', signal?: AbortSignal): Promise<void> {
    return this.port.command('channels', 'mute', { channelId, direction }, signal);
  }

  unmute(channelId: string, direction: 'in' | 'out' | 'both', signal?: AbortSignal): Promise<void> {
    return this.port.command('channels', 'unmute', { channelId, direction }, signal);
  }

  /** POST /channels/{channelId}/snoop/{snoopId} (snoopChannelWithId, since Asterisk 12.2): the snoop enters our application. */
  snoop(channelId: string, request: SnoopRequest, signal?: AbortSignal): Promise<Channel> {
    const params: Record<string, unknown> = { channelId, snoopId: request.snoopId, spy: request.spy, app: this.port.app };
    if (request.appArgs && request.appArgs.length > 0) params.appArgs = request.appArgs.join(',');
    return this.port.call<Channel>('channels', 'snoopChannelWithId', params, signal);
  }

  /**
   * POST /channels/externalMedia. rtp over udp: the channel enters our application answered (chan_rtp.c rtp_call
   * answers at once). Its answer carries `channelvars` (resource_channels.c external_media_rtp_udp), among them
   * UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT: where its RTP comes from and where ours must go.
   * websocket (encapsulation none, connection_type server, no external_host: resource_channels.c lines 2610-2660):
   * the answer's MEDIA_WEBSOCKET_CONNECTION_ID (chan_websocket.c set_channel_variables) names /media/<id>, which this
   * process connects to; the channel is answered and enters the application once it has (websocket_handoff_to_channel).
   */
  async externalMedia(request: ExternalMediaRequest, signal?: AbortSignal): Promise<ExternalMediaChannel> {
    refuseVariables('externalMedia', { endpoint: '', variables: request.variables ?? {} });
    const { originated, tracked } = this.port;
    const channelId = request.channelId;
    originated.add(channelId);
    tracked.add(channelId);
    const websocket = request.transport === 'websocket';
    const params: Record<string, unknown> = websocket
      ? { channelId, app: this.port.app, format: request.format, encapsulation: 'none', transport: 'websocket', connection_type: 'server' }
      : { channelId, app: this.port.app, external_host: request.externalHost, format: request.format, encapsulation: 'rtp', transport: 'udp' };
    if (request.appArgs && request.appArgs.length > 0) params.data = request.appArgs.join(',');
    const variables = this.marked(request.variables);
    if (variables) params.variables = variables;
    try {
      const answer = await this.port.call<Channel & { channelvars?: Record<string, unknown> }>('channels', 'externalMedia', params, signal);
      const vars = answer.channelvars ?? {};
      const address = vars.UNICASTRTP_LOCAL_ADDRESS;
      const port = Number(vars.UNICASTRTP_LOCAL_PORT);
      const { channelvars: _vars, ...channel } = answer;
      const local = typeof address === 'string' && address !== '' && Number.isInteger(port) && port > 0 && port < 65536 ? { address, port } : undefined;
      const connectionId = vars.MEDIA_WEBSOCKET_CONNECTION_ID;
      // A UUID (ast_uuid_generate_str); anything else is not put into a URL.
      const ws = websocket && typeof connectionId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(connectionId) ? { connectionId, ...this.port.mediaSocket(connectionId) } : undefined;
      return ws ? { channel, local, websocket: ws } : { channel, local };
    } catch (err) {
      originated.delete(channelId);
      tracked.delete(channelId);
      throw err;
    }
  }

  redirect(channelId: string, endpoint: string, signal?: AbortSignal): Promise<void> {
    return this.port.command('channels', 'redirect', { channelId, endpoint }, signal);
  }
}

/**
 * Asterisk's media WebSocket for a connection id: the ARI URL (with http.conf's prefix, if any) on ws(s) (chan_websocket serves /media on the
 * same HTTP server as ARI: http_uri "media", chan_websocket.c lines 1945-1953), with the ARI credentials. Asterisk
 * itself does not ask for them there (the connection id, a random UUID, is the key); a proxy in front may.
 */
export function mediaSocketOf(ariUrl: string, credentials: BasicCredentials, connectionId: string): { url: string; headers: Record<string, string> } {
  const url = webSocketUrl(ariUrl, `/media/${encodeURIComponent(connectionId)}`).href;
  return { url, headers: { Authorization: basicAuthorization(credentials) } };
}
