/**
 * The contacts stage (lib/campaign/contacts.ts): CSV and objects read the
 * same, bad rows rejected with their row number, repeats and customers
 * already stored rejected, rejected rows handed over as they are found, a
 * store that fails part way, and a 100,000-row import into a real embedded
 * store that never blocks the event loop for long. Each row's own checks:
 * contact-row.test.ts.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ImportAborted, ImportFailed, importContacts, type ContactRules, type ImportInput, type ImportOptions, type RejectedRow } from '../../lib/campaign/contacts';
import type { ContactInput } from '../../lib/schemas/store';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { Store, StoredContact } from '../../lib/store/port';
import { allContacts } from '../support/campaign-runtime';
import { useTempDir } from '../support/temp-dir';
import { RULES } from './contact-rules';

const NOW = Date.UTC(2024, 0, 2, 8, 0, 0);

/** The stored contacts of a campaign without the store's own fields. */
async function stored(store: EmbeddedStore, campaignId: string): Promise<Omit<StoredContact, 'seq' | 'campaignId' | 'state' | 'dueAt' | 'attempts' | 'progress'>[]> {
  return (await allContacts(store, campaignId)).map(({ seq: _s, campaignId: _c, state: _st, dueAt: _d, attempts: _a, progress: _p, ...rest }) => rest);
}

/** An import whose rejected rows are collected (the import itself keeps none): the rows in the order handed over. */
async function importAll(store: EmbeddedStore, campaignId: string, input: ImportInput, rules: ContactRules = RULES, options: ImportOptions = {}): Promise<{ inserted: number; rejected: RejectedRow[] }> {
  const rejected: RejectedRow[] = [];
  const out = await importContacts(store, campaignId, input, rules, NOW, { ...options, onRejected: (r) => rejected.push(r) });
  assert.equal(out.rejected, rejected.length, 'the outcome counts the rows handed over');
  return { inserted: out.inserted, rejected };
}

/** Counts turns of the event loop (one tick per turn, in the check phase, as setImmediate callbacks run). */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let running = true;
  const tick = (): void => {
    turn += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turn() {
      return turn;
    },
    stop() {
      running = false;
    },
  };
}

/** A full garbage collection, on demand (what --expose-gc gives, without the flag on the command line). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** CSV text of `count` customers with two numbers, attributes and a quoted custom field. */
function bigCsv(count: number): string {
  const lines = ['customerId,priority,number1,type1,number2,type2,attr.region,attr.score,custom.note'];
  for (let i = 0; i < count; i += 1) {
    lines.push(`C${i},${(i % 5) + 1},+1555${String(i).padStart(7, '0')},mobile,+1666${String(i).padStart(7, '0')},home,r${i % 17},${i % 1000},"note ${i}, with a comma"`);
  }
  return lines.join('\r\n');
}

describe('campaign contacts', function () {
  describe('importContacts', function () {
    const temp = useTempDir('callflow-contacts-');
    let store: EmbeddedStore;

    beforeEach(async function () {
      store = new EmbeddedStore({ file: path.join(temp.path, 'callflow.db') });
      await store.open();
    });

    afterEach(async function () {
      await store.close();
    });

    const objects = [
      { customerId: 'C1', numbers: [{ number: '+1 555 0100', type: 'mobile', seq: 1 }, { number: '+15550101', type: 'home' }], priority: 2, attrs: { region: 'north', score: 7 }, custom: { note: 'a, b\r\nc' } },
      { customerId: 'C2', number: '0044 20 7946 0958', type: 'work', attrs: { vip: true } },
      { customerId: 'C3', numbers: 'mobile:+15550300;other:+15550301' },
    ];
    const csv = [
      'customerId,priority,number1,type1,seq1,number2,type2,attr.region,attr.score,attr.vip,custom.note',
      'C1,2,+1 555 0100,mobile,1,+15550101,home,north,7,,"a, b',
      'c"',
      'C2,,0044 20 7946 0958,work,,,,,,true,',
      'C3,,+15550300,mobile,,+15550301,other,,,,',
    ].join('\r\n');

    it('stores and reads back attributes and custom fields named __proto__ or constructor (CSV columns)', async function () {
      const out = await importAll(store, 'proto', 'customerId,number,attr.__proto__,attr.constructor,custom.__proto__,custom.toString\r\nC1,+15550100,north,3,a note,x\r\n');
      assert.deepEqual(out, { inserted: 1, rejected: [] });
      const [c] = await stored(store, 'proto');
      assert.deepEqual(Object.entries(c?.attrs ?? {}), [['__proto__', 'north'], ['constructor', 3]]);
      assert.deepEqual(Object.entries(c?.custom ?? {}), [['__proto__', 'a note'], ['toString', 'x']]);
    });

    it('stores the same contacts from CSV text as from objects', async function () {
      const a = await importAll(store, 'from-objects', objects);
      const b = await importAll(store, 'from-csv', csv);
      assert.deepEqual(a, { inserted: 3, rejected: [] });
      assert.deepEqual(b, { inserted: 3, rejected: [] });
      const fromObjects = await stored(store, 'from-objects');
      assert.deepEqual(await stored(store, 'from-csv'), fromObjects);
      assert.deepEqual(fromObjects[0], {
        customerId: 'C1',
        numbers: [{ number: '+15550100', type: 'mobile', seq: 1 }, { number: '+15550101', type: 'home' }],
        priority: 2,
        attrs: { region: 'north', score: 7 },
        custom: { note: 'a, b\r\nc' },
        rank: '',
      });
    });

    it('keeps quoted CSV values with commas and line breaks whole', async function () {
      const text = 'customerId,number,custom.address\n"Smith, J",+15550100,"1 Main St,\nSpringfield"\n"C ""2""",+15550101,plain\n';
      assert.deepEqual(await importAll(store, 'k', text), { inserted: 2, rejected: [] });
      const [first, second] = await stored(store, 'k');
      assert.equal(first?.customerId, 'Smith, J');
      assert.deepEqual(first?.custom, { address: '1 Main St,\nSpringfield' });
      assert.equal(second?.customerId, 'C "2"');
    });

    it('rejects bad rows with their row number and imports the rest', async function () {
      const text = [
        'customerId,number,priority',
        'C-1,+15550100,1',
        'C-2,12ab,2',
        ',+15550102,',
        'C-1,+15550103,',
        'C-4,+15550104,9',
        'C-5,+15550105,3,extra',
        'C-6,+15550106,',
      ].join('\n');
      const out = await importAll(store, 'r', text);
      assert.equal(out.inserted, 2);
      assert.deepEqual(
        out.rejected.map((r) => [r.row, r.customerId, r.reason]),
        [
          [2, 'C-2', 'number: "12ab" is not a phone number (2 to 32 digits with an optional leading +)'],
          [3, undefined, 'customerId: is missing (every contact needs a customer id)'],
          [4, 'C-1', 'customerId: C-1 is repeated (an earlier row of this import has it)'],
          [5, 'C-4', 'priority: "9" is not a priority (a whole number from 1, the highest, to 5)'],
          [6, 'C-5', 'row: 1 cells more than the header has columns (a value with a comma must be in double quotes)'],
        ],
      );
      assert.deepEqual(out.rejected[0]?.data, { customerId: 'C-2', number: '12ab', priority: '2' });
      assert.deepEqual((await stored(store, 'r')).map((c) => c.customerId), ['C-1', 'C-6']);
    });

    it('numbers array rows from 1 and rejects a repeat in a later batch', async function () {
      const rows = [{ customerId: 'A', number: '+15550100' }, { customerId: 'B', number: 'x' }, { customerId: 'C', number: '+15550102' }, { customerId: 'A', number: '+15550103' }];
      const out = await importAll(store, 'a', rows, RULES, { batchSize: 1 });
      assert.equal(out.inserted, 2);
      assert.deepEqual(
        out.rejected.map((r) => [r.row, r.reason]),
        [
          [2, 'number: "x" is not a phone number (2 to 32 digits with an optional leading +)'],
          [4, 'customerId: A is repeated (an earlier row of this import has it)'],
        ],
      );
    });

    it('rejects customers the campaign already has, telling them from ids repeated in the import', async function () {
      await importContacts(store, 'd', [{ customerId: 'C1', number: '+15550100' }, { customerId: 'C2', number: '+15550101' }], RULES, NOW);
      const out = await importAll(store, 'd', 'customerId,number\nC0,+15550099\nC2,+15550102\nC3,+15550103\nC1,+15550104\nC0,+15550105\n');
      assert.equal(out.inserted, 2);
      assert.deepEqual(out.rejected, [
        { row: 2, customerId: 'C2', reason: 'customerId: the campaign already has customer C2', data: { customerId: 'C2', number: '+15550102' } },
        { row: 4, customerId: 'C1', reason: 'customerId: the campaign already has customer C1', data: { customerId: 'C1', number: '+15550104' } },
        { row: 5, customerId: 'C0', reason: 'customerId: C0 is repeated (an earlier row of this import has it)', data: { customerId: 'C0', number: '+15550105' } },
      ]);
      const c2 = await store.getContact('d', 'C2');
      assert.deepEqual(c2?.numbers, [{ number: '+15550101' }], 'the stored customer is not overwritten');
      // Another campaign may have the same customer.
      assert.equal((await importContacts(store, 'other', [{ customerId: 'C1', number: '+15550100' }], RULES, NOW)).inserted, 1);
    });

    it('stores each contact with its rank', async function () {
      const rules: ContactRules = { ...RULES, order: { by: 'priority', attrs: [] } };
      await importContacts(store, 'p', [{ customerId: 'low', number: '+15550100', priority: 5 }, { customerId: 'none', number: '+15550101' }, { customerId: 'high', number: '+15550102', priority: 1 }], rules, NOW);
      const claims = await store.claimDue('p', NOW, 10, 'w', 60_000);
      assert.deepEqual(claims.map((c) => [c.contact.customerId, c.contact.rank]), [['high', '1'], ['low', '5'], ['none', '6']]);
    });

    it('refuses CSV with an unclosed quote before storing anything', async function () {
      await assert.rejects(importContacts(store, 'q', 'customerId,number\nC1,+15550100\nC2,"+15550101\nC3,+15550102\n', RULES, NOW), /CSV row 2: a quoted value is not closed/);
      assert.equal((await store.countContacts('q', NOW)).total, 0);
    });

    it('refuses input that is neither rows nor CSV text', async function () {
      await assert.rejects(importContacts(store, 'q', { customerId: 'C' } as unknown as unknown[], RULES, NOW), /contacts: an array of contact objects, CSV text or CSV bytes/);
    });

    it('hands each rejected row over as it is found, before later rows are read, and keeps none of them', async function () {
      // Rows whose customerId says when it is read; the sink says when a rejected row arrives.
      const log: string[] = [];
      const rows = Array.from({ length: 3000 }, (_, i) => {
        const r: Record<string, unknown> = { number: i % 2 === 1 ? 'not a number' : `+1555${String(i).padStart(7, '0')}` };
        Object.defineProperty(r, 'customerId', {
          enumerable: true,
          get() {
            log.push(`read ${i + 1}`);
            return `C${i}`;
          },
        });
        return r;
      });
      const handed: WeakRef<RejectedRow>[] = [];
      let collectedBeforeTheEnd = -1;
      const out = await importContacts(store, 'stream', rows, RULES, NOW, {
        onRejected: (r) => {
          log.push(`rejected ${r.row}`);
          handed.push(new WeakRef(r));
          if (r.row === 3000) {
            // The last row: the rows handed over in earlier turns are garbage unless the import keeps them.
            collectGarbage();
            collectedBeforeTheEnd = handed.slice(0, 100).filter((w) => w.deref() === undefined).length;
          }
        },
      });
      assert.deepEqual(out, { inserted: 1500, rejected: 1500 }, 'the outcome counts them; it does not carry them');
      assert.ok(log.indexOf('rejected 2') < log.indexOf('read 3000'), 'row 2 was handed over before the last row was read');
      assert.equal(collectedBeforeTheEnd, 100, 'the first 100 rejected rows were collected while the import ran');
    });

    it('hands rejected rows over in several turns of the event loop, a bounded number per turn, interleaved with the batches it writes', async function () {
      const events: string[] = [];
      const writing: Store = Object.assign(Object.create(null) as Store, {
        importContacts: (campaignId: string, rows: ContactInput[], now: number) => {
          events.push('write');
          return store.importContacts(campaignId, rows, now);
        },
        getContact: (campaignId: string, customerId: string) => store.getContact(campaignId, customerId),
      });
      // 10,000 rows: 9 of 10 rejected (a bad number, a type the campaign does not have, a control character in the id).
      const lines = ['customerId,number,type'];
      for (let i = 0; i < 10_000; i += 1) {
        const kind = i % 10;
        if (kind === 0) lines.push(`C${i},+1555${String(i).padStart(7, '0')},mobile`);
        else if (kind < 4) lines.push(`C${i},12ab,mobile`);
        else if (kind < 7) lines.push(`C${i},+1666${String(i).padStart(7, '0')},fax`);
        else lines.push(`"C${i}\u0000",+1777${String(i).padStart(7, '0')},mobile`);
      }
      const turns = turnCounter();
      const perTurn = new Map<number, number>();
      let rejected = 0;
      let lastRow = 0;
      let out;
      // At most 10 a turn (a slice checks at least 16 rows, so a slice alone would hand over more).
      const limit = 10;
      try {
        out = await importContacts(writing, 'turns', lines.join('\n'), RULES, NOW, {
          rejectsPerTurn: limit,
          onRejected: (r) => {
            assert.ok(r.row > lastRow, `rows in order (${r.row} after ${lastRow})`);
            lastRow = r.row;
            rejected += 1;
            perTurn.set(turns.turn, (perTurn.get(turns.turn) ?? 0) + 1);
            if (events.at(-1) !== 'reject') events.push('reject');
          },
        });
      } finally {
        turns.stop();
      }
      assert.deepEqual(out, { inserted: 1000, rejected: 9000 });
      assert.equal(rejected, 9000);
      const most = Math.max(...perTurn.values());
      assert.ok(most <= limit, `at most ${limit} rows in one turn (${most})`);
      assert.ok(perTurn.size >= 9000 / limit, `handed over in ${perTurn.size} turns`);
      const firstWrite = events.indexOf('write');
      const lastWrite = events.lastIndexOf('write');
      assert.ok(events.slice(firstWrite, lastWrite).includes('reject'), `rejected rows go out between the writes, not after them: ${events.join(' ').slice(0, 300)}`);
    });

    it('reads CSV bytes (a Buffer) strictly as UTF-8: a BOM is fine, the contacts are those of the text', async function () {
      const text = 'customerId,number1,type1,custom.name,custom.note\r\nC1,+15550100,mobile,José,"a, b\r\nc"\r\nC2,+15550101,home,张伟,\r\n\r\nC3,bad,home,Zoë 😀,\r\n';
      const fromText = await importAll(store, 'text', text);
      const fromBytes = await importAll(store, 'bytes', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
      assert.deepEqual(fromBytes, fromText);
      assert.equal(fromBytes.inserted, 2);
      assert.deepEqual(fromBytes.rejected.map((r) => r.row), [4]);
      assert.deepEqual(await stored(store, 'bytes'), await stored(store, 'text'));
      assert.deepEqual((await stored(store, 'bytes')).map((c) => c.custom), [{ name: 'José', note: 'a, b\r\nc' }, { name: '张伟' }]);
    });

    it('refuses CSV bytes that are not UTF-8 (a file saved as Windows-1252) before storing anything, saying where and how to fix it', async function () {
      const latin1 = Buffer.from('customerId,number,custom.name\nC1,+15550100,Anna\nC2,+15550101,José\nC3,+15550102,Zoë\n', 'latin1');
      const err = await importContacts(store, 'latin1', latin1, RULES, NOW).then(
        () => assert.fail('the import should be refused'),
        (e: unknown) => e as Error,
      );
      assert.equal(
        err.message,
        'CSV row 2 (byte offset 64): the byte E9 after "C2,+15550101,Jos" is not UTF-8. The file is not UTF-8 text: it was probably saved as ISO-8859-1/Windows-1252, GBK or another legacy encoding. Save it as UTF-8 (in Excel: Save As, "CSV UTF-8") and load it again.',
      );
      assert.equal((await store.countContacts('latin1', NOW)).total, 0, 'nothing stored, not even the rows before');
      // In the header, and Windows-1252 bytes that are not letters (0x93 "smart quotes").
      await assert.rejects(importContacts(store, 'latin1', Buffer.from('customerId,number,custom.Stra\u00dfe\nC1,+15550100,x\n', 'latin1'), RULES, NOW), /^Error: CSV header \(byte offset 29\): the byte DF after "customerId,number,custom.Stra" is not UTF-8\./);
      await assert.rejects(importContacts(store, 'latin1', Buffer.from([...Buffer.from('customerId,number,custom.q\nC1,+15550100,'), 0x93, 0x68, 0x69, 0x94, 0x0a]), RULES, NOW), /^Error: CSV row 1 \(byte offset 40\): the byte 93 after "C1,\+15550100," is not UTF-8/);
    });

    it('rejects the rows of text that was not UTF-8 (U+FFFD from a file-in node decoding Windows-1252) with a reason saying so, and imports the rest', async function () {
      const decoded = Buffer.from('customerId,number,custom.name\nC1,+15550100,Anna\nC2,+15550101,José\nJos\u00e9,+15550102,x\n', 'latin1').toString('utf8');
      assert.ok(decoded.includes('\ufffd'));
      const out = await importAll(store, 'fffd', decoded);
      assert.equal(out.inserted, 1);
      assert.deepEqual(
        out.rejected.map((r) => [r.row, r.reason.replace(/: the text was not UTF-8.*$/, '')]),
        [
          [2, 'custom.name: "Jos\ufffd" holds U+FFFD (\ufffd) at character 4'],
          [3, 'customerId: "Jos\ufffd" holds U+FFFD (\ufffd) at character 4'],
        ],
      );
      assert.match(out.rejected[0]?.reason ?? '', /the text was not UTF-8 when it was read .*save the file as UTF-8/);
      // A header with U+FFFD refuses the import: every row would be wrong.
      await assert.rejects(importContacts(store, 'fffd', 'customerId,number,custom.Stra\ufffde\nC1,+15550100,x\n', RULES, NOW), /^Error: CSV header: column 3 "custom.Stra\ufffde" holds U\+FFFD \(\ufffd\) at character 12: the text was not UTF-8/);
    });

    it('rejects control characters in CSV rows and array rows alike, naming the field', async function () {
      const csv = 'customerId,number,custom.note\n"C\u00001",+15550100,x\nC2,+15550101,"line 1\r\nline 2\tend"\nC3,+15550102,"bell\u0007"\n';
      const rows = [
        { customerId: 'C\u00001', number: '+15550100', custom: { note: 'x' } },
        { customerId: 'C2', number: '+15550101', custom: { note: 'line 1\r\nline 2\tend' } },
        { customerId: 'C3', number: '+15550102', custom: { note: 'bell\u0007' } },
      ];
      const a = await importAll(store, 'csv', csv);
      const b = await importAll(store, 'rows', rows);
      for (const out of [a, b]) {
        assert.equal(out.inserted, 1);
        assert.deepEqual(
          out.rejected.map((r) => [r.row, r.reason.replace(/ \(.*\)$/, '')]),
          [
            [1, 'customerId: "C\\u00001" holds the control character U+0000 at character 2'],
            [3, 'custom.note: "bell\\u0007" holds the control character U+0007 at character 5'],
          ],
        );
      }
      assert.deepEqual((await stored(store, 'csv'))[0]?.custom, { note: 'line 1\r\nline 2\tend' });
    });

    it('says what was done when the store fails part way', async function () {
      let writes = 0;
      const failing: Store = Object.assign(Object.create(null) as Store, {
        importContacts: (campaignId: string, rows: ContactInput[], now: number) => {
          writes += 1;
          if (writes === 2) return Promise.reject(new Error('disk full'));
          return store.importContacts(campaignId, rows, now);
        },
        getContact: (campaignId: string, customerId: string) => store.getContact(campaignId, customerId),
      });
      const rows = Array.from({ length: 30 }, (_, i) => ({ customerId: `C${i}`, number: i === 3 ? 'x' : `+1555${String(i).padStart(4, '0')}` }));
      const err = await importContacts(failing, 'fail', rows, RULES, NOW, { batchSize: 10 }).then(
        () => assert.fail('the import should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ImportFailed, String(err));
      assert.equal(err.message, 'contact import failed after 10 contacts were stored and 1 rows rejected: disk full');
      assert.equal((await store.countContacts('fail', NOW)).total, 10);
    });

    it('reports progress and stops between batches when aborted', async function () {
      const rows = Array.from({ length: 50 }, (_, i) => ({ customerId: `C${i}`, number: `+1555${String(i).padStart(4, '0')}` }));
      const seen: [number, number | undefined][] = [];
      const done = await importContacts(store, 'g', rows, RULES, NOW, { batchSize: 20, onProgress: (p) => seen.push([p.done, p.total]) });
      assert.equal(done.inserted, 50);
      assert.deepEqual(seen.at(-1), [50, 50]);
      assert.ok(seen.length >= 3, `progress after each batch (${JSON.stringify(seen)})`);

      const controller = new AbortController();
      const err = await importContacts(store, 'h', rows, RULES, NOW, {
        batchSize: 10,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 10) controller.abort(new Error('user stopped it'));
        },
      }).then(
        () => assert.fail('the import should stop'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ImportAborted, String(err));
      assert.equal(err.inserted, 10);
      assert.equal((await store.countContacts('h', NOW)).total, 10);
    });

    it('imports 100,000 CSV rows in slices, letting other work run between them (the blocking figure is in bench/campaign)', async function () {
      this.timeout(120_000);
      const text = bigCsv(100_000);
      const rules: ContactRules = { ...RULES, order: { by: 'attributes', attrs: [{ attr: 'score', direction: 'desc' }] } };
      // Other work (an interval) gets its turns while the import runs: the import yields between slices.
      let turns = 0;
      const probe = setInterval(() => (turns += 1), 1);
      let out;
      try {
        out = await importContacts(store, 'big', text, rules, NOW);
      } finally {
        clearInterval(probe);
      }
      assert.deepEqual(out, { inserted: 100_000, rejected: 0 });
      assert.ok(turns >= 50, `other work ran ${turns} times during the import`);
      assert.equal((await store.countContacts('big', NOW)).total, 100_000);
      const [first] = await store.claimDue('big', NOW, 1, 'w', 60_000);
      assert.equal(first?.contact.customerId, 'C999', 'the highest score is called first');
    });
  });
});
