/**
 * A media path kept across listenings (lib/media/listen.ts KeptPath, the robot's turns) on the simulated Asterisk, with
 * RTP on the worker thread, RTP in the event loop and the WebSocket transport: listenings one after another on one
 * path each hear their own speech (a streaming recogniser too, the speech's frames crossing after each new analysis);
 * a path that ends under a listening is replaced by the next; the call's signal (an AbortController's, or as elements
 * get it, CallSession.stepSignal, a StepSignal: lib/call/step-signal.ts), a listening stopped, or the keeper closing
 * while a listening opens the path leave nothing of it.
 */
import assert from 'node:assert/strict';
import { StepSignal } from '../../lib/call/step-signal';
import { hear } from '../../lib/ivr/hear';
import { KeptPath, listenForSpeech } from '../../lib/media/listen';
import type { MediaSettings } from '../../lib/media/path';
import { VOSK_EOF, VoskRecogniser } from '../../lib/speech/vosk';
import { useHearing } from '../support/hearing';
import { useVoskStandIn } from '../support/vosk-server';

const base: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 47000, portMax: 47999, format: 'slin16', worker: true };
const transports: [string, MediaSettings][] = [
  ['RTP on the worker thread', base],
  ['RTP in the event loop', { ...base, worker: false }],
  ['the WebSocket transport', { ...base, transport: 'websocket' }],
];

for (const [where, media] of transports) {
  describe(`a kept media path (simulated Asterisk, ${where})`, function () {
    const hearing = useHearing();
    const { answeredCall, onlyTheCall, connectionWith } = hearing;
    const server = useVoskStandIn();

    it('the path ends under a listening (its snoop hung up elsewhere): it decides; the next listening opens another and hears the caller', async function () {
      const id = await answeredCall([{ waitFor: 'listened' }, { wait: 1500 }, { waitFor: 'listened' }, { wait: 300 }, { say: 700 }, { wait: 60_000 }]);
      const call = new AbortController();
      const kept = new KeptPath(hearing.r.conn, id, media, call.signal, hearing.r.log);
      const first = listenForSpeech(hearing.r.conn, id, media, {
        signal: call.signal,
        log: hearing.r.log,
        kept,
        onListening: () => {
          const snoop = hearing.r.sim.asterisk.channelList().find((c) => c.id.startsWith('cfms-'));
          void hearing.r.conn.hangup(snoop?.id ?? '', 'normal');
        },
      });
      assert.equal((await first).outcome, 'no-speech');
      const second = await listenForSpeech(hearing.r.conn, id, media, { signal: call.signal, log: hearing.r.log, kept });
      assert.equal(second.outcome, 'speech');
      await kept.close();
      onlyTheCall(id);
    });

    it('a streaming recogniser: speech without words let go during the prompt, then two answers, each its own, on one path', async function () {
      server.answer = (m, s) => {
        if (m.text?.includes('config')) return undefined;
        const n = server.sessions.indexOf(s);
        if (m.text === VOSK_EOF) return JSON.stringify({ text: n === 0 ? '' : `answer ${n}` });
        return JSON.stringify({ partial: '' });
      };
      const id = await answeredCall([{ waitFor: 'listened' }, { wait: 300 }, { say: 500 }, { wait: 1500 }, { say: 900 }, { wait: 1500 }, { say: 900 }, { wait: 60_000 }]);
      const call = new AbortController();
      const kept = new KeptPath(hearing.r.conn, id, media, call.signal, hearing.r.log);
      const recogniser = new VoskRecogniser({ url: server.url, apiKey: '' });
      let arm!: () => void;
      const armed = new Promise<void>((resolve) => (arm = resolve));
      const first = await hear(hearing.r.conn, id, { recogniser, media, language: 'en', armed, onSpeechStart: () => arm(), signal: call.signal, log: hearing.r.log, kept });
      assert.equal(first.outcome === 'recognised' && first.text, 'answer 1');
      const second = await hear(hearing.r.conn, id, { recogniser, media, language: 'en', signal: call.signal, log: hearing.r.log, kept });
      assert.equal(second.outcome === 'recognised' && second.text, 'answer 2');
      assert.equal(server.sessions.length, 3, 'one stream per utterance');
      assert.equal(hearing.r.sim.asterisk.bridgeList().length, 1, 'one path for all');
      await kept.close();
      onlyTheCall(id);
    });

    it('listenings one after another on one path each hear their own speech; the keeper closing leaves only the call', async function () {
      const id = await answeredCall([{ waitFor: 'listened' }, { wait: 300 }, { say: 700 }, { wait: 1500 }, { say: 700 }, { wait: 60_000 }]);
      const call = new AbortController();
      const kept = new KeptPath(hearing.r.conn, id, media, call.signal, hearing.r.log);
      const first = await listenForSpeech(hearing.r.conn, id, media, { signal: call.signal, log: hearing.r.log, kept });
      assert.equal(first.outcome, 'speech');
      const second = await listenForSpeech(hearing.r.conn, id, media, { signal: call.signal, log: hearing.r.log, kept });
      assert.equal(second.outcome, 'speech');
      assert.equal(hearing.r.sim.asterisk.bridgeList().length, 1, 'one path for both');
      await kept.close();
      onlyTheCall(id);
    });

    for (const stopped of ['the call', 'the listening (not the call)'] as const) {
      it(`${stopped} stops while a listening opens the kept path: hangup, and nothing of the path outlives the keeper`, async function () {
        const id = await answeredCall([{ wait: 60_000 }]);
        const call = new AbortController();
        const listening = stopped === 'the call' ? call : new AbortController();
        const telephony = connectionWith({
          snoop: async (...a) => {
            const made = await hearing.r.conn.snoop(...a);
            listening.abort();
            return made;
          },
        });
        const kept = new KeptPath(telephony, id, media, call.signal, hearing.r.log);
        const heard = await listenForSpeech(telephony, id, media, { signal: listening.signal, log: hearing.r.log, kept });
        assert.deepEqual(heard, { outcome: 'hangup' });
        await kept.close();
        onlyTheCall(id);
      });
    }

    it('the keeper closes while a listening opens the path: nothing of the path is left', async function () {
      const id = await answeredCall([{ wait: 60_000 }]);
      const call = new AbortController();
      let closing: Promise<void> | undefined;
      const keeper: { kept?: KeptPath } = {};
      const telephony = connectionWith({
        snoop: async (...a) => {
          const made = await hearing.r.conn.snoop(...a);
          closing = keeper.kept?.close();
          return made;
        },
      });
      keeper.kept = new KeptPath(telephony, id, media, call.signal, hearing.r.log);
      // Whether it says the path did not open or hangup, nothing of the path may be left.
      await listenForSpeech(telephony, id, media, { signal: call.signal, log: hearing.r.log, kept: keeper.kept }).catch(() => undefined);
      assert.ok(closing, 'the keeper closed while the path opened');
      await closing;
      onlyTheCall(id);
    });

    it("the call's signal as elements get it (a step signal) aborts while a listening opens the kept path: nothing more is asked of Asterisk, nothing left", async function () {
      const id = await answeredCall([{ wait: 60_000 }]);
      // What an element's run() gets (CallSession.stepSignal): aborted when the call ends or its node is removed.
      const step = new StepSignal();
      let added = 0;
      const telephony = connectionWith({
        snoop: async (...a) => {
          const made = await hearing.r.conn.snoop(...a);
          step.abort(new Error('node closed'));
          return made;
        },
        addToBridge: (...a) => {
          added += 1;
          return hearing.r.conn.addToBridge(...a);
        },
      });
      const kept = new KeptPath(telephony, id, media, step, hearing.r.log);
      const heard = await listenForSpeech(telephony, id, media, { signal: step, log: hearing.r.log, kept });
      assert.deepEqual(heard, { outcome: 'hangup' });
      assert.equal(added, 0, 'the path was not put together after the signal aborted');
      await kept.close();
      onlyTheCall(id);
    });

    /** What the caller got from this process over external media (ms of audio). */
    const sentMs = (id: string): number => (hearing.r.sim.asterisk.report(id)?.externalMedia ?? []).reduce((sum, m) => sum + m.received.durationMs, 0);

    for (const first of ['the reply', 'the listening'] as const) {
      it(`a keeper that speaks, ${first} first and the other while the path opens: the reply reaches the caller and the listening hears them`, async function () {
        const id = await answeredCall([{ waitFor: 'listened' }, { wait: 300 }, { say: 700 }, { wait: 60_000 }]);
        const call = new AbortController();
        const kept = new KeptPath(hearing.r.conn, id, media, call.signal, hearing.r.log, true);
        const reply = new Int16Array((kept.rate * 300) / 1000).fill(3000);
        const speak = (): Promise<void> => kept.speak(reply, kept.rate, new AbortController().signal);
        const listen = (): Promise<{ outcome: string }> => listenForSpeech(hearing.r.conn, id, media, { signal: call.signal, log: hearing.r.log, kept });
        // Neither awaited before the other starts: the second finds the first one's opening under way.
        const [spoken, heard] = first === 'the reply' ? await Promise.all([speak(), listen()]) : (await Promise.all([listen(), speak()])).reverse();
        assert.equal(spoken, undefined);
        assert.equal((heard as { outcome: string }).outcome, 'speech', 'the listening got an analysis of its own');
        assert.equal(sentMs(id), 300, 'the whole reply went out, on a path nobody closed under it');
        await kept.close();
        onlyTheCall(id);
      });
    }
  });
}
