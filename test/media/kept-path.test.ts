/**
 * A media path kept across listenings (lib/media/listen.ts KeptPath, the robot's turns) on the simulated Asterisk, with
 * RTP on the worker thread, RTP in the event loop and the WebSocket transport: the call's signal as elements get it
 * (CallSession.stepSignal, a StepSignal: lib/call/step-signal.ts) aborting while a listening opens the path stops it
 * being put together, and nothing of it is left.
 */
import assert from 'node:assert/strict';
import { StepSignal } from '../../lib/call/step-signal';
import { KeptPath, listenForSpeech } from '../../lib/media/listen';
import type { MediaSettings } from '../../lib/media/path';
import { useHearing } from '../support/hearing';

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
  });
}
