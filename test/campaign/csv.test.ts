/**
 * CSV in and out (lib/campaign/csv.ts): RFC 4180 parsing of imports, and the
 * attempts export: formula escaping for spreadsheets, masked numbers, ISO
 * times, CRLF lines.
 */
import assert from 'node:assert/strict';
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
      },
      { customerId: '=cmd', seq: 2, n: 2, number: '13812345678', startedAt: Date.UTC(2024, 0, 2, 10, 0, 0), outcome: 'busy' },
      { customerId: 'C2', seq: 3, n: 1, number: '13812345679', startedAt: Date.UTC(2024, 0, 2, 11, 0, 0), outcome: 'lost', why: 'asterisk-restarted' },
    ];

    it('writes a header and one CRLF line per attempt with ISO times', function () {
      const lines = [...attemptLines(rows, { mask: false })];
      assert.deepEqual(lines, [
        'customerId,attempt,number,startedAt,endedAt,outcome,cause,dialStatus,result,subResult,talkSec,callId,why\r\n',
        "C1,1,'+15550100,2024-01-02T09:00:00.000Z,2024-01-02T09:00:30.250Z,answered,16,ANSWER,sale,'-5,28.5,call-1,\r\n",
        "'=cmd,2,13812345678,2024-01-02T10:00:00.000Z,,busy,,,,,,,\r\n",
        'C2,1,13812345679,2024-01-02T11:00:00.000Z,,lost,,,,,,,asterisk-restarted\r\n',
      ]);
    });

    it('masks numbers when asked', function () {
      const lines = [...attemptLines(rows, { mask: true })];
      assert.equal(lines[1]?.split(',')[2], "'+****0100");
      assert.equal(lines[2]?.split(',')[2], '*******5678');
    });

    it('puts a campaign column first when the rows name their campaign', function () {
      const lines = [...attemptLines([{ ...rows[1]!, campaign: 'spring' }], { mask: false })];
      assert.equal(lines[0], 'campaign,customerId,attempt,number,startedAt,endedAt,outcome,cause,dialStatus,result,subResult,talkSec,callId,why\r\n');
      assert.match(lines[1] ?? '', /^spring,'=cmd,2,/);
    });

    it('gives the header alone for no attempts, and reads any iterable lazily', function () {
      assert.deepEqual([...attemptLines([], { mask: false })], ['customerId,attempt,number,startedAt,endedAt,outcome,cause,dialStatus,result,subResult,talkSec,callId,why\r\n']);
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
