/**
 * A menu answered by voice on the simulated Asterisk whose listening's media path a busy machine makes late
 * (test/support/late-media-path.ts): the prompt waits for the path, so a caller who answers as soon as it ends is
 * heard, and the menu does not go to its timeout output as if they had said nothing.
 */
import assert from 'node:assert/strict';
import type { CallRegistry } from '../../lib/call/registry';
import type { CallSession } from '../../lib/call/session';
import { menu } from '../../lib/ivr/collect';
import { hear } from '../../lib/ivr/hear';
import type { MediaSettings } from '../../lib/media/path';
import { WhisperRecogniser } from '../../lib/speech/whisper';
import { useAppServer } from '../support/app-server';
import { lateMediaPath } from '../support/late-media-path';
import { inbound, nextEvent, useCallRig, type Rig } from '../support/telephony';

const media: MediaSettings = { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 45000, portMax: 45999, format: 'slin16', worker: true };

describe('a speech menu whose media path is made late', function () {
  this.timeout(30_000);
  const app = useAppServer();
  const rigged = useCallRig({ sim: { speed: 20 } });
  let r: Rig;
  let registry: CallRegistry;
  beforeEach(function () {
    ({ r, registry } = rigged());
  });

  it('its prompt plays once the caller is heard: the answer given as it ends chooses the option', async function () {
    app.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"help"}');
    const sessions = new Promise<CallSession>((resolve) => registry.onCall(resolve));
    // The caller answers as the prompt ends, then presses # (the path, if late, is made only after that).
    const id = await inbound(r, { from: '+15550100', to: '100', script: [{ waitFor: 'playback-end' }, { say: 700 }, { dtmf: '#' }, { wait: 60_000 }] });
    const session = await sessions;
    const answered = nextEvent(r.conn, (e) => e.type === 'ChannelDtmfReceived' && e.channel.id === id, 30_000);
    answered.catch(() => undefined);
    const { order, listening, playing } = lateMediaPath(r.conn, () => answered);
    const recogniser = new WhisperRecogniser({ baseUrl: app.url(''), model: 'w', apiKey: '' });
    const result = await menu(
      playing,
      session,
      {
        prompts: ['sound:demo-congrats'],
        keys: ['1', '2'],
        repeatKey: '',
        timeoutSec: 5,
        retries: 0,
        invalidPrompts: [],
        timeoutPrompts: [],
        language: 'en',
        phrases: [['buy'], ['help']],
        speech: { mode: 'speech', hear: (onSpeechStart, armed, signal, onListening) => hear(listening, id, { recogniser, media, language: 'en', armed, onSpeechStart, onListening, signal, log: r.log }) },
      },
      session.signal,
    );
    assert.deepEqual(result, { outcome: 'option', key: '2', index: 1, attempts: 1, spoken: { text: 'help', confidence: null } });
    assert.deepEqual(order, ['media path asked', 'media path made', 'prompt played'], 'the prompt starts once the caller is heard');
    assert.deepEqual(r.sim.asterisk.bridgeList(), [], 'nothing of the listening is left');
  });
});
