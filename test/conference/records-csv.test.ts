/**
 * The CSV export of meeting records (lib/conference/records-csv.ts): one row per participant, numbers masked and
 * formula-safe cells as the attempts export writes them, and the store read a page at a time, only as the rows are
 * taken (memory stays at a page whatever the export's size).
 */
import assert from 'node:assert/strict';
import { MEETING_RECORD_COLUMNS, RECORDS_CSV_PAGE, meetingRecordLines, meetingRecordsCsv } from '../../lib/conference/records-csv';
import { csvRecords } from '../../lib/campaign/csv';
import type { MeetingRecord } from '../../lib/schemas/store';
import type { Page } from '../../lib/store/port';

const AT = Date.UTC(2026, 0, 5, 9, 0, 0);

function record(id: string, participants: MeetingRecord['participants'], extra: Partial<MeetingRecord> = {}): MeetingRecord {
  return { id, key: 'room:board', room: 'board', callFlow: 'secured', startedAt: AT, endedAt: AT + 60_000, reason: 'ended', participants, ...extra };
}

describe('meeting records as CSV', function () {
  it('writes one row per participant: masked numbers, ISO times, a formula in a caller id defused', function () {
    const text = [
      `${MEETING_RECORD_COLUMNS.join(',')}\r\n`,
      ...meetingRecordLines(
        record(
          'm1',
          [
            { call: 'c1', caller: '+15550100', role: 'host', joinedAt: AT, leftAt: AT + 60_000, reason: 'hangup' },
            { call: 'c2', caller: '=HYPERLINK("http://x","1")', role: 'participant', joinedAt: AT + 1000, leftAt: AT + 2000, reason: 'left' },
          ],
          { recording: 'meeting-m1' },
        ),
      ),
    ].join('');
    const rows = [...csvRecords(text)].map((r) => MEETING_RECORD_COLUMNS.map((c) => r.record[c]));
    assert.deepEqual(rows, [
      ['m1', 'board', 'secured', '2026-01-05T09:00:00.000Z', '2026-01-05T09:01:00.000Z', 'ended', "'+****0100", 'host', '2026-01-05T09:00:00.000Z', '2026-01-05T09:01:00.000Z', 'hangup', 'meeting-m1'],
      ['m1', 'board', 'secured', '2026-01-05T09:00:00.000Z', '2026-01-05T09:01:00.000Z', 'ended', `'=HYPERLINK("http://x","1")`, 'participant', '2026-01-05T09:00:01.000Z', '2026-01-05T09:00:02.000Z', 'left', 'meeting-m1'],
    ]);
  });

  it('gives a meeting without a room its key, and one without participants a row of its own', function () {
    const lines = [...meetingRecordLines(record('m2', [], { room: undefined, key: 'code:555123', callFlow: undefined }))];
    assert.deepEqual(lines, ['m2,code:555123,,2026-01-05T09:00:00.000Z,2026-01-05T09:01:00.000Z,ended,,,,,,\r\n']);
  });

  it('reads the store a page at a time, and the next page only once the rows of the one before are taken', async function () {
    const pages: (string | undefined)[] = [];
    const all = Array.from({ length: RECORDS_CSV_PAGE + 1 }, (_, i) => record(`m${i}`, [{ call: `c${i}`, caller: '101', role: 'host', joinedAt: AT, leftAt: AT, reason: 'left' }]));
    const page = (after: string | undefined, limit: number): Promise<Page<MeetingRecord>> => {
      pages.push(after);
      assert.equal(limit, RECORDS_CSV_PAGE);
      const start = after === undefined ? 0 : Number(after);
      const items = all.slice(start, start + limit);
      return Promise.resolve(start + limit < all.length ? { items, next: String(start + limit) } : { items });
    };
    const lines = meetingRecordsCsv(page);
    assert.equal((await lines.next()).value, `${MEETING_RECORD_COLUMNS.join(',')}\r\n`);
    assert.deepEqual(pages, [], 'the header reads nothing');
    for (let i = 0; i < RECORDS_CSV_PAGE; i += 1) assert.match((await lines.next()).value as string, new RegExp(`^m${i},`));
    assert.deepEqual(pages, [undefined], 'one page read while its rows are taken');
    assert.match((await lines.next()).value as string, new RegExp(`^m${RECORDS_CSV_PAGE},`));
    assert.deepEqual(pages, [undefined, String(RECORDS_CSV_PAGE)]);
    assert.equal((await lines.next()).done, true);
  });
});
