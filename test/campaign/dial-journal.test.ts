/**
 * The dial journal (lib/campaign/dial-journal.ts): the channel ids a dialer
 * sent and has not marked dialed, in a file a restart reads back. A new
 * FileDialJournal on the same folder is what a restarted Node-RED makes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DIAL_JOURNAL_FILE, FileDialJournal, ROTATE_AT, dialJournal, type DialJournal } from '../../lib/campaign/dial-journal';
import type { CampaignSettings } from '../../lib/schemas/campaign';
import type { ProgressMark, ProgressMarked, Store } from '../../lib/store/port';
import { allContacts } from '../support/campaign-runtime';
import { useTempDir } from '../support/temp-dir';
import { MemoryLogger } from '../support/telephony';
import { customers, dialerBench, fatesOf, killedBetweenDialAndMark, settingsWith } from './support';

const MONDAY_8AM_SHANGHAI = '2026-11-23T00:00:00Z';

const idOf = (i: number): string => `cfc-00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('the dial journal', function () {
  const dir = useTempDir('callflow-journal-');
  const journals: FileDialJournal[] = [];
  const open = (warn?: (m: string) => void): FileDialJournal => {
    const j = new FileDialJournal(dir.path, warn);
    journals.push(j);
    return j;
  };
  afterEach(function () {
    for (const j of journals.splice(0)) j.close();
  });

  it('tells a restart which calls were sent and not marked dialed, and forgets none it was not told were settled', function () {
    const run1 = open();
    run1.sending([idOf(1), idOf(2)]);
    run1.sending([idOf(3)]);
    run1.settled([idOf(2)]);
    assert.deepEqual([1, 2, 3].map((i) => run1.sent(idOf(i))), [true, false, true]);
    // Killed here: what the file holds is what the next run knows. A settled id is told to the file too: the next run
    // does not carry it.
    const run2 = open();
    assert.deepEqual([1, 2, 3, 4].map((i) => run2.sent(idOf(i))), [true, false, true, false]);
    run2.settled([idOf(1)]);
    assert.equal(run2.sent(idOf(1)), false, 'settled once resolved after the restart');
  });

  it('keeps its file bounded: past ROTATE_AT ids the file becomes .1 and a new one starts with the ids still unmarked', function () {
    const j = open();
    j.sending([idOf(0)]);
    for (let i = 1; i < ROTATE_AT; i += 1) {
      j.sending([idOf(i)]);
      j.settled([idOf(i)]);
    }
    // The next write rotates: idOf(0), never settled, is carried into the new file.
    j.sending([idOf(ROTATE_AT + 1)]);
    const file = path.join(dir.path, DIAL_JOURNAL_FILE);
    assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean), [idOf(0), idOf(ROTATE_AT + 1)]);
    // With a line for each id settled (its mark stored), which a restart does not carry.
    const old = fs.readFileSync(`${file}.1`, 'utf8').split('\n').filter(Boolean);
    assert.equal(old.filter((l) => !l.startsWith('-')).length, ROTATE_AT);
    assert.equal(old.filter((l) => l.startsWith('-')).length, ROTATE_AT - 1);
    // Two more rotations: the first file is gone, the unmarked id is still known to a restart.
    for (let i = 0; i < 2 * ROTATE_AT; i += 1) {
      j.sending([idOf(ROTATE_AT + 2 + i)]);
      j.settled([idOf(ROTATE_AT + 2 + i)]);
    }
    const sizes = [file, `${file}.1`].map((f) => fs.statSync(f).size);
    assert.ok(sizes.every((s) => s < 2 * (ROTATE_AT + 2) * 48), `each file under ${ROTATE_AT + 2} ids and their settlements: ${sizes.join(', ')}`);
    assert.equal(open().sent(idOf(0)), true);
    assert.equal(open().sent(idOf(5)), false, 'a settled id of a dropped file is forgotten');
  });

  it('keeps the ids of the run before a restart on disk for at least ROTATE_AT more dials', function () {
    open().sending([idOf(7)]);
    const run2 = open();
    for (let i = 0; i < ROTATE_AT; i += 1) {
      run2.sending([idOf(100 + i)]);
      run2.settled([idOf(100 + i)]);
    }
    // A second crash before the restarted dialer asked about idOf(7): a third run still finds it.
    assert.equal(open().sent(idOf(7)), true);
  });

  it('keeps an id of the run before a restart that nobody asked about through any number of rotations, and only the unsettled ones', function () {
    // Run 1: idOf(7) sent and never marked (killed in the window); idOf(8) sent and marked.
    const run1 = open();
    run1.sending([idOf(7), idOf(8)]);
    run1.settled([idOf(8)]);
    // Run 2 dials a lot (another campaign) before the dialer of idOf(7) asks about it (its Asterisk is down), then stops.
    const run2 = open();
    for (let i = 0; i < 3 * ROTATE_AT; i += 1) {
      run2.sending([idOf(100 + i)]);
      run2.settled([idOf(100 + i)]);
    }
    // Run 3 still finds it; what run 1 marked is not carried along.
    const run3 = open();
    assert.equal(run3.sent(idOf(7)), true, 'an unmarked call of the run before is still known');
    const file = path.join(dir.path, DIAL_JOURNAL_FILE);
    const lines = [file, `${file}.1`].flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
    assert.equal(lines.filter((l) => l === idOf(8)).length, 0, 'a call marked before the restart is not carried');
    // Once asked and settled, it is not carried any more: two more rotations and a fourth run forgets it.
    run3.settled([idOf(7)]);
    for (let i = 0; i < 2 * ROTATE_AT; i += 1) {
      run3.sending([idOf(20_000 + i)]);
      run3.settled([idOf(20_000 + i)]);
    }
    assert.equal(open().sent(idOf(7)), false);
    const sizes = [file, `${file}.1`].map((f) => fs.statSync(f).size);
    assert.ok(sizes.every((s) => s < 2 * (ROTATE_AT + 2) * 48), `each file stays bounded: ${sizes.join(', ')}`);
  });

  it('does not follow a symbolic link: another file of the user directory is neither read nor written', function () {
    const flows = path.join(dir.path, 'flows.json');
    fs.writeFileSync(flows, `${idOf(1)}\n`);
    fs.symlinkSync(flows, path.join(dir.path, DIAL_JOURNAL_FILE));
    const warnings: string[] = [];
    const j = open((m) => warnings.push(m));
    assert.equal(j.sent(idOf(1)), false, 'the linked file is not read');
    j.sending([idOf(2)]);
    j.sending([idOf(3)]);
    assert.equal(fs.readFileSync(flows, 'utf8'), `${idOf(1)}\n`, 'the linked file is not written');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] as string, new RegExp(`${DIAL_JOURNAL_FILE}.*symbolic link`));
  });

  it('does not freeze on a named pipe where the file should be (a child process, so that a freeze fails the test)', function () {
    const fifo = path.join(dir.path, DIAL_JOURNAL_FILE);
    try {
      execFileSync('mkfifo', [fifo]);
    } catch (err) {
      console.log(`      (skipped: mkfifo failed: ${(err as Error).message})`);
      this.skip();
    }
    const lib = path.join(__dirname, '../../lib/campaign/dial-journal.js');
    const script = `const { FileDialJournal } = require(${JSON.stringify(lib)}); const j = new FileDialJournal(${JSON.stringify(dir.path)}, (m) => console.log(m)); j.sending(['cfc-1']); j.sending(['cfc-2']); console.log('sent', j.sent('cfc-1'));`;
    // Not a timing threshold: a run that does not freeze ends in well under a second; a frozen one never ends.
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(out.signal, null, `the journal froze on the pipe: ${out.stdout}${out.stderr}`);
    assert.equal(out.status, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'sent true');
    assert.equal(lines.length, 2, out.stdout);
    assert.match(lines[0] as string, new RegExp(`${DIAL_JOURNAL_FILE}.*not a regular file`));
  });

  it('warns once when its file cannot be rotated, not at every group after it', function () {
    // A folder (not empty) where `.1` should go: the rename fails, the appends go on.
    fs.mkdirSync(path.join(dir.path, `${DIAL_JOURNAL_FILE}.1`));
    fs.writeFileSync(path.join(dir.path, `${DIAL_JOURNAL_FILE}.1`, 'x'), '');
    const warnings: string[] = [];
    const j = open((m) => warnings.push(m));
    for (let i = 0; i < ROTATE_AT + 50; i += 1) j.sending([idOf(i)]);
    assert.equal(warnings.length, 1, `${warnings.length} warnings: ${warnings.slice(0, 3).join('\n')}`);
    assert.match(warnings[0] as string, new RegExp(`${DIAL_JOURNAL_FILE}.*failed`));
    assert.equal(j.sent(idOf(ROTATE_AT + 49)), true);
  });

  it('starts a new file, with the ids still unmarked, when its file was removed while open', function () {
    const file = path.join(dir.path, DIAL_JOURNAL_FILE);
    const j = open();
    j.sending([idOf(1), idOf(2)]);
    j.settled([idOf(2)]);
    fs.rmSync(file);
    j.sending([idOf(3)]);
    const restart = open();
    assert.deepEqual([1, 2, 3].map((i) => restart.sent(idOf(i))), [true, false, true], 'a restart finds what was unmarked');
  });

  it('tells a short write (a disk full) and does not let it swallow the first id of the next group', function () {
    const warnings: string[] = [];
    const j = open((m) => warnings.push(m));
    j.sending([idOf(1)]);
    const write = fs.writeSync;
    let cut = false;
    // The next write stops in its second id, as write(2) does when the disk fills up.
    (fs as { writeSync: unknown }).writeSync = (fd: number, text: string): number => {
      if (cut) return write(fd, text);
      cut = true;
      return write(fd, text.slice(0, idOf(2).length + 10));
    };
    try {
      j.sending([idOf(2), idOf(3)]);
      j.sending([idOf(4)]);
    } finally {
      (fs as { writeSync: unknown }).writeSync = write;
    }
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] as string, /of \d+ bytes written/);
    const restart = open();
    assert.deepEqual([1, 2, 4].map((i) => restart.sent(idOf(i))), [true, true, true]);
  });

  it('is one per user directory in a process: its dialers share its calls sent, and one file is rotated by one owner', function () {
    const j = dialJournal(dir.path);
    journals.push(j);
    assert.equal(dialJournal(`${dir.path}${path.sep}`), j);
    assert.equal(dialJournal(path.join(dir.path, 'x', '..')), j);
    j.sending([idOf(1)]);
    assert.equal(dialJournal(dir.path).sent(idOf(1)), true, 'a successor dialer knows what its predecessor sent');
    const other = dialJournal(dir.another());
    journals.push(other);
    assert.notEqual(other, j);
  });

  it('ignores lines that are not channel ids, and reads only the end of a file grown beyond what it writes', function () {
    const file = path.join(dir.path, DIAL_JOURNAL_FILE);
    fs.writeFileSync(file, ['<img src=x onerror=alert(1)>', '../../etc/passwd', 'PJSIP/100@trunk', '', idOf(1), 'x'.repeat(200), idOf(2)].join('\n'));
    const j = open();
    assert.deepEqual([1, 2].map((i) => j.sent(idOf(i))), [true, true]);
    for (const hostile of ['<img src=x onerror=alert(1)>', '../../etc/passwd', 'PJSIP/100@trunk', 'x'.repeat(200)]) assert.equal(j.sent(hostile), false);
    j.close();
    // 2 MB of ids, the last one at the very end: it is found, the first ones (beyond 1 MB from the end) are not read.
    const many = Array.from({ length: 50_000 }, (_, i) => idOf(i));
    fs.writeFileSync(file, `${many.join('\n')}\n`);
    const big = open();
    assert.equal(big.sent(idOf(49_999)), true);
    assert.equal(big.sent(idOf(0)), false);
  });

  it('warns once with the file and the reason when it cannot write, and the dial goes on', function () {
    // A folder where the file should be: every write fails.
    fs.mkdirSync(path.join(dir.path, DIAL_JOURNAL_FILE));
    const warnings: string[] = [];
    const j = open((m) => warnings.push(m));
    assert.doesNotThrow(() => j.sending([idOf(1)]));
    j.sending([idOf(2)]);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] as string, new RegExp(`${DIAL_JOURNAL_FILE}.*EISDIR.*read as not dialed`));
    assert.equal(j.sent(idOf(2)), true, 'this run still knows it');
  });
});

describe('a crash between the dial and its mark, with the dial journal (manual clock, fake Asterisk)', function () {
  const bench = dialerBench(MONDAY_8AM_SHANGHAI);
  const dir = useTempDir('callflow-journal-');

  /** The bench's store, with each write that marks calls dialed (entries with no number) answered by `answer`. */
  const marksAnswered = (answer: (marks: ProgressMark[], write: () => Promise<ProgressMarked[]>) => Promise<ProgressMarked[]>): Store =>
    new Proxy(bench.db.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key !== 'markProgressBatch' || typeof value !== 'function') return value;
        const write = (...args: unknown[]): Promise<ProgressMarked[]> => (value as (...a: unknown[]) => Promise<ProgressMarked[]>).apply(target, args);
        return (marks: ProgressMark[], ...rest: unknown[]) => (marks.every((e) => e.number === undefined) ? answer(marks, () => write(marks, ...rest)) : write(marks, ...rest));
      },
    });

  /** Starts the task on `store` with a journal in the test's folder, runs `ms` of the clock; the journal, closed. */
  const dialWith = async (store: Store, settings: CampaignSettings, ms: number): Promise<FileDialJournal> => {
    const journal = new FileDialJournal(dir.path);
    const { dialer } = bench.dialer(settings, { store, view: bench.pbx.view(), journal });
    await dialer.start();
    await dialer.operate('start');
    await bench.clock.advance(ms);
    journal.close();
    return journal;
  };

  it('writes the ids of a group before any of its originate requests, and settles them once their mark is stored, while they still ring', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 60 });
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 3000, talkMs: 60_000 });
    await bench.db.store.importContacts('task-1', customers(settings, 12), bench.clock.now());
    const originated = (): Set<string> => new Set(bench.pbx.originated.map((o) => o.channelId));
    const sending: string[][] = [];
    const settled = new Set<string>();
    const early: string[] = [];
    const spy: DialJournal = {
      sending(ids) {
        const out = originated();
        early.push(...ids.filter((id) => out.has(id)));
        sending.push([...ids]);
      },
      settled(ids) {
        for (const id of ids) settled.add(id);
      },
      sent: () => false,
    };
    const { dialer } = bench.dialer(settings, { view: bench.pbx.view(), journal: spy });
    await dialer.start();
    await dialer.operate('start');
    const t0 = bench.clock.now();
    await bench.clock.advance(2500);
    const ahead = bench.pbx.originated.filter((o) => o.at >= t0 + 1000).map((o) => o.channelId);
    assert.ok(ahead.length >= 4, `calls written ahead were dialed: ${ahead.length}`);
    assert.deepEqual(early, [], 'no id written after its originate request');
    assert.deepEqual(ahead.filter((id) => !sending.flat().includes(id)), [], 'each call written ahead was written to the journal');
    assert.ok(ahead.every((id) => bench.pbx.channels.get(id)?.state === 'Ringing'), 'still ringing');
    assert.deepEqual(ahead.filter((id) => !settled.has(id)), [], 'settled at its mark, not at its outcome');
  });

  it('settles a call whose mark failed once its outcome is stored: a restart carries none of the calls that ended', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 60 });
    bench.pbx.setDefault({ outcome: 'busy', ringMs: 500 });
    await bench.db.store.importContacts('task-1', customers(settings, 8), bench.clock.now());
    // The store refuses the first write that marks a group dialed, and only that one.
    let refused = 0;
    const journal = await dialWith(
      marksAnswered((_marks, write) => {
        if (refused > 0) return write();
        refused += 1;
        return Promise.reject(new Error('the store is busy'));
      }),
      settings,
      10_000,
    );
    assert.equal(refused, 1, 'a mark was refused');
    const dialed = bench.pbx.originated.map((o) => o.channelId);
    const stored = await allContacts(bench.db.store, 'task-1');
    assert.ok(stored.every((c) => !(c.progress as { inflight?: unknown }).inflight), 'every call ended and was recorded');
    assert.deepEqual(dialed.filter((id) => journal.sent(id)), [], 'nothing pending once recorded');
    const restart = new FileDialJournal(dir.path);
    assert.deepEqual(dialed.filter((id) => restart.sent(id)), [], 'nothing carried by a restart');
    restart.close();
  });

  it('keeps a call whose mark the store did not save (its lease taken back meanwhile): the attempt is still written ahead', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 60 });
    bench.pbx.setDefault({ outcome: 'answer', ringMs: 3000, talkMs: 60_000 });
    await bench.db.store.importContacts('task-1', customers(settings, 8), bench.clock.now());
    // Every write that marks calls dialed answers 'not saved' (a lease no longer this claim's): nothing is written.
    await dialWith(
      marksAnswered((marks) => Promise.resolve(marks.map(() => ({ saved: false as const })))),
      settings,
      1999,
    );
    const unmarked = (await allContacts(bench.db.store, 'task-1'))
      .map((c) => (c.progress as { inflight?: { prewritten?: true; channelId: string } }).inflight)
      .filter((f) => f?.prewritten)
      .map((f) => f?.channelId as string);
    const dialed = new Set(bench.pbx.originated.map((o) => o.channelId));
    assert.ok(unmarked.filter((id) => dialed.has(id)).length >= 4, 'calls dialed and still written ahead');
    const restart = new FileDialJournal(dir.path);
    assert.deepEqual(unmarked.filter((id) => dialed.has(id) && !restart.sent(id)), [], 'a restart knows each was dialed');
    restart.close();
  });

  it('records a call that failed at once and is gone by the restart as one lost attempt, and never dials it twice under one attempt number', async function () {
    const settings = settingsWith({ intervalSec: 1, callsAtATime: 4, maxResponseSec: 60 });
    // As in prewrite.test.ts: the process dies between the second tick's dials and their marks.
    const journal1 = new FileDialJournal(dir.path);
    const { second } = await killedBetweenDialAndMark(bench, journal1);
    journal1.close();
    assert.equal(second.length, 4, 'the second tick dialed its 4 written ahead');
    const unmarked = (await allContacts(bench.db.store, 'task-1')).filter((c) => (c.progress as { inflight?: { prewritten?: true } }).inflight?.prewritten);
    assert.equal(unmarked.length, 4, 'they are still written as not yet dialed');
    await bench.clock.advance(5000);
    // The restart: a new journal reads the file.
    const journal2 = new FileDialJournal(dir.path);
    const log = new MemoryLogger();
    const b = bench.dialer(settings, { view: bench.pbx.view(), journal: journal2, log });
    await b.dialer.start();
    await bench.clock.advance(10 * 60_000);
    journal2.close();
    for (const { id, even, final, dialed } of await fatesOf(bench, unmarked)) {
      assert.deepEqual(final.attempts.map((x) => x.callId), dialed, `${id}: each call it was dialed is one attempt`);
      if (even) {
        assert.deepEqual(final.attempts.map((x) => [x.n, x.outcome]), [[1, 'answered']], `${id}: still up at the restart, resumed`);
      } else {
        assert.deepEqual(final.attempts[0] && [final.attempts[0].n, final.attempts[0].outcome, final.attempts[0].why], [1, 'lost', 'channel-gone'], `${id}: dialed before the crash, its outcome unknown`);
        assert.ok(final.attempts.slice(1).every((x, k) => x.n === k + 2), `${id}: a retry is a next attempt: ${JSON.stringify(final.attempts)}`);
        assert.ok(log.lines.some((m) => m.startsWith('info ') && m.includes(dialed[0] as string) && m.includes('recorded as lost')), `the log says why ${dialed[0]} is lost`);
      }
    }
    assert.ok(second.every((o) => !journal2.sent(o.channelId)), 'each settled once resolved');
  });
});
