/**
 * The CSV export of meeting records through the admin API (GET callflow/meetings/records/<meetings node>.csv): a
 * meeting held over the wire comes out a row per participant with masked numbers and formula-safe cells, a large
 * export is read from the store a page at a time, and bad requests are refused as the JSON listing refuses them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { MEETING_RECORD_COLUMNS, RECORDS_CSV_PAGE } from '../../lib/conference/records-csv';
import { csvRecords } from '../../lib/campaign/csv';
import type { MeetingRecord } from '../../lib/schemas/store';
import type { Store } from '../../lib/store/port';
import type { StoreConfigNode } from '../../nodes/store/config';
import { CREDS, connected, ivrFlow, useSimulator } from '../support/ivr';
import { NODES, helper, useNodeRed } from '../support/node-red';
import { ROOMS, meetingEvents } from '../support/conference';
import { useTempDir } from '../support/temp-dir';

describe('meeting records as CSV through the admin API', function () {
  useNodeRed();
  const simulator = useSimulator(100);
  const temp = useTempDir('callflow-meeting-csv-');
  afterEach(async function () {
    await helper.unload();
  });

  async function deploy(): Promise<Store> {
    const flow = ivrFlow(
      simulator(),
      [
        { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['cf']] },
        { id: 'cf', type: 'callflow-conference', meetings: 'mt', callFlow: 'direct_host', room: 'board', properties: {}, onError: 'hangup', wires: [[], [], []] },
      ],
      ['cf'],
      {
        configs: [
          { id: 'st', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
          { id: 'mt', type: 'callflow-meetings', name: 'Head office', rooms: ROOMS, store: 'st' },
          { id: 'nr', type: 'callflow-meetings', rooms: [], store: '' },
        ],
      },
    );
    await helper.load(NODES, flow, CREDS);
    await connected();
    const store = await (helper.getNode('st') as StoreConfigNode).connection?.ready();
    if (!store) throw new Error('the store did not open');
    return store;
  }

  const rowsOf = (text: string): Record<string, string>[] => [...csvRecords(text)].map((r) => r.record);

  it('exports a meeting held over the wire: a row per participant, numbers masked, a formula in a caller id defused', async function () {
    const store = await deploy();
    const two = meetingEvents('participant-joined', 2);
    const host = simulator().placeCall({ from: '+15550100', to: '500', script: [{ waitFor: 'bridged' }] });
    await host.until('bridged');
    const other = simulator().placeCall({ from: '=cmd|calc', to: '500', script: [{ waitFor: 'bridged' }] });
    await two;
    const over = meetingEvents('meeting-ended');
    other.hangup();
    await other.ended();
    host.hangup();
    const meeting = (await over)[0]?.meeting ?? '';
    // The record is written as the meeting ends; wait for it through the store's own answer, not a sleep.
    let page = await store.pageMeetingRecords();
    for (let i = 0; i < 50 && page.items.length === 0; i += 1) page = await store.pageMeetingRecords();
    const res = await helper.request().get('/callflow/meetings/records/mt.csv').expect(200);
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="meeting-records-Head-office.csv"');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.text.split('\r\n')[0], MEETING_RECORD_COLUMNS.join(','));
    const rows = rowsOf(res.text);
    assert.deepEqual(
      rows.map((r) => [r.meeting, r.room, r.callFlow, r.ended, r.number, r.role, r.why]),
      [
        [meeting, 'board', 'direct_host', 'ended', "'=cmd|calc", 'host', 'hangup'],
        [meeting, 'board', 'direct_host', 'ended', "'+****0100", 'host', 'hangup'],
      ],
    );
    assert.ok(rows.every((r) => /^\d{4}-\d\d-\d\dT/.test(r.joinedAt ?? '') && (r.leftAt ?? '') >= (r.joinedAt ?? '')));
  });

  it('streams a large export from the store a page at a time, of one room when asked', async function () {
    const store = await deploy();
    const count = 2 * RECORDS_CSV_PAGE + 1;
    for (let i = 0; i < count; i += 1) {
      const at = Date.UTC(2026, 0, 1) + i * 1000;
      const record: MeetingRecord = {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        key: i % 2 === 0 ? 'room:board' : 'code:555123',
        ...(i % 2 === 0 ? { room: 'board' } : {}),
        startedAt: at,
        endedAt: at + 500,
        reason: 'ended',
        participants: [{ call: `c-${i}`, caller: '101', role: 'participant', joinedAt: at, leftAt: at + 500, reason: 'left' }],
      };
      await store.saveMeetingRecord(record);
    }
    const asked: (number | undefined)[] = [];
    const original = store.pageMeetingRecords.bind(store);
    store.pageMeetingRecords = (options) => {
      asked.push(options?.limit);
      return original(options);
    };
    const all = rowsOf((await helper.request().get('/callflow/meetings/records/mt.csv').expect(200)).text);
    assert.equal(all.length, count);
    assert.deepEqual(asked, [RECORDS_CSV_PAGE, RECORDS_CSV_PAGE, RECORDS_CSV_PAGE], 'three pages of the store, never all of it at once');
    assert.deepEqual(all.slice(0, 2).map((r) => r.room), ['board', 'code:555123'], 'oldest first; a meeting without a room by its key');
    const board = rowsOf((await helper.request().get('/callflow/meetings/records/mt.csv?room=board').expect(200)).text);
    assert.equal(board.length, RECORDS_CSV_PAGE + 1);
    assert.ok(board.every((r) => r.room === 'board'));
  });

  it('refuses what the JSON listing refuses: no such node, a node without a store, a bad room', async function () {
    await deploy();
    await helper.request().get('/callflow/meetings/records/nowhere.csv').expect(404);
    await helper.request().get('/callflow/meetings/records/nr.csv').expect(409);
    const bad = await helper.request().get('/callflow/meetings/records/mt.csv?room=..%2Fx').expect(400);
    assert.equal((bad.body as { message: string }).message, 'room: a room id');
  });
});
