/**
 * Who hears which event: listeners on the whole application, and watchers of one channel. Every event goes to the
 * application's listeners, then to the watchers of each channel it names (a channel property, ChannelLost's id, a
 * playback's or recording's channel target). A throwing listener is logged and the others still hear the event.
 *
 * Lists are copied on write: delivery walks the array it found, so a listener added or removed during an event
 * changes the next event's array, not this one's, and delivering an event allocates nothing for the usual event that
 * names one channel.
 */
import type { Logger } from '../log';
import type { ChannelWatcher, TelephonyEvent, TelephonyListener } from './port';

/** What watches a channel: a listener function, or an object that hears the events itself. */
export type Watcher = TelephonyListener | ChannelWatcher;

/** Hands `event` to a watcher, whichever of the two it is. */
export function tellWatcher(watcher: Watcher, event: TelephonyEvent): void {
  if (typeof watcher === 'function') watcher(event);
  else watcher.onChannelEvent(event);
}

/** The properties of an event that hold a channel, and those that hold a playback's or recording's target. */
const CHANNEL_KEYS = ['channel', 'peer', 'caller', 'replace_channel'] as const;
const TARGET_KEYS = ['playback', 'recording'] as const;
const CANDIDATES = CHANNEL_KEYS.length + 1 + TARGET_KEYS.length;

/** The i-th place an event can name a channel in: a channel property, ChannelLost's id, a playback's or recording's target. */
function candidateId(event: TelephonyEvent, i: number): string | undefined {
  const e = event as unknown as Partial<Record<string, unknown>>;
  if (i < CHANNEL_KEYS.length) {
    const id = (e[CHANNEL_KEYS[i] as string] as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? id : undefined;
  }
  if (i === CHANNEL_KEYS.length) return event.type === 'ChannelLost' ? event.channelId : undefined;
  const target = (e[TARGET_KEYS[i - CHANNEL_KEYS.length - 1] as string] as { target_uri?: unknown } | undefined)?.target_uri;
  return typeof target === 'string' && target.startsWith('channel:') ? target.slice('channel:'.length) : undefined;
}

/** The channels an event is about: one id (most events), several, or none; allocates only for several. */
export function channelIdsOf(event: TelephonyEvent): string | string[] | undefined {
  let one: string | undefined;
  let many: string[] | undefined;
  for (let i = 0; i < CANDIDATES; i += 1) {
    const id = candidateId(event, i);
    if (id === undefined) continue;
    if (one === undefined) one = id;
    else if (id !== one && !many?.includes(id)) (many ??= [one]).push(id);
  }
  return many ?? one;
}

export class Subscriptions {
  private appListeners: readonly TelephonyListener[] = [];
  private readonly watchers = new Map<string, readonly Watcher[]>();

  constructor(private readonly log: Logger) {}

  onEvent(listener: TelephonyListener): () => void {
    if (!this.appListeners.includes(listener)) this.appListeners = [...this.appListeners, listener];
    return () => {
      if (this.appListeners.includes(listener)) this.appListeners = this.appListeners.filter((l) => l !== listener);
    };
  }

  watchChannel(channelId: string, listener: TelephonyListener): () => void {
    this.add(channelId, listener);
    return () => this.remove(channelId, listener);
  }

  /** A watcher of the channel's events until remove(); one already watching it is not added twice. */
  add(channelId: string, watcher: Watcher): void {
    const list = this.watchers.get(channelId);
    if (!list) this.watchers.set(channelId, [watcher]);
    else if (!list.includes(watcher)) this.watchers.set(channelId, [...list, watcher]);
  }

  remove(channelId: string, watcher: Watcher): void {
    const l = this.watchers.get(channelId);
    if (!l?.includes(watcher)) return;
    if (l.length === 1) this.watchers.delete(channelId);
    else this.watchers.set(channelId, l.filter((x) => x !== watcher));
  }

  /** Number of channels with watchers (for leak checks). */
  get watchedChannels(): number {
    return this.watchers.size;
  }

  /** The event to the application's listeners, then to the watchers of each channel it names. */
  deliver(event: TelephonyEvent): void {
    const ids = channelIdsOf(event);
    for (const listener of this.appListeners) this.safely(listener, event);
    if (typeof ids === 'string') this.toWatchers(ids, event);
    else if (ids) for (const id of ids) this.toWatchers(id, event);
  }

  /** The end of a channel ends its subscriptions, whether or not their owners remembered to remove them. */
  endChannel(channelId: string): void {
    this.watchers.delete(channelId);
  }

  private toWatchers(channelId: string, event: TelephonyEvent): void {
    const list = this.watchers.get(channelId);
    if (list) for (const watcher of list) this.safely(watcher, event);
  }

  private safely(listener: Watcher, event: TelephonyEvent): void {
    try {
      tellWatcher(listener, event);
    } catch (err) {
      this.log.error(`a listener failed on ${event.type}: ${(err as Error).stack ?? String(err)}`);
    }
  }
}
