/**
 * One meeting: an ARI mixing bridge (one per meeting) and the callers in it.
 *
 * A caller joins as a host or a participant; the meeting refuses them when it
 * is locked (participants only) or full. In the bridge, a participant of a
 * meeting that waits for its host hears music on hold (bridge MOH) until a
 * host is in; tones go into the bridge as callers join and leave; a muted
 * caller's voice is kept from the others (channel mute, direction in).
 * A caller's stay ends when they hang up (the join rejects, as every
 * element's operation does when the call ends), press the leave key, are
 * kicked, or the meeting ends (the last host left with "end when the last
 * host leaves", or someone ended it); then they leave the bridge, unmuted,
 * and their flow goes on. The last caller out destroys the bridge (and stops
 * the meeting's recording): nothing of a meeting is left on Asterisk.
 *
 * In-meeting keys (ChannelDtmfReceived while in the bridge), by default (the
 * `keys` property changes them): 1 mute or unmute yourself, 2 hear how many
 * others are in, # leave; hosts also 3 lock or unlock, 4 mute or unmute every
 * participant.
 */
import { randomUUID } from 'node:crypto';
import { abortReason } from '../ari/errors';
import type { Telephony, TelephonyEvent } from '../ari/port';
import type { CallSession } from '../call/session';
import type { MeetingRoom } from '../schemas/conference';
import type { MeetingRecord } from '../schemas/store';
import { ENTRY_TONE, EXIT_TONE, type ResolvedProperties } from './callflows';
import type { RecordedNames } from './names';
import type { Role } from './rooms';

/** Bridges of meetings are named so (bridge id); a bridge with this prefix that no meeting here knows is a leftover. */
export const MEETING_BRIDGE_PREFIX = 'callflow-meeting-';


export type LeaveReason = 'key' | 'kicked';
export type EndReason = 'last-host-left' | 'ended';
export type RefusedReason = 'locked' | 'full';

/** How a caller's stay in a meeting ended (a hang-up rejects instead). */
export type Stay = { outcome: 'left'; reason: LeaveReason } | { outcome: 'ended'; reason: EndReason } | { outcome: 'refused'; reason: RefusedReason };

export interface Participant {
  call: string;
  channel: string;
  role: Role;
  caller: string;
  muted: boolean;
  joinedAtMs: number;
}

export type MeetingEventType =
  | 'meeting-started'
  | 'meeting-ended'
  | 'participant-joined'
  | 'participant-left'
  | 'participant-muted'
  | 'participant-unmuted'
  | 'meeting-locked'
  | 'meeting-unlocked';

export interface MeetingEvent {
  type: MeetingEventType;
  meeting: string;
  room?: string;
  atMs: number;
  participant?: Participant;
  /** Why a participant left or the meeting ended. */
  reason?: string;
  /** Callers in the meeting after the event. */
  count: number;
}

interface Member extends Participant {
  session: CallSession;
  /** The caller's recorded name (announce names): the meeting deletes it once they have left. */
  name?: string;
  /** In the bridge (not only counted: still hearing their greeting, or on their way in). */
  inBridge: boolean;
  /** Ends the caller's stay (leave key, kick, the meeting's end). */
  finish(stay: Stay): void;
}

export interface MeetingOptions {
  /** The meeting's key in its registry: a room's id, `code:<digits>` (made on the fly), `number:<dialed>` (direct). */
  key: string;
  /** The bridge's name: says which Node-RED instance made it (bridgeName). */
  bridgeName: string;
  room?: MeetingRoom;
  properties: ResolvedProperties;
  telephony: Telephony;
  log: { warn(message: string): void };
  /** Callers' recorded names: the meeting deletes a caller's once they are out. */
  names: RecordedNames;
  /** Meeting events, for the registry's listeners (dashboards, the store). */
  emit(event: MeetingEvent): void;
  /** The meeting ended and its bridge is gone: the registry forgets it. */
  ended(meeting: Meeting): void;
  /** The call flow the meeting was made with (for its record). */
  callFlow?: string;
  /** Keeps the record of a meeting that started, once it ends (the meeting rooms node's store); a failure is logged. */
  save?: (record: MeetingRecord) => Promise<void>;
}

export class Meeting {
  readonly id = randomUUID();
  readonly bridgeId = `${MEETING_BRIDGE_PREFIX}${this.id}`;
  readonly key: string;
  readonly room: MeetingRoom | undefined;
  readonly properties: ResolvedProperties;
  readonly createdAtMs = Date.now();
  startedAtMs: number | undefined;
  private readonly members = new Map<string, Member>();
  /** Who was in the meeting and when, for its record (bounded as the record's schema is). */
  private readonly history: MeetingRecord['participants'] = [];
  private bridge: Promise<void> | undefined;
  private locked = false;
  private closing = false;
  private moh = false;
  private recordingName: string | undefined;
  private readonly telephony: Telephony;

  constructor(private readonly options: MeetingOptions) {
    this.key = options.key;
    this.room = options.room;
    this.properties = options.properties;
    this.telephony = options.telephony;
  }

  /** An ended meeting takes nobody; its registry makes a new one for the next caller. */
  get isEnded(): boolean {
    return this.closing;
  }

  get isLocked(): boolean {
    return this.locked;
  }

  get count(): number {
    return this.members.size;
  }

  get recording(): string | undefined {
    return this.recordingName;
  }

  participants(): Participant[] {
    return [...this.members.values()].map(participantOf);
  }

  private inBridgeCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.inBridge) n += 1;
    return n;
  }

  /** A host is in the bridge. */
  private get hostIn(): boolean {
    for (const m of this.members.values()) if (m.role === 'host' && m.inBridge) return true;
    return false;
  }

  /** Whether a caller with this role may come in now; the reason when not. */
  refusal(role: Role): RefusedReason | undefined {
    if (this.locked && role !== 'host') return 'locked';
    if (this.members.size >= this.properties.maxParticipants) return 'full';
    return undefined;
  }

  /**
   * The caller's stay in the meeting, from joining to leaving. The caller hears, on their own channel first, that they
   * are alone, wait for a host, or how many are in. Rejects when the call ends (the caller hung up). `name` is the
   * caller's recorded name: the meeting announces them by it and deletes it once they are out (or refused).
   */
  async join(session: CallSession, role: Role, signal: AbortSignal, name?: string): Promise<Stay> {
    const refused = this.refusal(role);
    if (refused) {
      if (name) this.options.names.discard(name);
      return { outcome: 'refused', reason: refused };
    }
    const stay = new Promise<Stay>((resolve) => {
      const member: Member = {
        session,
        call: session.id,
        channel: session.channelId,
        role,
        caller: session.caller.number,
        muted: false,
        inBridge: false,
        joinedAtMs: Date.now(),
        finish: (s) => resolve(s),
        ...(name ? { name } : {}),
      };
      // Counted at once: two callers for the last place cannot both get it.
      this.members.set(session.channelId, member);
    });
    const member = this.members.get(session.channelId) as Member;
    const unwatch = this.telephony.watchChannel(session.channelId, (event) => this.onMemberEvent(member, event));
    const aborted = untilAborted(signal);
    let inBridge = false;
    try {
      this.bridge ??= this.telephony.createBridge({ bridgeId: this.bridgeId, type: 'mixing', name: this.options.bridgeName }).then(() => undefined);
      await this.bridge;
      await this.greet(member, signal);
      // The meeting ended while the caller heard their greeting: they do not go into a bridge on its way out.
      if (this.closing) return { outcome: 'ended', reason: this.endReason ?? 'ended' };
      // The music for those waiting stops before the host is in: the host hears none of it.
      if (role === 'host' && this.moh) {
        this.moh = false;
        await this.telephony.stopBridgeMoh(this.bridgeId).catch(() => undefined);
      }
      await this.enter(member, signal, aborted.promise);
      inBridge = true;
      member.inBridge = true;
      this.emit('participant-joined', { participant: member });
      if (role !== 'host' && this.properties.mutedOnEntry) await this.setMuted(member, true);
      // Heard by whoever is in the bridge already: none when the caller is the first in (others may be on their way).
      const heardBy = this.inBridgeCount() - 1;
      if (this.properties.entryExitTones && heardBy > 0) this.intoBridge([ENTRY_TONE]);
      const arrival = heardBy > 0 ? this.announcement(member, this.properties.prompts.hasJoined) : undefined;
      if (arrival) this.intoBridge(arrival);
      this.settleMusic();
      if (this.startedAtMs === undefined && (!this.properties.waitForHost || this.hostIn)) this.start();
      return await Promise.race([stay, aborted.promise]);
    } finally {
      aborted.off();
      unwatch();
      await this.depart(member, inBridge, signal.aborted);
    }
  }

  /** Ends the meeting for everyone in it (a host's last exit with end-when-the-last-host-leaves, or a command). */
  end(reason: EndReason = 'ended'): void {
    if (this.closing) return;
    this.closing = true;
    for (const m of this.members.values()) m.finish({ outcome: 'ended', reason });
    if (this.members.size === 0) void this.close(reason);
    else this.endReason = reason;
  }

  private endReason: EndReason | undefined;

  /** Takes one caller out (kick): their flow goes on from the conference node's "left" output. */
  kick(channelId: string): boolean {
    const m = this.members.get(channelId);
    if (!m) return false;
    m.finish({ outcome: 'left', reason: 'kicked' });
    return true;
  }

  setLocked(locked: boolean): void {
    if (this.locked === locked) return;
    this.locked = locked;
    this.emit(locked ? 'meeting-locked' : 'meeting-unlocked', {});
  }

  /** Mutes or unmutes one caller (their voice, not what they hear). */
  async mute(channelId: string, muted: boolean): Promise<boolean> {
    const m = this.members.get(channelId);
    if (!m) return false;
    await this.setMuted(m, muted);
    return true;
  }

  /** Mutes or unmutes every participant (not the hosts). */
  async muteParticipants(muted: boolean): Promise<void> {
    await Promise.all([...this.members.values()].filter((m) => m.role !== 'host').map((m) => this.setMuted(m, muted).catch(() => undefined)));
  }

  /** Plays prompts into the meeting (everyone hears them); resolves when they are over. */
  async announce(prompts: string[]): Promise<void> {
    if (prompts.length === 0 || !this.bridge) return;
    await this.bridge;
    await this.telephony.play({ bridgeId: this.bridgeId }, prompts, this.properties.language ? { lang: this.properties.language } : {});
  }

  // ------------------------------------------------------------------ a caller's way in and out

  /** What the caller hears on their own channel before entering: alone, waiting for a host, or how many are in. */
  private async greet(member: Member, signal: AbortSignal): Promise<void> {
    const p = this.properties;
    const others = this.members.size - 1;
    let prompts: string[] = [];
    if (member.role !== 'host' && p.waitForHost && !this.hostIn) prompts = p.prompts.waitForHost;
    else if (others === 0) prompts = p.prompts.onlyPerson;
    else if (p.announceCount) prompts = countPrompts(others);
    if (prompts.length > 0) await this.playTo(member, prompts, signal);
  }

  private async playTo(member: Member, prompts: string[], signal: AbortSignal): Promise<void> {
    const lang = this.properties.language || member.session.settings.language || '';
    await this.telephony.play({ channelId: member.channel }, prompts, lang ? { signal, lang } : { signal });
  }

  /** Into the bridge, once Asterisk says the channel entered it. */
  private async enter(member: Member, signal: AbortSignal, aborted: Promise<never>): Promise<void> {
    let off: (() => void) | undefined;
    const entered = new Promise<void>((resolve) => {
      off = this.telephony.watchChannel(member.channel, (event) => {
        if (event.type === 'ChannelEnteredBridge' && event.bridge.id === this.bridgeId) resolve();
      });
    });
    try {
      await this.telephony.addToBridge(this.bridgeId, [member.channel], signal);
      await Promise.race([entered, aborted]);
    } finally {
      off?.();
    }
  }

  private async depart(member: Member, inBridge: boolean, hungUp: boolean): Promise<void> {
    // The caller's recorded name goes once their leave announcement is over, or at once when there is none.
    let nameKept = false;
    try {
      nameKept = await this.leave(member, inBridge, hungUp);
    } finally {
      if (member.name && !nameKept) this.options.names.discard(member.name);
    }
  }

  /** A caller's way out; true when their name is still to be announced (the announcement deletes it). */
  private async leave(member: Member, inBridge: boolean, hungUp: boolean): Promise<boolean> {
    this.members.delete(member.channel);
    const stillOnCall = !hungUp && !member.session.signal.aborted;
    if (inBridge) {
      const reason = hungUp ? 'hangup' : (this.endReason ?? 'left');
      if (this.history.length < 10_000) this.history.push({ call: member.call, caller: member.caller.slice(0, 200), role: member.role, joinedAt: member.joinedAtMs, leftAt: Date.now(), reason });
      this.emit('participant-left', { participant: member, reason });
      if (stillOnCall) {
        // Back to the flow as it came: out of the bridge, and heard again.
        await this.telephony.removeFromBridge(this.bridgeId, [member.channel]).catch(() => undefined);
        if (member.muted) await this.telephony.unmute(member.channel, 'in').catch(() => undefined);
      }
    }
    if (this.members.size === 0) {
      await this.close(this.endReason ?? 'ended');
      return false;
    }
    if (this.closing) return false;
    if (inBridge && this.properties.entryExitTones) this.intoBridge([EXIT_TONE]);
    const departure = inBridge ? this.announcement(member, this.properties.prompts.hasLeft) : undefined;
    const { name } = member;
    if (departure) {
      void this.announce(departure)
        .catch(() => undefined)
        .then(() => {
          if (name) this.options.names.discard(name);
        });
    }
    if (member.role === 'host' && !this.hostIn) {
      if (this.properties.endWhenLastHostLeaves) {
        const remaining = [...this.members.values()];
        await this.announce(this.properties.prompts.hostLeft).catch(() => undefined);
        if (remaining.some((m) => this.members.has(m.channel))) this.end('last-host-left');
        return departure !== undefined;
      }
    }
    this.settleMusic();
    return departure !== undefined;
  }

  /**
   * How a caller is announced as they join or leave: by their recorded name (announce names), else by the digits of
   * their number (announce joins and leaves), then `prompts`; undefined when they are not announced.
   */
  private announcement(member: Member, prompts: string[]): string[] | undefined {
    if (member.name) return [`recording:${member.name}`, ...prompts];
    return this.properties.announceJoinLeave ? announced(member.caller, prompts) : undefined;
  }

  /** Music while participants wait for a host; none once one is in (or when nobody waits). */
  private settleMusic(): void {
    if (this.closing) return;
    const waiting = this.properties.waitForHost && !this.hostIn && this.members.size > 0;
    if (waiting && !this.moh) {
      this.moh = true;
      this.telephony.startBridgeMoh(this.bridgeId, this.properties.musicOnHoldClass || undefined).catch((err: unknown) => {
        this.moh = false;
        this.options.log.warn(`meeting ${this.key}: music on hold did not start: ${(err as Error).message}`);
      });
    } else if (!waiting && this.moh) {
      this.moh = false;
      this.telephony.stopBridgeMoh(this.bridgeId).catch(() => undefined);
    }
    if (!waiting && this.startedAtMs === undefined && this.members.size > 0) this.start();
  }

  private start(): void {
    if (this.startedAtMs !== undefined) return;
    this.startedAtMs = Date.now();
    this.emit('meeting-started', {});
    if (this.properties.record) {
      const name = `meeting-${this.id}`;
      this.recordingName = name;
      this.telephony.record({ bridgeId: this.bridgeId }, { name, format: 'wav', ifExists: 'overwrite', beep: false }).catch((err: unknown) => {
        this.options.log.warn(`meeting ${this.key}: recording ${name} failed: ${(err as Error).message}`);
      });
    }
  }

  private async close(reason: EndReason): Promise<void> {
    this.closing = true;
    this.moh = false;
    if (this.recordingName) await this.telephony.stopRecording(this.recordingName).catch(() => undefined);
    if (this.bridge) {
      await this.bridge.catch(() => undefined);
      await this.telephony.destroyBridge(this.bridgeId).catch((err: unknown) => this.options.log.warn(`meeting ${this.key}: its bridge ${this.bridgeId} was not destroyed: ${(err as Error).message}`));
    }
    if (this.startedAtMs !== undefined) {
      this.emit('meeting-ended', { reason });
      this.keepRecord(reason);
    }
    this.options.ended(this);
  }

  private keepRecord(reason: EndReason): void {
    const save = this.options.save;
    if (!save || this.startedAtMs === undefined) return;
    const record: MeetingRecord = { id: this.id, key: this.key.slice(0, 200), startedAt: this.startedAtMs, endedAt: Date.now(), reason, participants: this.history };
    if (this.room) record.room = this.room.id;
    if (this.options.callFlow) record.callFlow = this.options.callFlow;
    if (this.recordingName) record.recording = this.recordingName;
    save(record).catch((err: unknown) => this.options.log.warn(`meeting ${this.key}: its record was not stored: ${(err as Error).message}`));
  }

  // ------------------------------------------------------------------ in the meeting

  private onMemberEvent(member: Member, event: TelephonyEvent): void {
    if (event.type !== 'ChannelDtmfReceived' || !this.members.has(member.channel)) return;
    const key = event.digit;
    const host = member.role === 'host';
    const p = this.properties;
    const keys = p.keys;
    const fail = (err: unknown): void => this.options.log.warn(`meeting ${this.key}: key ${key} of call ${member.call}: ${(err as Error).message}`);
    if (key === keys.leave) member.finish({ outcome: 'left', reason: 'key' });
    else if (key === keys.mute) {
      const muted = !member.muted;
      this.setMuted(member, muted)
        .then(() => this.playTo(member, muted ? p.prompts.muted : p.prompts.unmuted, member.session.signal))
        .catch(fail);
    } else if (key === keys.count) {
      const others = this.members.size - 1;
      this.playTo(member, others === 0 ? p.prompts.onlyPerson : countPrompts(others), member.session.signal).catch(fail);
    } else if (key === keys.lock && host) {
      this.setLocked(!this.locked);
      this.playTo(member, this.locked ? p.prompts.lockedNow : p.prompts.unlockedNow, member.session.signal).catch(fail);
    } else if (key === keys.muteAll && host) {
      const anyUnmuted = [...this.members.values()].some((m) => m.role !== 'host' && !m.muted);
      this.muteParticipants(anyUnmuted).catch(fail);
    }
  }

  private async setMuted(member: Member, muted: boolean): Promise<void> {
    if (member.muted === muted) return;
    member.muted = muted;
    try {
      if (muted) await this.telephony.mute(member.channel, 'in');
      else await this.telephony.unmute(member.channel, 'in');
    } catch (err) {
      member.muted = !muted;
      throw err;
    }
    this.emit(muted ? 'participant-muted' : 'participant-unmuted', { participant: member });
  }

  private intoBridge(prompts: string[]): void {
    this.announce(prompts).catch(() => undefined);
  }

  private emit(type: MeetingEventType, extra: { participant?: Member; reason?: string }): void {
    const event: MeetingEvent = { type, meeting: this.id, atMs: Date.now(), count: this.members.size };
    if (this.room) event.room = this.room.id;
    if (extra.reason) event.reason = extra.reason;
    if (extra.participant) event.participant = participantOf(extra.participant);
    this.options.emit(event);
  }
}

/** What others may see of a member: a copy without the session and the meeting's own bookkeeping. */
function participantOf({ call, channel, role, caller, muted, joinedAtMs }: Member): Participant {
  return { call, channel, role, caller, muted, joinedAtMs };
}

/** A promise that rejects when the signal aborts (with its reason), and the way to stop listening. */
function untilAborted(signal: AbortSignal): { promise: Promise<never>; off: () => void } {
  let off = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    off = () => signal.removeEventListener('abort', onAbort);
  });
  // Nobody may be racing it any more when it rejects.
  promise.catch(() => undefined);
  return { promise, off };
}

/**
 * A caller announced by number: the digits of their number (a caller id is the caller's to choose: only 0-9 of it,
 * at most 20, reach the media URI), then the prompts. Without digits, the prompts alone.
 */
export function announced(caller: string, prompts: string[]): string[] {
  const digits = caller.replace(/[^0-9]/g, '').slice(0, 20);
  return digits ? [`digits:${digits}`, ...prompts] : [...prompts];
}

/** "There are N other participants" as ConfBridge says it (conf-thereare, the number, conf-otherinparty; conf-onlyone for one). */
export function countPrompts(others: number): string[] {
  if (others === 1) return ['sound:conf-onlyone'];
  return ['sound:conf-thereare', `number:${others}`, 'sound:conf-otherinparty'];
}
