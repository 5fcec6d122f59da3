/**
 * The calls this Node-RED has sent to Asterisk and not yet marked dialed in
 * the store, kept in a file of its user directory: what closes the window
 * between an originate request and the store write that marks its attempt
 * dialed (placing.ts).
 *
 * An attempt written ahead of its dial is flagged `prewritten` until that
 * mark is stored. After a crash, such an attempt whose channel Asterisk does
 * not know was either never dialed (the process stopped between the write
 * ahead and the dial, the common case: the next tick's contacts are written
 * ahead all the time) or dialed in the milliseconds before its mark and
 * ended before the restart (a busy number, a call refused at once). Asterisk
 * keeps nothing of a channel once it is gone, and a store write is what
 * lags. So the channel ids of a group are written here synchronously, in
 * one `write`, before its originate requests are sent: a process that is
 * killed after that write leaves it in the kernel's page cache, written to
 * disk whatever becomes of the process (not after a power loss: the file is
 * not synced, which would cost the dial a disk flush).
 *
 * A restart (the same user directory) reads the file back: a prewritten
 * attempt whose channel is gone and whose id is here was dialed, its outcome
 * unknown (`lost`), and its contact is not dialed twice under one attempt
 * number. One whose id is not here was not dialed, as before. A killed
 * process can leave an id here whose requests never left it (killed between
 * this write and the requests' hand-over to the sockets): that attempt reads
 * as dialed and lost, retried as its rule says. That is the side to err on:
 * a customer is never called twice because of a crash.
 *
 * An id settled (its mark or its outcome stored) gets a line of its own
 * (`-<id>`), written after the store's answer, off the dial's path: a
 * restart knows the ids still unmarked, not only those sent.
 *
 * Bounded: after ROTATE_AT ids the file becomes `<file>.1` (the one before
 * is dropped) and a new file starts with the ids still unmarked: this run's
 * and those read at the start that nobody has asked about yet (a campaign
 * whose Asterisk is not reachable, or not deployed now, asks later; a
 * second restart before it does must still find them). Those are the calls
 * unmarked at a stop: a few, not thousands. A settlement lost in a crash
 * (the process killed between the store's answer and its line) leaves an
 * id carried needlessly, never wrongly: its attempt is no longer written
 * ahead, so nobody asks about it.
 *
 * Another Node-RED that takes a dead one's leases over (a shared MongoDB
 * store) cannot read this file: for it, such a call still reads as not
 * dialed (docs/campaigns.md, "Crash safety").
 */
import fs from 'node:fs';
import path from 'node:path';

/** The journal's file in a Node-RED user directory. */
export const DIAL_JOURNAL_FILE = '.callflow-dialed';

/** Ids written to one file before it becomes `.1`. */
export const ROTATE_AT = 4096;

/** The most read back of each file (its end): a file this long was not written by this code. */
const READ_AT_MOST = 1024 * 1024;

/** A channel id as the dialer makes them (`cfc-<uuid>`); anything else read from the file is ignored. */
const CHANNEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What starts the line of an id settled: its mark (or outcome) stored. Not a channel id's first character. */
const SETTLED = '-';

/** What the dialer asks of the journal (placing.ts, in-flight.ts). */
export interface DialJournal {
  /** Before their originate requests are sent: these channels are being dialed. Never throws. */
  sending(ids: readonly string[]): void;
  /** Their mark (or their outcome) is in the store: they are no longer needed. */
  settled(ids: readonly string[]): void;
  /** Whether this Node-RED sent a call on this channel id and its mark may not have reached the store. */
  sent(id: string): boolean;
}

export class FileDialJournal implements DialJournal {
  private readonly file: string;
  /** Ids sent and not settled in this process. */
  private readonly pending = new Set<string>();
  /** Ids read back at the start, not settled: sent by an earlier run of this Node-RED, their mark not known to be stored. */
  private readonly before = new Set<string>();
  private fd: number | undefined;
  private written = 0;
  /** The last write was cut short (a disk full): its last line has no end. */
  private cut = false;
  /** The last error told (a failing disk is told once, and again when it changes or after it recovered). */
  private failing: string | undefined;

  constructor(
    dir: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.file = path.join(dir, DIAL_JOURNAL_FILE);
    const current = readLines(this.file);
    for (const id of unsettled([...readLines(`${this.file}.1`), ...current])) this.before.add(id);
    // Appended to: the ids of the run before stay in this file until it becomes `.1`.
    this.written = current.filter((line) => CHANNEL_ID.test(line)).length;
  }

  sending(ids: readonly string[]): void {
    if (ids.length === 0) return;
    let rotating = false;
    try {
      // Removed by hand while open: the writes would go to a file nobody can read; a new one carries the unmarked ids.
      if (this.written >= ROTATE_AT || (this.fd !== undefined && fs.fstatSync(this.fd).nlink === 0)) this.rotate();
    } catch (err) {
      // The appends go on (to the file as it is): told once, not at each group while the rotation keeps failing.
      rotating = true;
      this.failed(err as Error, 'its file grows until it can be rotated');
    }
    for (const id of ids) this.pending.add(id);
    if (this.append(ids, rotating)) this.written += ids.length;
  }

  settled(ids: readonly string[]): void {
    const done: string[] = [];
    for (const id of ids) {
      const pending = this.pending.delete(id);
      if (this.before.delete(id) || pending) done.push(`${SETTLED}${id}`);
    }
    // Told to the file (a write after the mark's, off the dial's path): a restart does not carry a call whose mark is
    // stored. Lost in a crash, it is carried needlessly, never wrongly: its attempt is no longer written ahead.
    if (done.length > 0) this.append(done);
  }

  sent(id: string): boolean {
    return this.pending.has(id) || this.before.has(id);
  }

  /** Closes the file (a test's end; a running Node-RED keeps it open). */
  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // closed already
    }
    this.fd = undefined;
  }

  /**
   * The file becomes `.1`; the new one starts with the ids still unsettled: this run's and those read at the start
   * that nobody asked about yet (a dialer whose Asterisk is not reachable, a campaign not deployed now), which a
   * later restart still needs.
   */
  private rotate(): void {
    this.close();
    try {
      fs.renameSync(this.file, `${this.file}.1`);
    } catch (err) {
      // Removed meanwhile (by hand): nothing to keep.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.fd = openForAppend(this.file);
    this.written = 0;
    const carried = [...this.before, ...this.pending];
    this.cut = false;
    if (carried.length > 0) this.append(carried);
  }

  /** Appends lines in one write; false (told) when the file cannot be written. `stillFailing`: a failure told stays told. */
  private append(items: readonly string[], stillFailing = false): boolean {
    try {
      this.fd ??= openForAppend(this.file);
      // After a short write, its last line is ended first: it would take the first id of this one with it.
      const text = `${this.cut ? '\n' : ''}${lines(items)}`;
      const length = Buffer.byteLength(text);
      const n = fs.writeSync(this.fd, text);
      this.cut = n < length;
      if (this.cut) throw new Error(`only ${n} of ${length} bytes written (is the disk full?)`);
      if (!stillFailing) this.failing = undefined;
      return true;
    } catch (err) {
      this.failed(err as Error);
      return false;
    }
  }

  private failed(err: Error, consequence = 'a call dialed in the moments before a crash and gone by the restart will read as not dialed'): void {
    this.close();
    if (this.failing === err.message) return;
    this.failing = err.message;
    this.warn(`writing the calls being dialed to ${this.file} failed: ${err.message}; ${consequence}`);
  }
}

/** Opens the file to append to it; not through a symbolic link, and not blocking on a named pipe: refused if it is not a regular file. */
function openForAppend(file: string): number {
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new Error('it is a symbolic link, which is not followed (remove it)');
    if (code === 'ENXIO') throw new Error('it is not a regular file but a named pipe (remove it)');
    throw err;
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new Error('it is not a regular file (remove it)');
  }
  return fd;
}

function lines(items: readonly string[]): string {
  return `${items.join('\n')}\n`;
}

/** The ids of `lines` (in the order written) with no settlement after them. */
function unsettled(read: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const line of read) {
    if (CHANNEL_ID.test(line)) ids.add(line);
    else if (line.startsWith(SETTLED)) ids.delete(line.slice(SETTLED.length));
  }
  return ids;
}

/** The lines of a journal file (its end, when longer than READ_AT_MOST); none when it is missing or is not a regular file (a link, a pipe, a folder, a device: not read, the write warns). */
function readLines(file: string): string[] {
  let text: string;
  let fd: number | undefined;
  try {
    if (!fs.lstatSync(file).isFile()) return [];
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return [];
    const n = Math.min(stat.size, READ_AT_MOST);
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, stat.size - n);
    text = buf.subarray(0, got).toString('utf8');
    // The first line read may be cut: dropped.
    if (stat.size > READ_AT_MOST) text = text.slice(text.indexOf('\n') + 1);
  } catch {
    // No journal yet (or not readable: nothing to go by).
    return [];
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return text.split('\n');
}

const journals = new Map<string, FileDialJournal>();

/** The journal of the Node-RED whose user directory is `dir`: one per directory in a process (its dialers share it). */
export function dialJournal(dir: string, warn?: (message: string) => void): FileDialJournal {
  const key = path.resolve(dir);
  let journal = journals.get(key);
  if (!journal) {
    journal = new FileDialJournal(key, warn);
    journals.set(key, journal);
  }
  return journal;
}
