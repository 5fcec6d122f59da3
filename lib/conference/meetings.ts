/**
 * The meetings in progress on one Asterisk connection, by key (a room's id, a code's meeting made on the fly, a
 * number's direct meeting). Finding or making a meeting is synchronous, so two callers who enter the same new code at
 * the same instant are in one meeting, not two. Listeners hear every meeting's events (dashboards, the store).
 *
 * Bridges of meetings have ids starting with MEETING_BRIDGE_PREFIX and a name that says which instance made them:
 * after a restart of Node-RED or a reconnect, sweep() destroys this instance's that no meeting here knows, as the
 * call registry ends calls nobody handles, and deletes this instance's recorded names (names.ts) nobody holds.
 */
import type { Telephony } from '../ari/port';
import type { Bridge } from '../ari/types';
import type { MeetingRoom } from '../schemas/conference';
import type { MeetingRecord } from '../schemas/store';
import type { ResolvedProperties } from './callflows';
import { MEETING_BRIDGE_PREFIX, Meeting, type MeetingEvent } from './meeting';
import { RecordedNames } from './names';

export class LiveMeetings {
  private readonly meetings = new Map<string, Meeting>();
  private readonly listeners = new Set<(event: MeetingEvent) => void>();
  /** Callers' recorded names (announce names) on this connection. */
  readonly names: RecordedNames;

  constructor(
    private readonly telephony: Telephony,
    private readonly log: { warn(message: string): void },
    /** This Node-RED instance's name (several may share an Asterisk: each sweeps only its own bridges). */
    private readonly instance = '',
  ) {
    this.names = new RecordedNames(telephony, log, instance);
  }

  /** The name every meeting bridge of this instance has. */
  get bridgeName(): string {
    return `callflow-meetings ${this.instance}`.trim();
  }

  /** The meeting in progress under this key, or a new one with these properties (the first caller's). */
  meetingFor(
    key: string,
    room: MeetingRoom | undefined,
    properties: ResolvedProperties,
    keep: { callFlow?: string; save?: (record: MeetingRecord) => Promise<void> } = {},
  ): Meeting {
    const current = this.meetings.get(key);
    if (current && !current.isEnded) return current;
    const meeting = new Meeting({
      key,
      bridgeName: this.bridgeName,
      ...(room ? { room } : {}),
      ...keep,
      properties,
      names: this.names,
      telephony: this.telephony,
      log: this.log,
      emit: (event) => this.emit(event),
      ended: (m) => {
        if (this.meetings.get(m.key) === m) this.meetings.delete(m.key);
      },
    });
    this.meetings.set(key, meeting);
    return meeting;
  }

  get(key: string): Meeting | undefined {
    return this.meetings.get(key);
  }

  byId(id: string): Meeting | undefined {
    for (const m of this.meetings.values()) if (m.id === id) return m;
    return undefined;
  }

  list(): Meeting[] {
    return [...this.meetings.values()];
  }

  onEvent(listener: (event: MeetingEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: MeetingEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log.warn(`a meeting event listener failed on ${event.type}: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The connection is closing: every meeting ends and its bridge is destroyed now, while the connection can still
   * say so (the calls themselves are hung up after this, by the call registry).
   */
  async closeAll(): Promise<void> {
    const all = [...this.meetings.values()];
    for (const m of all) m.end('ended');
    await Promise.all(all.map((m) => this.telephony.destroyBridge(m.bridgeId).catch(() => undefined)));
  }

  /**
   * This instance's meeting bridges that no meeting here knows (left by an earlier run): destroyed. Returns their ids.
   * Its recorded names nobody here holds go too (one warning).
   */
  async sweep(): Promise<string[]> {
    void this.names.sweep().then(
      (gone) => {
        if (gone.length > 0) this.log.warn(`deleted ${gone.length} recorded name(s) left by an earlier run: ${gone.join(', ')}`);
      },
      (err: unknown) => this.log.warn(`looking for leftover recorded names failed: ${(err as Error).message}`),
    );
    const bridges: Bridge[] = await this.telephony.listBridges();
    const known = new Set([...this.meetings.values()].map((m) => m.bridgeId));
    const stale = bridges.filter((b) => b.id.startsWith(MEETING_BRIDGE_PREFIX) && b.name === this.bridgeName && !known.has(b.id)).map((b) => b.id);
    await Promise.all(stale.map((id) => this.telephony.destroyBridge(id).catch((err: unknown) => this.log.warn(`leftover meeting bridge ${id}: ${(err as Error).message}`))));
    return stale;
  }
}
