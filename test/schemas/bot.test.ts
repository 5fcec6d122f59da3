/**
 * The callflow-bot settings' Voice path (lib/schemas/bot.ts): playback unless set, so flows saved before the setting
 * keep their robots speaking as they did; stream as chosen; any other value refused, the problem naming both.
 */
import assert from 'node:assert/strict';
import { botConfig } from '../../lib/schemas/bot';

/** A robot's settings as a flow saved before Voice path existed holds them (no voicePath). */
const savedBefore = {
  speech: 'sp',
  kind: 'webhook',
  url: 'http://127.0.0.1:1880/bot',
  model: '',
  instructions: '',
  greeting: 'Hello, how can I help?',
  maxTurns: 5,
  maxSilences: 3,
  timeoutSec: 10,
  startTimeoutSec: 8,
  speechMaxSec: 15,
  endSilenceMs: 800,
  language: 'en',
  record: false,
  onError: 'hangup',
  outputs: 3,
};

describe('callflow-bot settings: Voice path', function () {
  it('a flow saved without the setting reads as playback', function () {
    const read = botConfig.checkForm(savedBefore);
    assert.ok(read.ok, JSON.stringify(read));
    assert.equal(read.value.voicePath, 'playback');
  });

  it('takes playback and stream as set', function () {
    for (const voicePath of ['playback', 'stream'] as const) {
      const read = botConfig.checkForm({ ...savedBefore, voicePath });
      assert.ok(read.ok, JSON.stringify(read));
      assert.equal(read.value.voicePath, voicePath);
    }
  });

  it('refuses any other value, the problem naming the field, both values and what it got', function () {
    for (const voicePath of ['loud', 'Stream', 1, true]) {
      const read = botConfig.checkForm({ ...savedBefore, voicePath });
      assert.ok(!read.ok, JSON.stringify(voicePath));
      assert.equal(read.problems.length, 1, JSON.stringify(read.problems));
      assert.match(read.problems[0] ?? '', /^voicePath: playback \(.+\) or stream \(.+\) \(got .+\)$/);
    }
  });

  it('is required of settings already read (a stored document without it is not a robot\'s whole settings)', function () {
    const read = botConfig.check({ ...savedBefore });
    assert.ok(!read.ok);
    assert.ok(read.problems.some((p) => p.startsWith('voicePath')), JSON.stringify(read.problems));
  });
});
