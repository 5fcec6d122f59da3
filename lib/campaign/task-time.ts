/**
 * When a task dials: from its start time to its end time (local times in
 * the task's zone; either may be unset) and, in between, within its calling
 * hours (calendar.ts); and the local days the result policy counts in
 * (daysOf). Made from the settings the task runs with, again whenever they
 * change.
 *
 * Apart from dialer.ts because it is the task's time, not dialing: the
 * dialer asks it at each tick whether to dial, and how long to wait when not.
 */
import type { CampaignDocument, CampaignSettings } from '../schemas/campaign';
import { CallingCalendar, daysOf, localToInstant } from './calendar';
import type { Days } from './policy';

/** The longest a dialer waiting for its start or its hours sleeps before it looks again. */
const IDLE_LOOK_MS = 60_000;

export class TaskTime {
  private readonly calendar: CallingCalendar;
  /** The result policy's local days over the same calendar. */
  readonly days: Days;
  /** The task's start and end as instants. */
  readonly startAt: number | undefined;
  readonly endAt: number | undefined;

  constructor(settings: CampaignSettings) {
    this.calendar = new CallingCalendar(settings.hours, settings.timezone);
    this.days = daysOf(this.calendar, settings.timezone);
    this.startAt = settings.startAt ? localToInstant(settings.startAt, settings.timezone) : undefined;
    this.endAt = settings.endAt ? localToInstant(settings.endAt, settings.timezone) : undefined;
  }

  /** Whether the task's end time has passed at `now`. */
  ended(now: number): boolean {
    return this.endAt !== undefined && now >= this.endAt;
  }

  /** Why a tick at `now` does not dial (before the task's start, outside its hours), or undefined: it may. */
  closed(now: number): 'before-start' | 'outside-hours' | undefined {
    if (this.startAt !== undefined && now < this.startAt) return 'before-start';
    return this.calendar.isOpen(now) ? undefined : 'outside-hours';
  }

  /** How long a dialer closed at `now` waits before it looks again: until its start or its hours open, at most IDLE_LOOK_MS. */
  waitMs(now: number): number {
    if (this.startAt !== undefined && now < this.startAt) return Math.min(this.startAt - now, IDLE_LOOK_MS);
    const open = this.calendar.nextOpen(now);
    return open === undefined ? IDLE_LOOK_MS : Math.max(1, Math.min(open - now, IDLE_LOOK_MS));
  }

  /** When the task `doc` started: its start operation (an older document: its last change), or its start time when later. */
  startedAt(doc: CampaignDocument | undefined): number | undefined {
    if (!doc || (doc.state !== 'running' && doc.state !== 'suspended')) return undefined;
    const began = doc.startedAt ?? doc.changedAt;
    return this.startAt !== undefined ? Math.max(began, this.startAt) : began;
  }
}
