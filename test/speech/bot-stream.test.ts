/**
 * The robot's voice streamed on its media path (lib/ivr/bot.ts with voicePath 'stream', lib/media/listen.ts
 * KeptPath.speak) on the simulated Asterisk: the call is bridged with the path's external media channel for the
 * conversation, the greeting and replies go out as RTP from this process (no playback, no file for Asterisk), the
 * caller's speech or a key stops what is being said, and the caller hanging up mid-sentence leaves nothing behind.
 */
import assert from 'node:assert/strict';
import type { CallRegistry } from '../../lib/call/registry';
import type { CallSession } from '../../lib/call/session';
import { converse, type ConverseRequest } from '../../lib/ivr/bot';
import { hear } from '../../lib/ivr/hear';
import { MediaError } from '../../lib/ivr/media-error';
import { KeptPath } from '../../lib/media/listen';
import type { MediaSettings } from '../../lib/media/path';
import type { ScriptStep } from '../../lib/sim/script';
import { HttpBot } from '../../lib/speech/bot';
import { WhisperRecogniser } from '../../lib/speech/whisper';
import { useAppServer } from '../support/app-server';
import { inbound, useCallRig, type Rig } from '../support/telephony';

const media: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 45000, portMax: 45999, format: 'slin16', worker: true };

/** A 440 Hz tone of `ms` at `rate`: what the stand-in speaker says for any text. */
function tone(ms: number, rate: number): Int16Array {
  const out = new Int16Array((ms * rate) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

describe('the robot speaking on its media path (voicePath stream)', function () {
  const app = useAppServer();
  const rigged = useCallRig({ sim: { speed: 20 } });
  let r: Rig;
  let registry: CallRegistry;
  beforeEach(function () {
    ({ r, registry } = rigged());
  });

  /** A bot that goes on with "Tell me more." `turns - 1` times, then ends with "Goodbye."; the recogniser hears "hello". */
  function talkative(turns: number, onAsked: () => void = () => undefined): void {
    let asked = 0;
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
      asked += 1;
      onAsked();
      const answer = asked < turns ? { reply: 'Tell me more.', action: 'continue' } : { reply: 'Goodbye.', action: 'end' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    };
  }

  async function call(script: ScriptStep[]): Promise<{ session: CallSession; id: string }> {
    const sessions = new Promise<CallSession>((resolve) => registry.onCall(resolve));
    const id = await inbound(r, { from: '+15550100', to: '100', script: [...script, { wait: 600_000 }] });
    return { session: await sessions, id };
  }

  /**
   * The request: every text said as `ms(text)` of tone, told to `said` with the rate asked for; a speaker whose media
   * URIs fail, so a playback would show.
   */
  function request(id: string, said: { text: string; rate: number }[], ms: (text: string) => number = () => 300, settings: MediaSettings = media): ConverseRequest {
    return {
      endpoint: new HttpBot({ kind: 'webhook', url: app.url('/bot'), apiKey: '' }),
      greeting: 'Hello, how can I help?',
      maxTurns: 5,
      language: 'en',
      voicePath: 'stream',
      speaker: {
        media: () => Promise.reject(new Error('a playback was asked for')),
        samples: (text, _language, rate) => {
          said.push({ text, rate });
          return Promise.resolve(tone(ms(text), rate));
        },
      },
      speech: {
        mode: 'speech',
        hear: (onSpeechStart, armed, signal, onListening, onHeard, kept) =>
          // The simulator runs 20 times faster than the wall clock, which paces the robot's voice: the caller's wait for
          // the end of a reply (voice-end) is 200 real ms, 4 s of the audio the listening counts in.
          hear(r.conn, id, { recogniser: new WhisperRecogniser({ baseUrl: app.url(''), model: 'w', apiKey: '' }), media: settings, language: 'en', parameters: { startTimeoutMs: 60_000 }, armed, onSpeechStart, onListening, onHeard, signal, log: r.log, kept }),
        keptPath: (callSignal, speaks) => new KeptPath(r.conn, id, settings, callSignal, r.log, speaks),
      },
    };
  }

  /** The audio this process sent the call, in ms (what the simulator's external media channel received). */
  function sentMs(id: string): number {
    return (r.sim.asterisk.report(id)?.externalMedia ?? []).reduce((sum, m) => sum + m.received.durationMs, 0);
  }

  function nothingLeft(): void {
    assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'the bridge is destroyed');
    assert.deepEqual(r.sim.asterisk.channelList().filter((c) => c.id.startsWith('cfm')), [], 'no channel of the path is left');
  }

  it('says the greeting and replies as RTP on one path bridged with the call: no playback, no snoop, all of each said', async function () {
    let during: { bridges: { channels: string[] }[]; channels: string[] } | undefined;
    talkative(2, () => (during ??= { bridges: r.sim.asterisk.bridgeList().map((b) => ({ channels: [...b.channels].sort() })), channels: r.sim.asterisk.channelList().map((c) => c.id) }));
    const { session, id } = await call([{ waitFor: 'voice-end' }, { say: 700 }, { waitFor: 'voice-end' }, { say: 700 }]);
    const said: { text: string; rate: number }[] = [];
    const result = await converse(r.conn, session, request(id, said), session.signal);
    assert.equal(result.outcome, 'ended');
    assert.deepEqual(
      result.transcript.map((l) => l.text),
      ['hello', 'Tell me more.', 'hello', 'Goodbye.'],
    );
    assert.deepEqual(said, [
      { text: 'Hello, how can I help?', rate: 8000 },
      { text: 'Tell me more.', rate: 8000 },
      { text: 'Goodbye.', rate: 8000 },
    ], 'each text at the rate of ulaw, which a path that speaks over RTP carries whatever the media format (slin16 here)');
    assert.ok(during, 'the bot was asked');
    const media = during.channels.filter((c) => c.startsWith('cfm'));
    assert.equal(media.length, 1, `one external media channel and no snoop: ${media.join(', ')}`);
    assert.deepEqual(during.bridges, [{ channels: [id, media[0] ?? ''].sort() }], 'the call and the external media channel in one bridge');
    assert.equal(sentMs(id), 900, 'the three 300 ms sayings went out whole');
    const report = r.sim.asterisk.report(id);
    assert.deepEqual(report?.heard.filter((h) => h.playbackId !== ''), [], 'no playback on the call');
    nothingLeft();
  });

  it('over the WebSocket transport (no payload types): slin16 as set, the replies at 16 kHz, all of each said', async function () {
    talkative(2);
    const { session, id } = await call([{ waitFor: 'voice-end' }, { say: 700 }, { waitFor: 'voice-end' }, { say: 700 }]);
    const said: { text: string; rate: number }[] = [];
    const result = await converse(r.conn, session, request(id, said, () => 300, { ...media, transport: 'websocket' }), session.signal);
    assert.equal(result.outcome, 'ended');
    assert.deepEqual(
      result.transcript.map((l) => l.text),
      ['hello', 'Tell me more.', 'hello', 'Goodbye.'],
    );
    assert.deepEqual(said.map((s) => s.rate), [16000, 16000, 16000]);
    const em = r.sim.asterisk.report(id)?.externalMedia ?? [];
    assert.deepEqual(em.map((m) => [m.transport, m.format]), [['websocket', 'slin16']]);
    assert.equal(sentMs(id), 900);
    nothingLeft();
  });

  it('the caller speaking over the greeting stops it (barge-in) and is heard', async function () {
    talkative(1);
    // The caller speaks as soon as the path hears them: 10 s of greeting are not all sent.
    const { session, id } = await call([{ waitFor: 'listened' }, { say: 700 }, { waitFor: 'voice-end' }]);
    const result = await converse(r.conn, session, request(id, [], (text) => (text.startsWith('Hello') ? 10_000 : 300)), session.signal);
    assert.deepEqual(
      result.transcript.map((l) => l.text),
      ['hello', 'Goodbye.'],
    );
    const sent = sentMs(id);
    assert.ok(sent < 10_000 + 300, `the greeting was cut short: ${sent} ms sent of 10,300`);
    nothingLeft();
  });

  it('a key pressed over the greeting stops it', async function () {
    talkative(1);
    const { session, id } = await call([{ waitFor: 'listened' }, { dtmf: '5' }, { waitFor: 'voice-end' }, { say: 700 }, { waitFor: 'voice-end' }]);
    const result = await converse(r.conn, session, request(id, [], (text) => (text.startsWith('Hello') ? 10_000 : 300)), session.signal);
    assert.equal(result.outcome, 'ended');
    const sent = sentMs(id);
    assert.ok(sent < 10_000 + 300, `the greeting was cut short: ${sent} ms sent of 10,300`);
    nothingLeft();
  });

  it('the caller hanging up mid-sentence ends the conversation; the path, its bridge and channel are gone', async function () {
    talkative(5);
    const { session, id } = await call([{ waitFor: 'listened' }, { wait: 2000 }, { hangup: true }]);
    await assert.rejects(converse(r.conn, session, request(id, [], () => 10_000), session.signal));
    assert.ok(sentMs(id) < 10_000, 'the greeting was not sent whole');
    nothingLeft();
  });

  it('a speaker that cannot make the audio: the conversation fails saying what could not be said, nothing left', async function () {
    talkative(1);
    const { session, id } = await call([]);
    const req = request(id, []);
    req.speaker = { media: () => Promise.reject(new Error('no')), samples: () => Promise.reject(new Error('the provider refused the API key (HTTP 401)')) };
    await assert.rejects(converse(r.conn, session, req, session.signal), (e: unknown) => {
      assert.ok(e instanceof MediaError, String(e));
      assert.match(e.message, /could not say "say:Hello, how can I help\?": the provider refused the API key \(HTTP 401\)/);
      return true;
    });
    nothingLeft();
  });
});
