/**
 * What the speech tests share: whether the local engines are installed (and a skip that says which are not and how to
 * install them), and a check of a SpeechError's reason and message for assert.rejects / assert.throws.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { POCKETSPHINX_MODEL } from '../../lib/speech/pocketsphinx';
import { SpeechError } from '../../lib/speech/provider';

export const hasEspeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
export const hasPocketsphinx = spawnSync('pocketsphinx_continuous', [], { stdio: 'ignore' }).error === undefined && fs.existsSync(path.join(POCKETSPHINX_MODEL, 'cmudict-en-us.dict'));

/** Skips the test, saying what to install, unless the engines are installed (CI installs them). */
export function needsEngines(context: Mocha.Context, engines: { espeak?: boolean; pocketsphinx?: boolean }): void {
  const missing = [engines.pocketsphinx && !hasPocketsphinx ? 'pocketsphinx pocketsphinx-en-us' : '', engines.espeak && !hasEspeak ? 'espeak-ng' : ''].filter((m) => m !== '').join(' ');
  if (missing) {
    console.log(`      skipped: not installed (on Debian: apt-get install ${missing}; CI installs them)`);
    context.skip();
  }
}

/** A SpeechError with this reason and a message matching this. */
export function speechError(reason: string, message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof SpeechError, String(e));
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, message);
    return true;
  };
}
