/**
 * CSV in and out (lib/campaign/csv.ts): RFC 4180 parsing of imports, and the
 * attempts export: formula escaping for spreadsheets, masked numbers, ISO
 * times, CRLF lines. CSV bytes (lib/campaign/csv-bytes.ts): read in
 * segments, strictly UTF-8, with the same records as the decoded text.
 */

/** What a parse gives: its records, or the message it throws. */
function outcome(parse: () => unknown): unknown {
  try {
    return parse();
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Runs checkCsvBytes to its end: the count of data records. */
function countOf(bytes: Uint8Array, chunk: number): number {
  const steps = checkCsvBytes(bytes, chunk);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { checkCsvBytes, csvRecordsFromBytes, firstInvalidUtf8 } from '../../lib/campaign/csv-bytes';
import { attemptLines, csvCell, csvRecords, maskNumber } from '../../lib/campaign/csv';
import type { AttemptRow } from '../../lib/store/port';

describe('campaign csv', function () {
  describe('csvRecords', function () {
    it('keys records by header and numbers data rows from 1', function () {
      const out = [...csvRecords('customerId,number\nC1,+15550100\nC2,+15550101\n')];
      assert.deepEqual(out, [
        { row: 1, record: { customerId: 'C1', number: '+15550100' } },
        { row: 2, record: { customerId: 'C2', number: '+15550101' } },
      ]);
    });

    it('reads quoted values with commas, "" escapes and line breaks, CRLF lines and a BOM', function () {
      const text = '\ufeffcustomerId,custom.note,number\r\n"C,1","say ""hi""\r\nthen, bye",+15550100\r\nC2,,"+1 555 0101"';
      const out = [...csvRecords(text)];
      assert.deepEqual(out, [
        { row: 1, record: { customerId: 'C,1', 'custom.note': 'say "hi"\r\nthen, bye', number: '+15550100' } },
        { row: 2, record: { customerId: 'C2', 'custom.note': '', number: '+1 555 0101' } },
      ]);
    });

    it('skips blank rows but counts them, fills missing cells with "" and reports extra cells', function () {
      const out = [...csvRecords('a,b\n1,2\n\n,\n3\n4,5,6\n7,8,\n')];
      assert.deepEqual(out, [
        { row: 1, record: { a: '1', b: '2' } },
        { row: 4, record: { a: '3', b: '' } },
        { row: 5, record: { a: '4', b: '5' }, extra: ['6'] },
        { row: 6, record: { a: '7', b: '8' } },
      ]);
    });

    it('keeps a column named __proto__ as a column', function () {
      const [first] = [...csvRecords('__proto__,a\nx,y\n')];
      assert.equal(Object.getPrototypeOf(first?.record), Object.prototype);
      assert.deepEqual(Object.keys(first?.record ?? {}), ['__proto__', 'a']);
    });

    it('gives nothing for empty text or a header alone', function () {
      assert.deepEqual([...csvRecords('')], []);
      assert.deepEqual([...csvRecords('\ufeff')], []);
      assert.deepEqual([...csvRecords('a,b\r\n')], []);
    });

    it('throws for an unterminated quote, naming the row', function () {
      const records = csvRecords('a,b\n1,2\n3,"open\n4,5\n');
      assert.deepEqual(records.next().value, { row: 1, record: { a: '1', b: '2' } });
      assert.throws(() => records.next(), /CSV row 2: a quoted value is not closed/);
      assert.throws(() => [...csvRecords('"a,b\n1,2\n')], /CSV header: a quoted value is not closed/);
    });

    it('refuses a header that names a column twice', function () {
      assert.throws(() => [...csvRecords('number,number\n1,2\n')], /CSV header: the column "number" appears twice/);
    });

    it('refuses a header holding a control character or U+FFFD (text that was not UTF-8), naming the column', function () {
      assert.throws(() => [...csvRecords('customerId,number,custom.Stra\ufffde\n1,2,3\n')], /^Error: CSV header: column 3 "custom.Stra\ufffde" holds U\+FFFD \(\ufffd\) at character 12: the text was not UTF-8 when it was read/);
      assert.throws(() => [...csvRecords('customerId,"num\u0000ber"\n1,2\n')], /^Error: CSV header: column 2 "num\\u0000ber" holds the control character U\+0000 at character 4 \(ids, numbers, types and names hold no control characters, not even a tab or a line break\)$/);
    });
  });

  describe('CSV bytes', function () {
    it('gives the records of the decoded text, whatever the segment size (quotes, CRLF split across segments, blank rows, BOM, multibyte characters)', function () {
      const piece = fc.constantFrom('a', 'b', ' ', ',', '"', '""', '\r', '\n', '\r\n', 'é', '中', '😀', 'x,y', '"q,\r\n"');
      const text = fc.tuple(fc.boolean(), fc.array(piece, { maxLength: 60 })).map(([bom, parts]) => `${bom ? '\ufeff' : ''}${parts.join('')}`);
      fc.assert(
        fc.property(text, fc.integer({ min: 1, max: 48 }), (t, segment) => {
          const bytes = Buffer.from(t, 'utf8');
          const expected = outcome(() => [...csvRecords(t)]);
          assert.deepEqual(outcome(() => [...csvRecordsFromBytes(bytes, segment)]), expected);
          const count = outcome(() => countOf(bytes, segment));
          if (Array.isArray(expected)) assert.equal(count, expected.length);
          else assert.deepEqual(count, expected);
        }),
        { numRuns: 2000 },
      );
    });

    it('reads a large file in segments, numbering rows across them', function () {
      const lines = ['customerId,custom.note'];
      for (let i = 1; i <= 5000; i += 1) lines.push(i % 7 === 0 ? '' : `C${i},"note ${i} 中文,\r\nsecond line"`);
      const text = lines.join('\r\n');
      const fromBytes = [...csvRecordsFromBytes(Buffer.from(text), 4096)];
      assert.deepEqual(fromBytes, [...csvRecords(text)]);
      assert.equal(fromBytes.at(-1)?.row, 5000);
      assert.equal(countOf(Buffer.from(text), 4096), 5000 - Math.floor(5000 / 7));
    });

    it('finds the first bytes that are not UTF-8 exactly where a strict decoder fails', function () {
      const byte = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x8f, 0xbf));
      fc.assert(
        fc.property(fc.array(byte, { maxLength: 24 }), (list) => {
          const bytes = Uint8Array.from(list);
          const bad = firstInvalidUtf8(bytes);
          assert.equal(bad === undefined, isUtf8(bytes));
          if (bad) {
            assert.ok(isUtf8(bytes.subarray(0, bad.at)), 'the bytes before it are UTF-8');
            assert.ok(!isUtf8(bytes.subarray(0, bad.at + bad.length)), 'it is where the text stops being UTF-8');
          }
        }),
        { numRuns: 5000 },
      );
    });

    it('refuses bytes that are not UTF-8 in the check and in the reading, naming the row and the byte offset', function () {
      const bytes = Buffer.from('customerId,number\r\nC1,+15550100\r\n"C\r\n2",+15550101\r\nC\u00e93,+15550102\r\n', 'latin1');
      const message = 'CSV row 3 (byte offset 52): the byte E9 after "C" is not UTF-8. The file is not UTF-8 text: it was probably saved as ISO-8859-1/Windows-1252, GBK or another legacy encoding. Save it as UTF-8 (in Excel: Save As, "CSV UTF-8") and load it again.';
      for (const size of [1, 7, 4096]) {
        assert.throws(() => countOf(bytes, size), { message });
        assert.throws(() => [...csvRecordsFromBytes(bytes, size)], { message });
      }
      // A sequence cut off at the end of the file, and an overlong form.
      assert.throws(() => countOf(Buffer.from([0x61, 0x0a, 0x62, 0xe4, 0xb8]), 2), /^Error: CSV row 1 \(byte offset 3\): the bytes E4 B8 after "b" are not UTF-8\./);
      assert.throws(() => countOf(Buffer.from([0x61, 0x0a, 0xc0, 0xaf]), 2), /^Error: CSV row 1 \(byte offset 2\): the byte C0 is not UTF-8\./);
    });
  });

  describe('csvCell', function () {
    it('quotes cells with commas, quotes and line breaks', function () {
      assert.equal(csvCell('plain'), 'plain');
      assert.equal(csvCell('a,b'), '"a,b"');
      assert.equal(csvCell('say "hi"'), '"say ""hi"""');
      assert.equal(csvCell('two\nlines'), '"two\nlines"');
      assert.equal(csvCell(undefined), '');
      assert.equal(csvCell(null), '');
      assert.equal(csvCell(12.5), '12.5');
      assert.equal(csvCell(true), 'true');
    });

    it('escapes text a spreadsheet would run as a formula', function () {
      assert.equal(csvCell('=1+1'), "'=1+1");
      assert.equal(csvCell('+15550100'), "'+15550100");
      assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
      assert.equal(csvCell('-5'), "'-5", 'negative-looking text runs as a formula too');
      assert.equal(csvCell('-2+3+cmd|"/C calc"!A0'), `"'-2+3+cmd|""/C calc""!A0"`);
      assert.equal(csvCell('\t=1'), "'\t=1");
      assert.equal(csvCell('\r=1'), `"'\r=1"`);
      assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
      assert.equal(csvCell('a=b'), 'a=b', 'only the first character matters');
      assert.equal(csvCell({ a: '=x' }), '"{""a"":""=x""}"');
      assert.equal(csvCell(-5), '-5', 'a number is data, not a formula');
    });
  });

  describe('maskNumber', function () {
    it('replaces all but the last 4 digits, keeping a leading +', function () {
      assert.equal(maskNumber('+15550100'), '+****0100');
      assert.equal(maskNumber('13812345678'), '*******5678');
      assert.equal(maskNumber('12345'), '*2345');
      assert.equal(maskNumber('1234'), '1234');
      assert.equal(maskNumber('+12'), '+12');
      assert.equal(maskNumber(''), '');
    });
  });

  describe('attemptLines', function () {
    const rows: AttemptRow[] = [
      {
        customerId: 'C1',
        seq: 1,
        n: 1,
        number: '+15550100',
        startedAt: Date.UTC(2024, 0, 2, 9, 0, 0),
        endedAt: Date.UTC(2024, 0, 2, 9, 0, 30, 250),
        outcome: 'answered',
        cause: 16,
        dialStatus: 'ANSWER',
        result: 'sale',
        subResult: '-5',
        talkSec: 28.5,
        callId: 'call-1',
        // Remarked after the call by a user whose name looks like a formula.
        remarked: { by: '=admin', at: Date.UTC(2024, 0, 3, 8, 0, 0), previous: 'lead' },
        recording: 'campaign-cfc-1',
        // The connection of a trunk group that carried it.
        connection: 'ast-b',
      },
      { customerId: '=cmd', seq: 2, n: 2, number: '13812345678', startedAt: Date.UTC(2024, 0, 2, 10, 0, 0), outcome: 'busy' },
      { customerId: 'C2', seq: 3, n: 1, number: '13812345679', startedAt: Date.UTC(2024, 0, 2, 11, 0, 0), outcome: 'lost', why: 'asterisk-restarted', recordingError: '=refused, 409' },
    ];

    it('writes a header and one CRLF line per attempt with ISO times', function () {
      const lines = [...attemptLines(rows, { mask: false })];
      assert.deepEqual(lines, [
        'customerId,attempt,number,startedAt,endedAt,outcome,cause,dialStatus,result,subResult,talkSec,callId,why,remarkedBy,remarkedAt,previousResult,previousSubResult,recording,recordingError,connection\r\n',
        "C1,1,'+15550100,2024-01-02T09:00:00.000Z,2024-01-02T09:00:30.250Z,answered,16,ANSWER,sale,'-5,28.5,call-1,,'=admin,2024-01-03T08:00:00.000Z,lead,,campaign-cfc-1,,ast-b\r\n",
        "'=cmd,2,13812345678,2024-01-02T10:00:00.000Z,,busy,,,,,,,,,,,,,,\r\n",
        'C2,1,13812345679,2024-01-02T11:00:00.000Z,,lost,,,,,,,asterisk-restarted,,,,,,"\'=refused, 409",\r\n',
      ]);
    });

    it('masks numbers when asked', function () {
      const lines = [...attemptLines(rows, { mask: true })];
      assert.equal(lines[1]?.split(',')[2], "'+****0100");
      assert.equal(lines[2]?.split(',')[2], '*******5678');
    });

    it('puts a campaign column first when the rows name their campaign', function () {
      const lines = [...attemptLines([{ ...rows[1]!, campaign: 'spring' }], { mask: false })];
      assert.equal(lines[0], 'campaign,customerId,attempt,number,startedAt,endedAt,outcome,cause,dialStatus,result,subResult,talkSec,callId,why,remarkedBy,remarkedAt,previousResult,previousSubResult,recording,recordingError,connection\r\n');
      assert.match(lines[1] ?? '', /^spring,'=cmd,2,/);
    });

    it('gives the header alone for no attempts, and reads any iterable lazily', function () {
      assert.deepEqual([...attemptLines([], { mask: false })], ['customerId,attempt,number,startedAt,endedAt,outcome,cause,dialStatus,result,subResult,talkSec,callId,why,remarkedBy,remarkedAt,previousResult,previousSubResult,recording,recordingError,connection\r\n']);
      let pulled = 0;
      function* source(): Generator<AttemptRow> {
        for (const r of rows) {
          pulled += 1;
          yield r;
        }
      }
      const lines = attemptLines(source(), { mask: false });
      lines.next();
      assert.equal(pulled, 1);
      lines.next();
      lines.next();
      assert.equal(pulled, 2);
    });

    it('round-trips through csvRecords', function () {
      const text = [...attemptLines(rows, { mask: false })].join('');
      const back = [...csvRecords(text)].map((r) => r.record);
      assert.equal(back.length, 3);
      assert.equal(back[0]?.number, "'+15550100");
      assert.equal(back[1]?.customerId, "'=cmd");
      assert.equal(back[2]?.why, 'asterisk-restarted');
      assert.equal(back[0]?.startedAt, '2024-01-02T09:00:00.000Z');
    });
  });
});
