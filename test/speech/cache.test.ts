/**
 * lib/speech/cache.ts, synthesiser.ts and route.ts: audio made once per text, bounded on disk, served to Asterisk
 * by an unguessable name with the headers res_http_media_cache reads.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AudioCache, FRESH_BYTES } from '../../lib/speech/cache';
import { SpeechError, type SpeechProvider, type SpeechRequest } from '../../lib/speech/provider';
import { serveAudio } from '../../lib/speech/route';
import { Synthesiser } from '../../lib/speech/synthesiser';
import { turnStages, type TurnStage } from '../../lib/turn-stages';
import { parseWav, type Pcm } from '../../lib/speech/wav';
import { useTempDir } from '../support/temp-dir';

/** A provider that says each text as 1 ms of audio per character at 8 kHz, counting its calls; `gate` holds them. */
class CountingProvider implements SpeechProvider {
  readonly identity = 'counting';
  calls: SpeechRequest[] = [];
  gate: Promise<void> = Promise.resolve();
  async synthesize(request: SpeechRequest): Promise<Pcm> {
    this.calls.push(request);
    await this.gate;
    if (request.text === 'fail') throw new SpeechError('unavailable', 'counting: down');
    return { rate: 8000, samples: new Int16Array(request.text.length * 8).fill(1000) };
  }
}

function get(port: number, name: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path: `/callflow/speech/${name}`, headers, method }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject)
      .end();
  });
}

/**
 * Holds the writes of the files a cache makes under `dir` (a slow or stuck disk), each until released: release(id)
 * lets the oldest held write of that id go on, releaseAll() every one. `started(id)` resolves once a write of that id is
 * held. restore() puts fs back.
 */
function holdWrites(dir: string): { started(id: string): Promise<void>; release(id: string): void; releaseAll(): void; restore(): void } {
  const real = fs.promises.writeFile;
  const held: { id: string; open: () => void }[] = [];
  const waiting: { id: string; begun: () => void }[] = [];
  fs.promises.writeFile = (async (file: fs.PathLike | fs.promises.FileHandle, ...rest: unknown[]) => {
    const m = typeof file === 'string' && path.dirname(file) === dir ? /^\.tmp-([0-9a-f]{32})-/.exec(path.basename(file)) : null;
    if (m) {
      const id = m[1] as string;
      await new Promise<void>((open) => {
        held.push({ id, open });
        for (const w of waiting.filter((x) => x.id === id)) w.begun();
      });
    }
    return (real as (...a: unknown[]) => Promise<void>)(file, ...rest);
  }) as typeof fs.promises.writeFile;
  return {
    started: (id) => (held.some((h) => h.id === id) ? Promise.resolve() : new Promise((begun) => waiting.push({ id, begun }))),
    release: (id) => {
      const i = held.findIndex((h) => h.id === id);
      if (i >= 0) held.splice(i, 1)[0]?.open();
    },
    releaseAll: () => {
      for (const h of held.splice(0)) h.open();
    },
    restore: () => {
      fs.promises.writeFile = real;
    },
  };
}

/** Resolves once the file of `id` is written (the `cache-written` turn stage), and the handlers after it have run. */
function written(id: string): Promise<void> {
  return new Promise((resolve) => {
    const seen = (message: unknown): void => {
      const stage = message as TurnStage;
      if (stage.stage !== 'cache-written' || stage.key !== id) return;
      turnStages.unsubscribe(seen);
      setImmediate(resolve);
    };
    turnStages.subscribe(seen);
  });
}

describe('speech cache and route', function () {
  const temp = useTempDir('callflow-speech-');
  function synthesiser(provider: SpeechProvider, maxBytes = 1_000_000, rate: 8000 | 16000 = 8000, dir = temp.another()): Synthesiser {
    return new Synthesiser({ provider, cache: new AudioCache(dir, maxBytes), rate, delivery: { kind: 'http', urlPrefix: 'http://nodered.example:1880/callflow/speech/' }, voice: '', language: 'en' });
  }

  it('synthesises a text once; the same text again is a hit; concurrent requests share one synthesis', async function () {
    const provider = new CountingProvider();
    const s = synthesiser(provider);
    let open!: () => void;
    provider.gate = new Promise((resolve) => (open = resolve));
    const both = Promise.all([s.media('hello'), s.media('hello')]);
    await new Promise((resolve) => setImmediate(resolve));
    open();
    const [a, b] = await both;
    assert.equal(a, b);
    assert.match(a, /^sound:http:\/\/nodered\.example:1880\/callflow\/speech\/[0-9a-f]{32}\.wav$/);
    assert.equal((await s.audio('hello')).hit, true);
    assert.equal(provider.calls.length, 1);
    await s.media('hello', { language: 'fr' });
    assert.equal(provider.calls.length, 2, 'another language is another text');
  });

  it('a call that hangs up while its text is made leaves the shared synthesis to the others, and it is kept', async function () {
    const provider = new CountingProvider();
    const s = synthesiser(provider);
    let open!: () => void;
    provider.gate = new Promise((resolve) => (open = resolve));
    const first = new AbortController();
    const gone = s.media('shared text', { signal: first.signal });
    const staying = s.media('shared text', { signal: new AbortController().signal });
    await new Promise((resolve) => setImmediate(resolve));
    first.abort();
    await assert.rejects(gone, /cancelled/);
    open();
    assert.match(await staying, /\.wav$/);
    assert.equal(provider.calls.length, 1);
    assert.equal(provider.calls[0]?.signal?.aborted, false, 'no one call\'s signal cancels the shared synthesis');
    assert.equal((await s.audio('shared text')).hit, true);
  });

  it('closing (its speech node closes) cancels the syntheses under way, not only the waits: none is kept, none starts after', async function () {
    const asked: SpeechRequest[] = [];
    let bothAsked!: () => void;
    const twice = new Promise<void>((resolve) => (bothAsked = resolve));
    // A provider that answers only when cancelled (a slow API), as the real ones do: its request ends with the signal.
    const slow: SpeechProvider = {
      identity: 'slow',
      synthesize: (request) => {
        asked.push(request);
        if (asked.length === 2) bothAsked();
        return new Promise((_resolve, reject) => request.signal?.addEventListener('abort', () => reject(new SpeechError('aborted', 'slow: cancelled')), { once: true }));
      },
    };
    const s = synthesiser(slow);
    const waiting = [s.media('a long answer'), s.media('a long answer', { signal: new AbortController().signal }), s.media('another')];
    await twice;
    s.close();
    for (const w of waiting) await assert.rejects(w, /cancelled/);
    assert.equal(asked.length, 2, 'one synthesis per text');
    assert.ok(asked.every((r) => r.signal?.aborted === true), 'the providers were told to stop');
    assert.equal(s.cache.figures.files, 0, 'nothing kept');
    await assert.rejects(s.media('after the close'), /cancelled/);
  });

  it('keeps the same name across a restart (the secret is in the folder) and takes stock of the files there', async function () {
    const dir = temp.another();
    const first = synthesiser(new CountingProvider(), 1_000_000, 8000, dir);
    const uri = await first.media('persist me');
    await first.cache.idle();
    const provider = new CountingProvider();
    const second = synthesiser(provider, 1_000_000, 8000, dir);
    assert.equal(await second.media('persist me'), uri);
    assert.equal(provider.calls.length, 0);
    assert.equal(fs.statSync(path.join(dir, '.key')).mode & 0o777, 0o600);
  });

  it('stays within its bound: the least recently used files go first', async function () {
    const provider = new CountingProvider();
    // Each text of 100 characters is 800 samples: 1600 bytes + 44 of header.
    const s = synthesiser(provider, 4000);
    const text = (c: string): string => c.repeat(100);
    await s.audio(text('a'));
    await s.audio(text('b'));
    await s.audio(text('a')); // a is now the most recent
    await s.audio(text('b'));
    await s.audio(text('a')); // a again, its file's time not set again within the minute: still the most recent
    await s.audio(text('c')); // over 4000 bytes: b goes
    assert.equal(s.cache.figures.files, 2);
    assert.ok(s.cache.figures.bytes <= 4000);
    assert.equal(s.cache.figures.evicted, 1);
    assert.equal((await s.audio(text('a'))).hit, true);
    assert.equal((await s.audio(text('b'))).hit, false, 'b was evicted');
    await s.cache.idle();
    assert.equal(fs.readdirSync(s.cache.dir).filter((f) => f.endsWith('.wav')).length, 2);
  });

  it('a use refreshes the file\'s time for the order after a restart, at most once a minute', async function () {
    const dir = temp.another();
    const first = synthesiser(new CountingProvider(), 1_000_000, 8000, dir);
    const a = await first.audio('said first');
    const b = await first.audio('said second');
    await first.cache.idle();
    // Made and used again within the minute (a reply fetched by Asterisk): its write was its use, no touch.
    const earlier = new Date(Math.floor(fs.statSync(a.path).mtimeMs) - 5000);
    fs.utimesSync(a.path, earlier, earlier);
    assert.equal((await first.audio('said first')).hit, true);
    await first.cache.idle();
    assert.equal(Math.round(fs.statSync(a.path).mtimeMs), earlier.getTime(), 'not touched after its write');
    const hourAgo = new Date(Date.now() - 3_600_000);
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    fs.utimesSync(a.path, twoHoursAgo, twoHoursAgo);
    fs.utimesSync(b.path, hourAgo, hourAgo);
    // After a restart: a is used, so it is the more recent of the two now.
    const second = synthesiser(new CountingProvider(), 1_000_000, 8000, dir);
    assert.equal((await second.audio('said first')).hit, true);
    await second.cache.idle();
    assert.ok(fs.statSync(a.path).mtimeMs > Date.now() - 60_000, 'a was touched by its use');
    assert.equal(Math.round(fs.statSync(b.path).mtimeMs), hourAgo.getTime(), 'b was not used');
    // Used again within the minute: not touched again (a reply made, then fetched by Asterisk: one touch).
    fs.utimesSync(a.path, twoHoursAgo, twoHoursAgo);
    assert.equal((await second.audio('said first')).hit, true);
    await second.cache.idle();
    assert.equal(Math.round(fs.statSync(a.path).mtimeMs), twoHoursAgo.getTime());
  });

  it('removes the temporary files a crash left when it opens, not those another instance on the folder is writing', async function () {
    const dir = temp.another();
    fs.mkdirSync(dir, { recursive: true });
    const stale = path.join(dir, `.tmp-${'a'.repeat(32)}-00000000`);
    const writing = path.join(dir, `.tmp-${'b'.repeat(32)}-00000000`);
    fs.writeFileSync(stale, 'left by a crash');
    fs.writeFileSync(writing, 'being written');
    const longAgo = new Date(Date.now() - 120_000);
    fs.utimesSync(stale, longAgo, longAgo);
    await new AudioCache(dir, 1_000_000).open();
    assert.equal(fs.existsSync(stale), false, 'two minutes old: removed');
    assert.equal(fs.existsSync(writing), true, 'just written: kept');
  });

  it('a failed synthesis is not cached: the next request tries again', async function () {
    const provider = new CountingProvider();
    const s = synthesiser(provider);
    await assert.rejects(s.media('fail'), /counting: down/);
    await assert.rejects(s.media('fail'), /counting: down/);
    assert.equal(provider.calls.length, 2);
    assert.equal(s.cache.figures.files, 0);
  });

  it('16 kHz audio is a .wav16 file, as format_wav registers it', async function () {
    const s = synthesiser(new CountingProvider(), 1_000_000, 16000);
    const audio = await s.audio('wide band');
    await s.cache.onDisk(audio.id);
    assert.equal(audio.extension, 'wav16');
    assert.equal(parseWav(fs.readFileSync(audio.path)).rate, 16000);
    const shared = new Synthesiser({ ...s.options, delivery: { kind: 'shared', soundPrefix: 'callflow-tts' } });
    assert.equal(shared.uriOf(audio), `sound:callflow-tts/${audio.id}`);
  });

  it('gives audio Asterisk fetches over HTTP once made, its file written after; shared delivery waits for the file', async function () {
    const provider = new CountingProvider();
    const s = synthesiser(provider);
    const shared = new Synthesiser({ ...s.options, delivery: { kind: 'shared', soundPrefix: 'callflow-tts' } });
    const early = await s.audio('early');
    assert.equal(s.cache.freshBody(early.id)?.length, early.bytes, 'kept in memory for the route');
    await s.cache.onDisk(early.id);
    assert.deepEqual(fs.readFileSync(early.path), s.cache.freshBody(early.id));
    const onDisk = await shared.audio('on disk');
    assert.ok(fs.existsSync(onDisk.path), 'the file is there when shared delivery gets it');
  });

  it('samples for audio sent by this process: the cached audio at the rate asked, from memory or from its file, one synthesis', async function () {
    const provider = new CountingProvider();
    const s = synthesiser(provider, 1_000_000, 8000);
    const narrow = await s.samples('streamed', 8000);
    assert.equal(narrow.length, 'streamed'.length * 8, 'the cache\'s rate: as made');
    assert.ok(narrow.every((x) => x === 1000));
    const wide = await s.samples('streamed', 16000);
    assert.equal(wide.length, 'streamed'.length * 16, 'resampled to the media\'s rate');
    assert.equal(provider.calls.length, 1, 'made once, for both rates and for the file Asterisk would play');
    const audio = await s.audio('streamed');
    await s.cache.onDisk(audio.id);
    // A cache of the same folder that has not made it keeps nothing in memory: it reads the file.
    const other = new Synthesiser({ ...s.options, cache: new AudioCache(s.cache.dir, 1_000_000) });
    assert.equal(other.cache.freshBody(audio.id), undefined);
    assert.deepEqual(await other.samples('streamed', 8000), narrow);
    assert.equal(provider.calls.length, 1, 'found in the folder, not made again');
    await assert.rejects(s.samples('fail', 8000), /counting: down/);
  });

  it('a file that cannot be written: the audio is still served from memory, the cache says why, and shared delivery fails', async function () {
    const cache = new AudioCache(temp.another(), 1_000_000);
    await cache.open();
    const errors: string[] = [];
    cache.onWriteError = (err) => errors.push(err.message);
    const body = Buffer.from('RIFF....WAVE');
    // A folder where the file goes: the rename onto it fails, as a full disk or a read-only folder would fail it.
    fs.mkdirSync(path.join(cache.dir, `${cache.idFor('k')}.wav`));
    const early = await cache.get('k', 'wav', () => Promise.resolve(body), { early: true });
    await assert.rejects(cache.onDisk(early.id), /the speech cache could not write .*\.wav: /);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /could not write/);
    assert.deepEqual(cache.freshBody(early.id), body, 'served from memory');
    assert.equal(cache.find(early.id, 'wav')?.bytes, body.length, 'the route finds it');
    assert.equal(cache.figures.files, 0, 'not counted as a file');
    await assert.rejects(cache.get('k', 'wav', () => Promise.resolve(body)), /could not write/, 'a caller that needs the file gets the error');
    assert.deepEqual(fs.readdirSync(cache.dir).filter((f) => f.startsWith('.tmp-')), [], 'no temporary file left');
  });

  it('a text made again while its evicted file is still being written keeps its new write: evicted again, the route still finds it', async function () {
    const cache = new AudioCache(temp.another(), 150);
    await cache.open();
    const held = holdWrites(cache.dir);
    try {
      const body = (c: string) => () => Promise.resolve(Buffer.alloc(100, c));
      const a = cache.idFor('a');
      await cache.get('a', 'wav', body('a'), { early: true });
      // b pushes a out while a's first write is held; a asked again is made again (a second write of the same file).
      await cache.get('b', 'wav', body('b'), { early: true });
      await cache.get('a', 'wav', body('a'), { early: true });
      // The first write of a ends; the second is still under way.
      const first = written(a);
      held.release(a);
      await first;
      // c pushes a out again: its second write is not finished, so its audio stays in memory for the route.
      await cache.get('c', 'wav', body('c'), { early: true });
      assert.equal(cache.find(a, 'wav')?.bytes, 100, 'the route finds the reply given to Asterisk');
      assert.equal(cache.freshBody(a)?.length, 100);
      held.releaseAll();
      await cache.idle();
      const onDisk = fs.readdirSync(cache.dir).filter((f) => f.endsWith('.wav'));
      assert.deepEqual(onDisk, [`${cache.idFor('c')}.wav`], 'the folder holds what is counted');
      assert.equal(cache.figures.files, 1);
    } finally {
      held.restore();
    }
  });

  it('replies given before their files are written wait for their files once the bodies waiting for the disk pass FRESH_BYTES', async function () {
    const cache = new AudioCache(temp.another(), 64 * 1024 * 1024);
    await cache.open();
    const held = holdWrites(cache.dir);
    try {
      const made = (c: number) => () => Promise.resolve(Buffer.alloc(FRESH_BYTES / 4, c));
      for (let i = 0; i < 4; i++) await cache.get(`t${i}`, 'wav', made(i), { early: true });
      const id = cache.idFor('t4');
      let given = false;
      const fifth = cache.get('t4', 'wav', made(4), { early: true }).then((r) => {
        given = true;
        return r;
      });
      await held.started(id);
      // Every promise settled by the write's start has run by the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(given, false, 'a stuck disk does not let memory grow with every reply');
      held.releaseAll();
      const r = await fifth;
      assert.ok(fs.existsSync(r.path), 'given once its file is written');
    } finally {
      held.restore();
    }
  });

  describe('the route', function () {
    let server: http.Server;
    let port: number;
    let caches: AudioCache[] = [];
    before(async function () {
      server = http.createServer((req, res) => void serveAudio(caches, decodeURIComponent((req.url ?? '').replace(/^\/callflow\/speech\//, '')), req, res));
      server.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(function () {
      server.closeAllConnections();
      server.close();
    });

    it('serves a cached file with the Content-Type, Cache-Control and ETag Asterisk\'s media cache reads; 304 on revalidation', async function () {
      const s8 = synthesiser(new CountingProvider());
      const s16 = synthesiser(new CountingProvider(), 1_000_000, 16000);
      caches = [s8.cache, s16.cache];
      const a = await s8.audio('served');
      await s8.cache.onDisk(a.id);
      const ok = await get(port, `${a.id}.wav`);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['content-type'], 'audio/wav');
      assert.equal(ok.headers['cache-control'], 'max-age=86400');
      assert.equal(ok.headers.etag, `"${a.id}"`);
      assert.deepEqual(ok.body, fs.readFileSync(a.path));
      const head = await get(port, `${a.id}.wav`, { 'if-none-match': `"${a.id}"` }, 'HEAD');
      assert.equal(head.status, 304);
      const w = await s16.audio('served wide');
      const wide = await get(port, `${w.id}.wav16`);
      assert.equal(wide.headers['content-type'], 'audio/x-wav;codec=pcm;bit=16;rate=16000');
    });

    it('serves a file made lately from memory, not reading the folder; an evicted one is not served', async function () {
      const s = synthesiser(new CountingProvider(), 4000);
      caches = [s.cache];
      const a = await s.audio('a'.repeat(100));
      await s.cache.onDisk(a.id);
      const body = fs.readFileSync(a.path);
      // Gone from the folder: only the copy in memory can answer.
      fs.rmSync(a.path);
      const r = await get(port, `${a.id}.wav`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], String(body.length));
      assert.deepEqual(r.body, body);
      assert.equal((await get(port, `${a.id}.wav`, {}, 'HEAD')).status, 200);
      // Two more files of 1644 bytes: over the bound of 4000, a (the least recently used) is evicted, memory too.
      await s.audio('b'.repeat(100));
      await s.audio('c'.repeat(100));
      assert.equal(s.cache.figures.evicted, 1);
      assert.equal((await get(port, `${a.id}.wav`)).status, 404);
      assert.equal(s.cache.freshBody(a.id), undefined);
    });

    it('serves a reply the previous instance of a redeployed speech node wrote after the new one took stock of the folder', async function () {
      const dir = temp.another();
      const before = synthesiser(new CountingProvider(), 1_000_000, 8000, dir);
      await before.cache.open();
      const held = holdWrites(dir);
      try {
        // The old node gives a reply to Asterisk while its file is still being written, and is closed by a deploy.
        const reply = await before.audio('said across a deploy');
        await held.started(reply.id);
        const after = synthesiser(new CountingProvider(), 1_000_000, 8000, dir);
        await after.cache.open();
        caches = [after.cache];
        assert.equal(after.cache.figures.files, 0, 'the new node took stock before the file was there');
        held.releaseAll();
        await before.cache.idle();
        const r = await get(port, `${reply.id}.wav`);
        assert.equal(r.status, 200, 'found in the folder');
        assert.deepEqual(r.body, fs.readFileSync(reply.path));
        assert.equal(after.cache.figures.files, 1, 'and counted from then on');
        assert.equal((await get(port, `${'f'.repeat(32)}.wav`)).status, 404, 'a file the folder does not hold is still not found');
      } finally {
        held.restore();
      }
    });

    it('answers 404 for anything else: unknown ids, the wrong extension, paths, the secret, a listing', async function () {
      const s = synthesiser(new CountingProvider());
      caches = [s.cache];
      const a = await s.audio('hidden');
      for (const name of [`${'0'.repeat(32)}.wav`, `${a.id}.wav16`, `${a.id}`, '.key', '', '../../etc/passwd', `${a.id}.wav/..`, `%2e%2e%2f.key`]) {
        const r = await get(port, name);
        assert.equal(r.status, 404, name);
        assert.equal(r.body.toString(), 'Not found\n');
      }
    });
  });
});
