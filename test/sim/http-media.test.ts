/**
 * sound:http(s):// media in the simulator as Asterisk's media cache (res/res_http_media_cache.c) and format modules
 * (formats/format_wav.c) take it: the format from the Content-Type, else the URL's extension; a WAV of another rate
 * than its format's fails; a failed fetch fails the item; the copy is kept as its caching headers say
 * (docs/simulator.md, How faithful it is).
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { HttpMediaCache, cacheExtension } from '../../lib/sim/http-media';
import { encodeWav, parseWav } from '../../lib/speech/wav';
import { useAppServer } from '../support/app-server';
import { useRawSimulator, type RawAri, is, type EventLog } from '../support/raw-ari';

type Json = Record<string, unknown>;
const wav = (rate: number, ms: number): Buffer => encodeWav({ rate, samples: new Int16Array((rate * ms) / 1000) });

describe('simulator: http(s) media as the media cache fetches it', function () {
  const app = useAppServer();

  it('takes the format from the Content-Type (whole, then without parameters), else from the path\'s extension', function () {
    assert.equal(cacheExtension('http://h/a', 'audio/wav'), 'wav');
    assert.equal(cacheExtension('http://h/a', 'audio/x-wav;codec=pcm;bit=16;rate=16000'), 'wav16');
    assert.equal(cacheExtension('http://h/a.wav16', 'audio/x-wav; codec=pcm;bit=16;rate=16000'), 'wav', 'a space: no exact match, audio/x-wav without parameters');
    assert.equal(cacheExtension('http://h/a.gsm?x=1.wav', 'application/octet-stream'), 'gsm', 'the path, not the query');
    assert.equal(cacheExtension('http://h/a.WAV16', ''), undefined, 'extensions are compared with their case');
    assert.equal(cacheExtension('http://h/a', 'text/html'), undefined);
  });

  it('plays an 8 kHz WAV served as audio/wav for its length, and fails a 16 kHz one so served (format_wav: frequency mismatch) or a 404', async function () {
    const cache = new HttpMediaCache(5000);
    app.handler = (req, res) => {
      if (req.url === '/8k') res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav(8000, 1500));
      else if (req.url === '/16k') res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav(16000, 1500));
      else if (req.url === '/16k-typed') res.writeHead(200, { 'content-type': 'audio/x-wav;codec=pcm;bit=16;rate=16000' }).end(wav(16000, 1500));
      else res.writeHead(404).end();
    };
    assert.deepEqual(await cache.length(app.url('/8k')), { kind: 'finite', ms: 1500 });
    assert.deepEqual(await cache.length(app.url('/16k-typed')), { kind: 'finite', ms: 1500 });
    const mismatch = await cache.length(app.url('/16k'));
    assert.equal(mismatch.kind, 'missing');
    assert.match((mismatch as { why: string }).why, /Unexpected frequency mismatch 16000 \(expecting 8000\)/);
    const gone = await cache.length(app.url('/gone.wav'));
    assert.match((gone as { why: string }).why, /Failed to retrieve URL '.*\/gone\.wav': server returned 404/);
  });

  it('keeps a copy while Cache-Control max-age says, revalidates a stale one by its ETag, and fetches again without one', async function () {
    const cache = new HttpMediaCache(5000);
    app.handler = (req, res) => {
      if (req.url === '/kept') res.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'max-age=3600' }).end(wav(8000, 100));
      else if (req.url === '/tagged' && req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
      else if (req.url === '/tagged') res.writeHead(200, { 'content-type': 'audio/wav', etag: '"v1"' }).end(wav(8000, 100));
      else res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav(8000, 100));
    };
    for (let i = 0; i < 2; i += 1) {
      await cache.length(app.url('/kept'));
      await cache.length(app.url('/tagged'));
      await cache.length(app.url('/plain'));
    }
    assert.deepEqual(
      app.received.map((r) => `${r.method} ${r.url}`),
      ['GET /kept', 'GET /tagged', 'GET /plain', 'HEAD /tagged', 'GET /plain'],
    );
  });

  it('forgets the copy used least recently past its bounds (entries, kept audio) and fetches it again on its next use', async function () {
    // Three 100 ms WAVs keep 1,600 bytes of 8 kHz audio each; the bound holds two.
    const cache = new HttpMediaCache(5000, { entries: 10, audioBytes: 3200 });
    app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'max-age=3600' }).end(wav(8000, 100));
    await cache.length(app.url('/a'));
    await cache.length(app.url('/b'));
    await cache.length(app.url('/a'));
    await cache.length(app.url('/c'));
    assert.deepEqual(cache.size, { entries: 2, audioBytes: 3200 });
    assert.ok(cache.samples(app.url('/a')) && cache.samples(app.url('/c')), 'a (used again) and c kept');
    assert.equal(cache.samples(app.url('/b')), undefined, 'b, the least recently used, forgotten');
    await cache.length(app.url('/b'));
    assert.deepEqual(app.received.map((r) => `${r.method} ${r.url}`), ['GET /a', 'GET /b', 'GET /c', 'GET /b'], 'a was served from the copy; b fetched again');
    const few = new HttpMediaCache(5000, { entries: 1, audioBytes: 1 << 20 });
    await few.length(app.url('/a'));
    await few.length(app.url('/b'));
    assert.deepEqual(few.size, { entries: 1, audioBytes: 1600 }, 'the entry bound alone');
  });

  describe('on a call', function () {
    let sim: Simulator;
    let ari: RawAri;
    let events: EventLog;
    useRawSimulator((raw) => ({ sim, ari, events } = raw));

    it('a URL it cannot play: PlaybackStarted, then PlaybackFinished failed (the fetch happens after the start, in the channel\'s thread)', async function () {
      app.handler = (_req, res) => res.writeHead(500).end();
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      const media = `sound:${app.url('/broken.wav')}`;
      await ari.ok('POST', `/channels/${call.id}/play/p1`, { media });
      const finished = await events.next((e: Json) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'p1');
      assert.equal((finished.playback as Json).state, 'failed');
      assert.ok(events.all.some((e) => e.type === 'PlaybackStarted' && (e.playback as Json).id === 'p1'));
      assert.deepEqual(call.report().heard.map((h) => [h.media, h.outcome]), [[media, 'failed']]);
    });

    it('a 16 kHz WAV served as audio/wav fails on the call, as format_wav refuses it; served as wav16 it plays', async function () {
      app.handler = (req, res) => res.writeHead(200, { 'content-type': req.url === '/wide' ? 'audio/x-wav;codec=pcm;bit=16;rate=16000' : 'audio/wav' }).end(wav(16000, 200));
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      await ari.ok('POST', `/channels/${call.id}/play/p2`, { media: `sound:${app.url('/narrow.wav')},sound:${app.url('/wide')}` });
      await events.next((e: Json) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'p2');
      assert.deepEqual(call.report().heard.map((h) => h.outcome), ['failed', 'done']);
      assert.equal(call.report().heard[0]?.audioAt, undefined, 'a file format_wav refuses never sounds');
    });

    it('a snoop channel spying out records what is played to the call (a WAV fetched over http), sample for sample, and not what the caller says', async function () {
      const tone = Int16Array.from({ length: 2400 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
      app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(encodeWav({ rate: 8000, samples: tone }));
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ waitFor: 'playback-end' }, { say: 500 }, { hangup: true }] });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      await ari.ok('POST', `/channels/${call.id}/snoop/snoop-out`, { spy: 'out', app: 'app1' });
      await events.next(is('StasisStart', 'snoop-out'));
      await ari.ok('POST', '/channels/snoop-out/record', { name: 'played', format: 'wav' });
      await events.next((e: Json) => e.type === 'RecordingStarted' && (e.recording as Json).name === 'played');
      await ari.ok('POST', `/channels/${call.id}/play/prompt`, { media: `sound:${app.url('/prompt.wav')}` });
      await events.next((e: Json) => e.type === 'RecordingFinished' && (e.recording as Json).name === 'played', 20_000);
      const file = await fetch(`${sim.url}/ari/recordings/stored/played/file`, { headers: { Authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString('base64')}` } });
      const recorded = parseWav(Buffer.from(await file.arrayBuffer())).samples;
      // The tone starts at 0 (sin 0): it is found from its first sample that is not.
      const at = recorded.findIndex((v) => v !== 0) - 1;
      assert.ok(at >= 0, 'the prompt is in the recording');
      assert.deepEqual([...recorded.subarray(at, at + tone.length)], [...tone], 'sample for sample');
      assert.ok(recorded.subarray(at + tone.length).every((v) => v === 0), "the caller's speech after it is not (spy out only)");
      assert.deepEqual(call.report().recordings.map((r) => r.name), ['played'], "the call's report lists the recording made of it through the snoop");
    });

    it('says when the audio began reaching the caller: once fetched, not at PlaybackStarted', async function () {
      let answer: (() => void) | undefined;
      const asked = new Promise<void>((resolve) => {
        app.handler = (_req, res) => {
          answer = () => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav(8000, 200));
          resolve();
        };
      });
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      await ari.ok('POST', `/channels/${call.id}/play/p3`, { media: `sound:${app.url('/slow.wav')}` });
      await asked;
      const playing = call.report().heard[0];
      assert.ok(playing?.startedAt !== undefined && playing.audioAt === undefined, 'started, not yet audible while Asterisk fetches it');
      answer?.();
      await events.next((e: Json) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'p3');
      const heard = call.report().heard[0];
      assert.equal(heard?.outcome, 'done');
      assert.ok(heard.audioAt !== undefined && Date.parse(heard.audioAt) >= Date.parse(heard.startedAt), `${heard.startedAt} then ${heard.audioAt}`);
    });
  });
});
