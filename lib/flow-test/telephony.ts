/**
 * The telephony port of a flow test: no Asterisk behind it. A test call is a channel that exists only here; the
 * call registry hears of it (StasisStart) and of its end (a hangup the flow asks for, or the caller hanging up
 * where the tester says so) as it would from Asterisk, so sessions, msg.call and the call's end work as on a real
 * call. Channel variables live in a map. Any other request (a prompt, a dial, a bridge) is refused: in a test,
 * elements take their results from the tester and never get that far; a request that came here anyway is a
 * fault, said as such, never sent anywhere.
 */
import { HANGUP_REASONS, type HangupReason } from '../ari/causes';
import type { ChannelWatcher, ConnectionStatus, Telephony, TelephonyEvent, TelephonyListener } from '../ari/port';
import { tellWatcher, type Watcher } from '../ari/subscriptions';
import type { Channel } from '../ari/types';

export class FlowTestRefusal extends Error {}

export interface FlowTestTelephony extends Telephony {
  /** A new test call enters the application. */
  call(channelId: string, caller: string, dialed: string, args: string[]): void;
  /** The caller hangs up (cause 16). */
  callerHangsUp(channelId: string): void;
  /** The channel variables the test's calls set (set nodes with target "channel variable"). */
  readonly channelVars: Map<string, Map<string, string>>;
}

const IMPLEMENTED = new Set(['app', 'status', 'onEvent', 'watchChannel', 'addChannelWatcher', 'removeChannelWatcher', 'hangup', 'getVariable', 'setVariable', 'call', 'callerHangsUp', 'channelVars', 'then']);

export function flowTestTelephony(app = 'flow-test', status: ConnectionStatus = { state: 'connected', message: 'flow test: no Asterisk', attempt: 0 }): FlowTestTelephony {
  const listeners = new Set<TelephonyListener>();
  const watchers = new Map<string, Set<Watcher>>();
  const watch = (channelId: string, watcher: Watcher): void => {
    const set = watchers.get(channelId) ?? new Set();
    set.add(watcher);
    watchers.set(channelId, set);
  };
  const channels = new Map<string, Channel>();
  const channelVars = new Map<string, Map<string, string>>();
  const emit = (event: TelephonyEvent): void => {
    for (const l of [...listeners]) l(event);
    const id = 'channel' in event ? event.channel?.id : undefined;
    if (!id) return;
    for (const w of [...(watchers.get(id) ?? [])]) tellWatcher(w, event);
  };
  const base = { application: app, timestamp: new Date().toISOString() };
  const end = (channelId: string, soft: boolean, cause: number): void => {
    const channel = channels.get(channelId);
    if (!channel) return;
    channels.delete(channelId);
    channelVars.delete(channelId);
    emit({ ...base, type: 'ChannelHangupRequest', channel, ...(soft ? { soft: true } : { cause }) });
    emit({ ...base, type: 'StasisEnd', channel });
    watchers.delete(channelId);
  };
  const port = {
    app,
    status,
    channelVars,
    onEvent(listener: TelephonyListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    watchChannel(channelId: string, listener: TelephonyListener): () => void {
      watch(channelId, listener);
      return () => watchers.get(channelId)?.delete(listener);
    },
    addChannelWatcher(channelId: string, watcher: ChannelWatcher): void {
      watch(channelId, watcher);
    },
    removeChannelWatcher(channelId: string, watcher: ChannelWatcher): void {
      watchers.get(channelId)?.delete(watcher);
    },
    hangup(channelId: string, reason: HangupReason | { code: number } = 'normal'): Promise<void> {
      const cause = typeof reason === 'string' ? HANGUP_REASONS[reason] : reason.code;
      // Asterisk answers first and sends the events after: so does this.
      queueMicrotask(() => end(channelId, true, cause));
      return Promise.resolve();
    },
    getVariable(channelId: string, name: string): Promise<string | undefined> {
      return Promise.resolve(channelVars.get(channelId)?.get(name));
    },
    setVariable(channelId: string, name: string, value: string): Promise<void> {
      const vars = channelVars.get(channelId);
      if (vars && (vars.size < 1000 || vars.has(name))) vars.set(name, value);
      return Promise.resolve();
    },
    call(channelId: string, caller: string, dialed: string, args: string[]): void {
      const channel: Channel = {
        id: channelId,
        protocol_id: '',
        name: `FlowTest/${channelId}`,
        state: 'Ring',
        caller: { number: caller, name: '' },
        connected: { number: '', name: '' },
        accountcode: '',
        dialplan: { context: 'flow-test', exten: dialed, priority: 1, app_name: 'Stasis', app_data: '' },
        creationtime: base.timestamp,
        language: 'en',
      };
      channels.set(channelId, channel);
      channelVars.set(channelId, new Map());
      emit({ ...base, type: 'StasisStart', args, channel });
    },
    callerHangsUp(channelId: string): void {
      end(channelId, false, 16);
    },
  };
  // Everything else a Telephony offers: refused, naming the request.
  return new Proxy(port, {
    get(target, name, receiver) {
      if (typeof name !== 'string' || IMPLEMENTED.has(name)) return Reflect.get(target, name, receiver) as unknown;
      return () => Promise.reject(new FlowTestRefusal(`a flow test does not reach Asterisk (${name} was asked for)`));
    },
  }) as unknown as FlowTestTelephony;
}
