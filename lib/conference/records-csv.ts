/**
 * The CSV export of meeting records: one row per participant of each ended meeting (a meeting nobody's stay was
 * recorded in has one row without a participant), read from the store a page at a time so that an export of any size
 * holds one page in memory. Cells are written as the campaign attempts export writes them (lib/campaign/csv.ts):
 * a cell a spreadsheet would run as a formula gets a leading ', numbers are masked but their last four digits (a
 * caller id is the caller's to choose: whatever it holds, it is a text cell), times are ISO 8601 in UTC.
 */
import { csvCell, maskNumber } from '../campaign/csv';
import type { MeetingRecord } from '../schemas/store';
import type { Page } from '../store/port';

/** Records read from the store at a time. */
export const RECORDS_CSV_PAGE = 500;

export const MEETING_RECORD_COLUMNS = ['meeting', 'room', 'callFlow', 'startedAt', 'endedAt', 'ended', 'number', 'role', 'joinedAt', 'leftAt', 'why', 'recording'] as const;

function iso(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15 ? '' : new Date(ms).toISOString();
}

/** The rows of one record, CRLF-terminated. `room` is the room's id, else the meeting's key (code:<digits>, number:<dialed>). */
export function* meetingRecordLines(record: MeetingRecord): Generator<string> {
  const meeting = [record.id, record.room ?? record.key, record.callFlow, iso(record.startedAt), iso(record.endedAt), record.reason];
  const participants = record.participants.length > 0 ? record.participants : [undefined];
  for (const p of participants) {
    const cells: unknown[] = [...meeting, p ? maskNumber(p.caller) : undefined, p?.role, iso(p?.joinedAt), iso(p?.leftAt), p?.reason, record.recording];
    yield `${cells.map(csvCell).join(',')}\r\n`;
  }
}

/**
 * The export, header first, one page of records at a time from `page` (the store's pageMeetingRecords with the
 * cursor of the page before). A page's lines are yielded before the next page is read: a consumer that waits
 * (a slow client) holds the reading back.
 */
export async function* meetingRecordsCsv(page: (after: string | undefined, limit: number) => Promise<Page<MeetingRecord>>): AsyncGenerator<string> {
  yield `${MEETING_RECORD_COLUMNS.join(',')}\r\n`;
  let after: string | undefined;
  do {
    const next = await page(after, RECORDS_CSV_PAGE);
    for (const record of next.items) yield* meetingRecordLines(record);
    after = next.next;
  } while (after);
}
