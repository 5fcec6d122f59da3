/**
 * Synthesised audio kept on disk, one file per text: its name is an id made
 * from the key (provider, voice, language, rate, text) with a secret kept in
 * the folder (HMAC-SHA256), so the same text finds the same file after a
 * restart, and no one who lacks the secret can guess the id of a text. Ids are
 * 32 hexadecimal characters; a file's extension says its format (".wav" at
 * 8 kHz, ".wav16" at 16 kHz, as Asterisk's format_wav registers them).
 *
 * The folder is bounded in bytes: past the bound the least recently used files
 * are deleted (the order survives a restart through the files' modification
 * times, which a use refreshes). Two requests for the same key while it is
 * being made share one synthesis. Files are written to a temporary name and
 * renamed, so a reader never sees half a file.
 *
 * The files made last are kept in memory as well (at most FRESH_BYTES): Asterisk
 * asks for a reply as soon as it is told to play it, and the route (route.ts)
 * answers from memory then, without opening, reading and closing the file on
 * libuv's thread pool on the way to the caller hearing it. For the same reason a
 * caller that has Asterisk fetch the audio over HTTP (`early`) gets it as soon as
 * it is made, while its file is still being written: the route serves it from
 * memory until then (a file being written is never dropped from memory; past
 * FRESH_BYTES of those, a disk too slow for them, replies wait for their files).
 * When the file cannot be written (a full disk, a folder made read-only) the
 * audio is still served from memory while it is kept there, and `onWriteError`
 * says why; a caller that needs the file itself (Asterisk reading the folder)
 * gets the error.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { turnStage } from '../turn-stages';

export const ID_PATTERN = /^[0-9a-f]{32}$/;
const FILE_PATTERN = /^([0-9a-f]{32})\.(wav|wav16)$/;

export type AudioExtension = 'wav' | 'wav16';

/** A temporary file older than this when a cache opens was left by a crash (younger: another instance is writing it). */
const STALE_TMP_MS = 60_000;
/** A file's use refreshes its modification time at most this often (ms): the order of use is kept to the minute. */
const TOUCH_EVERY_MS = 60_000;

/** The most bytes of just-made files kept in memory per cache (a 3 s reply at 8 kHz is 48 kB). */
export const FRESH_BYTES = 4 * 1024 * 1024;

export interface CachedAudio {
  id: string;
  extension: AudioExtension;
  /** The file's path. */
  path: string;
  bytes: number;
}

export interface CacheFigures {
  files: number;
  bytes: number;
  hits: number;
  misses: number;
  evicted: number;
}

export interface GetOptions {
  /**
   * Resolve once the audio is made and kept in memory, before its file is on disk: for a caller whose Asterisk
   * fetches it from the route, which serves it from memory meanwhile. Without it, once the file is written; with it
   * too while the bodies waiting for the disk pass FRESH_BYTES.
   */
  early?: boolean;
}

/** A file made: its entry, and its write (settled with the error when it could not be written; never rejected). */
interface Made {
  entry: CachedAudio;
  written: Promise<Error | undefined>;
}

export class AudioCache {
  /** Files by id, least recently used first (a Map keeps insertion order; a use moves the entry to the end). */
  private readonly files = new Map<string, CachedAudio>();
  /** When each file's modification time was last set by a use (ms). */
  private readonly touchedAt = new Map<string, number>();
  private readonly making = new Map<string, Promise<Made>>();
  /** The writes of files made but not yet on disk, by id. */
  private readonly writing = new Map<string, Promise<Error | undefined>>();
  /** Ids whose file is being deleted (evicted): not adopted back meanwhile. */
  private readonly deleting = new Set<string>();
  /** Writes and deletions going on (idle() waits for them). */
  private readonly background = new Set<Promise<unknown>>();
  /** The bodies of the files made last, oldest first, at most FRESH_BYTES in all (and those being written). */
  private readonly fresh = new Map<string, { body: Buffer; extension: AudioExtension }>();
  private freshBytes = 0;
  private secret: Buffer | undefined;
  private total = 0;
  private opened: Promise<void> | undefined;
  readonly figures: CacheFigures = { files: 0, bytes: 0, hits: 0, misses: 0, evicted: 0 };
  /** Told when a file made could not be written (the audio is then served from memory while it is kept there). */
  onWriteError: ((err: Error) => void) | undefined;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Creates the folder and its secret, and takes stock of the files already there (oldest used first). */
  open(): Promise<void> {
    this.opened ??= this.load();
    return this.opened;
  }

  private async load(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(this.dir, '.key');
    try {
      this.secret = await fs.promises.readFile(keyFile);
      if (this.secret.length < 32) throw new Error('short key');
    } catch {
      this.secret = randomBytes(32);
      await fs.promises.writeFile(keyFile, this.secret, { mode: 0o600 });
    }
    const found: (CachedAudio & { used: number })[] = [];
    for (const name of await fs.promises.readdir(this.dir)) {
      const m = FILE_PATTERN.exec(name);
      const file = path.join(this.dir, name);
      if (!m) {
        // A temporary file left by a crash; not one another instance on this folder is writing now (a redeploy's
        // previous speech node finishing its last replies).
        if (name.startsWith('.tmp-')) {
          const stat = await fs.promises.stat(file).catch(() => undefined);
          if (stat && Date.now() - stat.mtimeMs > STALE_TMP_MS) await fs.promises.rm(file, { force: true }).catch(() => undefined);
        }
        continue;
      }
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (stat?.isFile()) found.push({ id: m[1] as string, extension: m[2] as AudioExtension, path: file, bytes: stat.size, used: stat.mtimeMs });
    }
    found.sort((a, b) => a.used - b.used);
    for (const { used: _used, ...entry } of found) this.add(entry);
    await this.evict();
  }

  /** Where the file of an id is (its name is the id and the extension). */
  private pathOf(id: string, extension: AudioExtension): string {
    return path.join(this.dir, `${id}.${extension}`);
  }

  /** The id of a key (the file's name without its extension). */
  idFor(key: string): string {
    if (!this.secret) throw new Error('the audio cache is not open');
    return createHmac('sha256', this.secret).update(key).digest('hex').slice(0, 32);
  }

  /**
   * A file by id and extension, as it is now (undefined when there is none); counts as a use. A file whose write
   * failed, or evicted while it was written, is found while its audio is still kept in memory.
   */
  find(id: string, extension: AudioExtension): CachedAudio | undefined {
    const entry = this.files.get(id);
    if (!entry) {
      const kept = this.fresh.get(id);
      return kept?.extension === extension ? { id, extension, path: this.pathOf(id, extension), bytes: kept.body.length } : undefined;
    }
    if (entry.extension !== extension) return undefined;
    this.touch(entry);
    return entry;
  }

  /**
   * A file this cache does not know but its folder holds (undefined when it holds none): one the previous instance of
   * a redeployed speech node wrote after this one took stock of the folder, a reply it had given to Asterisk. It is
   * counted from now on. The id and extension are a name the route matched, never a path; the route has found it in
   * no cache first (find()).
   */
  async adopt(id: string, extension: AudioExtension): Promise<CachedAudio | undefined> {
    if (!ID_PATTERN.test(id) || this.deleting.has(id)) return undefined;
    const file = this.pathOf(id, extension);
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile() || this.files.has(id)) return this.find(id, extension);
    const entry: CachedAudio = { id, extension, path: file, bytes: stat.size };
    this.add(entry);
    this.inBackground(this.evict(id));
    return entry;
  }

  /**
   * The file for `key`, made by `make` when there is none (requests for the same key while it is made wait for that
   * one synthesis). `hit` says whether it was there already. Resolves once the file is written, or with `early` once
   * it is made (GetOptions).
   */
  async get(key: string, extension: AudioExtension, make: (id: string) => Promise<Buffer>, options: GetOptions = {}): Promise<CachedAudio & { hit: boolean }> {
    await this.open();
    const id = this.idFor(key);
    const entry = this.files.get(id);
    if (entry && entry.extension === extension) {
      this.figures.hits += 1;
      this.touch(entry);
      if (!options.early) await thrown(this.writing.get(id));
      return { ...entry, hit: true };
    }
    let made = this.making.get(id);
    const hit = made !== undefined;
    if (made) this.figures.hits += 1;
    else {
      this.figures.misses += 1;
      made = this.make(id, extension, make).finally(() => this.making.delete(id));
      this.making.set(id, made);
    }
    const { entry: file, written } = await made;
    // Past FRESH_BYTES of bodies waiting for the disk (a slow or stuck one) a reply waits for its file, as without
    // `early`: memory then holds at most one body per caller waiting, not one per reply made since the disk stalled.
    if (!options.early || this.freshBytes > FRESH_BYTES) await thrown(written);
    return { ...file, hit };
  }

  private async make(id: string, extension: AudioExtension, make: (id: string) => Promise<Buffer>): Promise<Made> {
    const body = await make(id);
    turnStage('file-made', id);
    const entry: CachedAudio = { id, extension, path: this.pathOf(id, extension), bytes: body.length };
    this.add(entry);
    // Written now: its modification time is its use until TOUCH_EVERY_MS has passed (the fetch that follows).
    this.touchedAt.set(id, Date.now());
    const written = this.write(entry, body)
      .then(
        async () => {
          turnStage('cache-written', id);
          // Evicted while it was written (and not made again since): its file goes now.
          if (!this.files.has(id)) await fs.promises.rm(entry.path, { force: true }).catch(() => undefined);
          return undefined;
        },
        (err: unknown) => {
          const error = new Error(`the speech cache could not write ${entry.path}: ${(err as Error).message}`);
          if (this.files.get(id) === entry) this.remove(entry);
          this.onWriteError?.(error);
          return error;
        },
      )
      .then((error) => {
        // Unless the text was made again meanwhile (evicted while written, then asked for again): that write is not over.
        if (this.writing.get(id) === written) {
          this.writing.delete(id);
          if (!error && !this.files.has(id)) this.forget(id);
        }
        this.trimFresh();
        return error;
      });
    this.writing.set(id, written);
    this.inBackground(written);
    this.keepFresh(id, body, extension);
    // The deletions of older files are not this reply's to wait for.
    this.inBackground(this.evict(id));
    return { entry, written };
  }

  private inBackground(work: Promise<unknown>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  /** Resolves once the file of `id` is on disk (at once when it is not being written); rejects when it could not be. */
  onDisk(id: string): Promise<void> {
    return thrown(this.writing.get(id));
  }

  /** Resolves once no file is being written or deleted (a node closing; a test reading the folder). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Writes a file to a temporary name and renames it, so a reader never sees half of it. */
  private async write(entry: CachedAudio, body: Buffer): Promise<void> {
    const tmp = path.join(this.dir, `.tmp-${entry.id}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.promises.writeFile(tmp, body, { mode: 0o644 });
      await fs.promises.rename(tmp, entry.path);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** The body of a file made lately, when it is still kept in memory (the file is the same). */
  freshBody(id: string): Buffer | undefined {
    return this.fresh.get(id)?.body;
  }

  /** Keeps a body made; past the bound the oldest go, except those whose file is being written (none else has them). */
  private keepFresh(id: string, body: Buffer, extension: AudioExtension): void {
    this.forget(id);
    this.fresh.set(id, { body, extension });
    this.freshBytes += body.length;
    this.trimFresh();
  }

  private trimFresh(): void {
    for (const old of this.fresh.keys()) {
      if (this.freshBytes <= FRESH_BYTES) break;
      if (!this.writing.has(old)) this.forget(old);
    }
  }

  private forget(id: string): void {
    const kept = this.fresh.get(id);
    if (!kept) return;
    this.fresh.delete(id);
    this.freshBytes -= kept.body.length;
  }

  private add(entry: CachedAudio): void {
    const old = this.files.get(entry.id);
    if (old) this.total -= old.bytes;
    this.files.delete(entry.id);
    this.files.set(entry.id, entry);
    this.total += entry.bytes;
    this.figures.files = this.files.size;
    this.figures.bytes = this.total;
  }

  private touch(entry: CachedAudio): void {
    this.files.delete(entry.id);
    this.files.set(entry.id, entry);
    // The use order for the next start, to the minute: a file used again within TOUCH_EVERY_MS of its last write or
    // touch (a reply made, then fetched by Asterisk) is not touched again. Losing it (a read-only folder) costs only
    // that order.
    const now = Date.now();
    if (now - (this.touchedAt.get(entry.id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touchedAt.set(entry.id, now);
    this.inBackground(fs.promises.utimes(entry.path, now / 1000, now / 1000).catch(() => undefined));
  }

  private remove(entry: CachedAudio): void {
    this.files.delete(entry.id);
    this.touchedAt.delete(entry.id);
    this.total -= entry.bytes;
    this.figures.files = this.files.size;
    this.figures.bytes = this.total;
  }

  /**
   * Deletes the least recently used files until the folder is within its bound (never `keep`, the file just made). A
   * file still being written goes once written (make()); its audio stays in memory until then, for the route.
   */
  private async evict(keep?: string): Promise<void> {
    for (const entry of [...this.files.values()]) {
      if (this.total <= this.maxBytes) break;
      // Another eviction may have taken it while this one waited for a deletion.
      if (entry.id === keep || this.files.get(entry.id) !== entry) continue;
      this.remove(entry);
      this.figures.evicted += 1;
      if (this.writing.has(entry.id)) continue;
      this.forget(entry.id);
      // A file that cannot be deleted is out of the count all the same; the next start takes stock again.
      this.deleting.add(entry.id);
      await fs.promises.rm(entry.path, { force: true }).catch(() => undefined);
      this.deleting.delete(entry.id);
    }
  }
}

/** Throws the error a write settled with, if any. */
async function thrown(written: Promise<Error | undefined> | undefined): Promise<void> {
  const err = await written;
  if (err) throw err;
}
