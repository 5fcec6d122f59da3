/**
 * The local recogniser: pocketsphinx for real on audio espeak-ng makes of known phrases (skipped, saying so, where
 * either is not installed: CI installs both), its JSGF grammars, the reading of its hostile output, and how a run is
 * bounded (deadline, output, the call ending), the last with stand-in programs so they run everywhere.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spokenDigits } from '../../lib/ivr/grammar';
import { EspeakEngine } from '../../lib/speech/espeak';
import { jsgfGrammar } from '../../lib/speech/jsgf';
import { PocketsphinxRecogniser, parsePocketsphinx } from '../../lib/speech/pocketsphinx';
import { resample, type Pcm } from '../../lib/speech/wav';
import { needsEngines, speechError } from '../support/speech';
import { useTempDir } from '../support/temp-dir';

/** What espeak-ng says, at 16 kHz as the media path hears a caller. */
async function said(text: string): Promise<Pcm> {
  return resample(await new EspeakEngine().synthesize({ text, voice: 'en-us', language: 'en' }), 16000);
}

const second: Pcm = { rate: 16000, samples: new Int16Array(16000).map((_, i) => Math.round(6000 * Math.sin(i / 5))) };

describe('local recogniser: pocketsphinx', function () {
  /** Where this file's recognitions make their temporary folders (each is removed after its run). */
  const scratch = useTempDir('callflow-ps-temp-', 'suite');
  const leftovers = (): string[] => fs.readdirSync(scratch.path);

  describe('on speech espeak-ng makes', function () {
    let recogniser: PocketsphinxRecogniser;
    before(function () {
      recogniser = new PocketsphinxRecogniser({ tempDir: scratch.path });
    });

    it('hears "yes" among yes and no (a grammar: no confidence, null)', async function () {
      needsEngines(this, { espeak: true, pocketsphinx: true });
      assert.deepEqual(await recogniser.recognise({ audio: await said('yes'), language: 'en-US', phrases: ['yes', 'no'] }), { text: 'yes', confidence: null });
      assert.deepEqual(await recogniser.recognise({ audio: await said('no'), language: 'en', phrases: ['Yes', 'No'] }), { text: 'no', confidence: null });
    });

    it('hears a digit when digits are expected, and a menu phrase of two words', async function () {
      needsEngines(this, { espeak: true, pocketsphinx: true });
      const two = await recogniser.recognise({ audio: await said('two'), language: '', digits: true });
      assert.equal(spokenDigits(two.text), '2', two.text);
      const menu = await recogniser.recognise({ audio: await said('technical support'), language: 'en_US', phrases: ['sales', 'technical support', 'billing'] });
      assert.equal(menu.text, 'technical support');
    });

    it('free text (no phrases, or a phrase with a word the dictionary lacks): some words and their mean posterior', async function () {
      needsEngines(this, { espeak: true, pocketsphinx: true });
      for (const phrases of [undefined, ['sales', 'zqxwv']]) {
        const r = await recogniser.recognise({ audio: await said('hello, how are you today'), language: 'en', phrases });
        assert.match(r.text, /^[a-z' ]+$/, r.text);
        assert.ok(typeof r.confidence === 'number' && r.confidence >= 0 && r.confidence <= 1, String(r.confidence));
      }
      assert.deepEqual(leftovers(), [], 'every temporary folder is removed');
    });

    it('US English only: another language fails, saying so, before anything runs', async function () {
      for (const language of ['fr', 'en-GB', 'zh_CN']) {
        await assert.rejects(recogniser.recognise({ audio: second, language }), speechError('refused', new RegExp(`US English model only \\(en-US\\); the language "${language}" needs another recogniser`)));
      }
      assert.deepEqual(await recogniser.recognise({ audio: { rate: 16000, samples: new Int16Array(0) }, language: 'EN-us' }), { text: '', confidence: null }, 'no audio: nothing said');
    });
  });

  describe('grammars (jsgf.ts)', function () {
    const known = (w: string): boolean => ['sales', 'technical', 'support', "don't", 'know'].includes(w);

    it('a menu\'s phrases as alternatives, words in lower case; digits as a sequence of digit words', function () {
      assert.deepEqual(jsgfGrammar({ phrases: ['Sales', 'technical  support', 'sales', 'Don’t know'] }, known), {
        grammar: "#JSGF V1.0;\ngrammar callflow;\npublic <phrase> = sales | technical support | don't know ;\n",
      });
      assert.match((jsgfGrammar({ digits: true }, () => false) as { grammar: string }).grammar, /public <digits> = \( zero \| oh \| one \| two .* nine \)\+ ;/);
    });

    it('no grammar when a phrase has a word the dictionary lacks or anything that is not a plain word (never grammar syntax)', function () {
      assert.deepEqual(jsgfGrammar({ phrases: ['sales', 'banana'] }, known), { none: '"banana" is not a word of the dictionary' });
      for (const hostile of ['sales | <x>', 'sales ; public <y> = a', 'sales*', 'café', '2']) assert.ok('none' in jsgfGrammar({ phrases: [hostile] }, () => true), hostile);
      assert.deepEqual(jsgfGrammar({}, known), { none: 'no phrases' });
    });
  });

  describe('its output, read as hostile', function () {
    it('the hypotheses in order; the confidence the mean posterior of words, silences and noises left out', function () {
      const out = 'hello there\n<s> 0.000 0.020 1.000000\nhello 0.030 0.400 0.500000\n<sil> 0.4 0.5 0.1\n[NOISE] 0.5 0.6 0.2\nthere(2) 0.600 0.900 0.900000\n</s> 0.9 1.0 1\nagain\nagain 1.0 1.5 2.5\n';
      assert.deepEqual(parsePocketsphinx(out, false), { text: 'hello there again', confidence: 1 }, 'a posterior past 1 counts as 1 at most');
      assert.deepEqual(parsePocketsphinx('hello\nhello 0.1 0.2 0.5\nthere 0.2 0.3 0.7\n', false), { text: 'hello', confidence: 0.6 });
      assert.deepEqual(parsePocketsphinx('yes\nyes 0.000 0.360 1.000000\n', true), { text: 'yes', confidence: null }, 'a grammar gives no confidence');
      const hostile = parsePocketsphinx(`a\u0000b\u202e\r\n${'x'.repeat(5000)}\n`, false);
      assert.equal(hostile.text.length, 1000);
      assert.match(hostile.text, /^a b x/);
      assert.deepEqual(parsePocketsphinx('\n\n', false), { text: '', confidence: null });
    });
  });

  describe('a bounded run (stand-in programs)', function () {
    const models = useTempDir('callflow-ps-test-');
    beforeEach(function () {
      fs.writeFileSync(path.join(models.path, 'cmudict-en-us.dict'), 'yes Y EH S\nno N OW\n');
    });
    /** A program that does what `script` says, whatever its arguments. */
    const program = (script: string): string => {
      const file = path.join(models.path, 'engine.sh');
      fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o700 });
      return file;
    };

    it('killed at its deadline, when it writes too much, and when the call ends; its temporary folder removed each time', async function () {
      await assert.rejects(new PocketsphinxRecogniser({ command: program('exec sleep 30'), modelDir: models.path, timeoutMs: 200, tempDir: scratch.path }).recognise({ audio: second, language: 'en' }), speechError('timeout', /pocketsphinx took longer than 200 ms/));
      await assert.rejects(new PocketsphinxRecogniser({ command: program('exec yes "yes 0.1 0.2 1.0"'), modelDir: models.path, tempDir: scratch.path }).recognise({ audio: second, language: 'en' }), speechError('too-large', /pocketsphinx wrote more than 262144 bytes/));
      const controller = new AbortController();
      const pending = new PocketsphinxRecogniser({ command: program('exec sleep 30'), modelDir: models.path, tempDir: scratch.path }).recognise({ audio: second, language: 'en', signal: controller.signal });
      controller.abort();
      await assert.rejects(pending, speechError('aborted', /cancelled/));
      assert.deepEqual(leftovers(), []);
    });

    it('what it is given: the WAV file, the model and a grammar file; its answer read', async function () {
      const args = path.join(models.path, 'args.txt');
      const command = program(`printf '%s\\n' "$@" > ${args}; for a in "$@"; do case "$a" in *.gram) cat "$a" >> ${args};; esac; done; printf 'yes\\nyes 0.0 0.3 1.0\\n'`);
      assert.deepEqual(await new PocketsphinxRecogniser({ command, modelDir: models.path }).recognise({ audio: second, language: 'en', phrases: ['yes', 'no'] }), { text: 'yes', confidence: null });
      const given = fs.readFileSync(args, 'utf8');
      assert.match(given, /^-infile\n\S+callflow-pocketsphinx-\w+\/speech\.wav\n-samprate\n16000\n-time\nyes\n-hmm\n\S+\/en-us\n-dict\n\S+cmudict-en-us\.dict\n-jsgf\n\S+callflow\.gram\n/);
      assert.match(given, /public <phrase> = yes \| no ;/);
    });

    it('not installed, no model, an engine that fails: clear errors', async function () {
      await assert.rejects(new PocketsphinxRecogniser({ command: 'callflow-no-such-program', modelDir: models.path }).recognise({ audio: second, language: 'en' }), speechError('unavailable', /callflow-no-such-program is not installed \(on Debian: apt-get install pocketsphinx pocketsphinx-en-us\)/));
      await assert.rejects(new PocketsphinxRecogniser({ modelDir: path.join(models.path, 'none') }).recognise({ audio: second, language: 'en' }), speechError('unavailable', /US English model is not in .*none \(on Debian: apt-get install pocketsphinx pocketsphinx-en-us\)/));
      const failing = program(`printf 'INFO: lots of log\\nERROR: "fsg_search.c", line 141: The word \\033[31m missing\\n' >&2; exit 1`);
      await assert.rejects(new PocketsphinxRecogniser({ command: failing, modelDir: models.path }).recognise({ audio: second, language: 'en' }), speechError('unavailable', /^local recogniser: pocketsphinx ended with code 1: ERROR: "fsg_search.c", line 141: The word {2}\[31m missing$/));
    });
  });
});
