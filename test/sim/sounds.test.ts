/**
 * The simulated Asterisk's sounds: the core English catalogue (lib/sim/core-sounds-en.ts) against the real files
 * when they are installed, what GET /sounds says about it, and sound sets a user adds from a directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSimulator } from '../../lib/sim';
import { CORE_SOUNDS_EN, CORE_SOUNDS_EN_FORMAT } from '../../lib/sim/core-sounds-en';
import { findLanguageDirectory, renderCatalogue } from '../../lib/sim/sound-catalogue';
import { parseDescriptions, readSoundDirectory, wavInfo } from '../../lib/sim/sound-files';
import { startSimulatorCli, stopSimulatorProcess } from '../../lib/playground/sim-process';
import { useTempDir } from '../support/temp-dir';

/** Where Debian's asterisk-core-sounds-en(-wav) installs the set, or an extracted copy named by the environment. */
function installedCoreSounds(): string | undefined {
  const fromEnv = process.env.CALLFLOW_CORE_SOUNDS_DIR;
  if (fromEnv) return fromEnv;
  return ['/usr/share/asterisk/sounds/en', '/usr/share/asterisk/sounds/en_US_f_Allison'].find((dir) => fs.existsSync(dir));
}

/** A WAV file of `ms` of 8 kHz 16-bit silence, with a LIST chunk between fmt and data (a header longer than 44 bytes). */
function wavWithList(ms: number): Buffer {
  const data = Buffer.alloc(Math.round(ms * 16));
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(16000, 8);
  fmt.writeUInt16LE(2, 12);
  fmt.writeUInt16LE(16, 14);
  const chunk = (id: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'ascii');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('LIST', Buffer.from('INFOISFT\u0005\u0000\u0000\u0000sox\u0000\u0000')), chunk('data', data)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** GET on ARI; a sound id's / is sent as %2F, as clients encode a path parameter (res_ari.c decodes each segment). */
async function ariGet(url: string, p: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/ari${p}`, { headers: { authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` } });
  return { status: res.status, body: await res.json() };
}

describe('simulator: sounds', function () {
  const temp = useTempDir('callflow-sounds-');

  it('its catalogue is the installed core English sound set: the same ids, the same lengths', async function () {
    const installed = installedCoreSounds();
    if (!installed) {
      console.log('      skipped: no core English sounds here (install asterisk-core-sounds-en-wav, or set CALLFLOW_CORE_SOUNDS_DIR to an extracted copy)');
      this.skip();
    }
    const found = await readSoundDirectory(await findLanguageDirectory(installed));
    const lengths = new Map<string, { format: string; durationMs: number }[]>();
    for (const f of found.files) lengths.set(f.id, [...(lengths.get(f.id) ?? []), f]);
    assert.deepEqual([...lengths.keys()].sort(), Object.keys(CORE_SOUNDS_EN).sort(), 'the same ids');
    for (const [id, files] of lengths) {
      for (const f of files) {
        // The catalogue was measured on the WAV files; a GSM file holds whole 20 ms frames.
        const tolerance = f.format === CORE_SOUNDS_EN_FORMAT ? 0 : 20;
        assert.ok(Math.abs(f.durationMs - (CORE_SOUNDS_EN[id] ?? -1000)) <= tolerance, `${id}.${f.format}: ${f.durationMs} ms installed, ${CORE_SOUNDS_EN[id]} ms in the catalogue`);
      }
    }
    if (found.files.every((f) => f.format === CORE_SOUNDS_EN_FORMAT)) {
      // The generator, run on these files, writes the checked-in catalogue (its first lines name the source).
      const checkedIn = fs.readFileSync(path.resolve(__dirname, '../../../lib/sim/core-sounds-en.ts'), 'utf8');
      const generated = renderCatalogue(found.files, 'installed');
      const body = (text: string): string => text.slice(text.indexOf('export const CORE_SOUNDS_EN:'));
      assert.equal(body(generated), body(checkedIn));
    }
  });

  it("has the core set's real lengths and nothing the set lacks (the optional extra sounds are not there)", async function () {
    assert.equal(Object.keys(CORE_SOUNDS_EN).length, 568);
    assert.deepEqual([CORE_SOUNDS_EN['demo-congrats'], CORE_SOUNDS_EN['demo-thanks'], CORE_SOUNDS_EN['hello-world'], CORE_SOUNDS_EN['silence/1']], [30277, 5518, 1404, 1000]);
    const sim = await startSimulator();
    try {
      for (const extra of ['welcome', 'to-hear-your-account-balance', 'to-reach-operator', 'card-number', 'account-balance-is', 'all-reps-busy', 'option-is-invalid', 'please-enter-your', 'pls-try-again']) {
        assert.equal((await ariGet(sim.url, `/sounds/${extra}`)).status, 404, extra);
      }
      // A file Asterisk indexes from a .wav is listed in the format that stores it (format_wav.c: slin), without text.
      assert.deepEqual((await ariGet(sim.url, '/sounds/digits%2F1')).body, { id: 'digits/1', formats: [{ language: 'en', format: 'slin' }] });
      assert.equal(((await ariGet(sim.url, '/sounds?lang=en&format=slin')).body as unknown[]).length, 568);
      // ast_ari_sounds_list answers no match with 404, not an empty list.
      assert.deepEqual(await ariGet(sim.url, '/sounds?format=gsm'), { status: 404, body: { message: 'No sounds found that matched the query' } });
      assert.equal(sim.asterisk.sounds.duration('demo-congrats'), 30277);
    } finally {
      await sim.close();
    }
  });

  it('says digits:, characters: and number: with the files main/say.c picks, skipping files the system lacks', async function () {
    const ms = (...ids: string[]): number => ids.reduce((sum, id) => sum + (CORE_SOUNDS_EN[id] ?? Number.NaN), 0);
    const sim = await startSimulator();
    const core = await startSimulator({ coreSounds: false });
    try {
      const length = (uri: string, on = sim) => on.asterisk.media.length(uri, 'en');
      assert.deepEqual(await length('digits:1-2#'), { kind: 'finite', ms: ms('digits/1', 'digits/minus', 'digits/2', 'digits/pound') });
      // ! $ = have files of their own; % has letters/ascii37; a character with neither is skipped.
      assert.deepEqual(await length('characters:A%!$=~é'), {
        kind: 'finite',
        ms: ms('letters/a', 'letters/ascii37', 'letters/exclaimation-point', 'letters/dollar', 'letters/equals', 'letters/ascii126'),
      });
      assert.deepEqual(await length('number:2000000001'), { kind: 'finite', ms: ms('digits/2', 'digits/billion', 'digits/1') });
      core.asterisk.sounds.define('digits/1', 500);
      assert.deepEqual(await length('digits:12', core), { kind: 'finite', ms: 500 }, 'digits/2 is skipped, not an error');
    } finally {
      await sim.close();
      await core.close();
    }
  });

  it('reads WAV lengths from the RIFF chunks, not from a 44-byte header', function () {
    const wav = wavWithList(1500);
    assert.ok(wav.indexOf('data') > 44, 'the data chunk starts after byte 44');
    assert.deepEqual(wavInfo(wav), { byteRate: 16000, dataBytes: 24000, truncated: false });
    assert.equal(wavInfo(Buffer.from('RIFF\u0000\u0000\u0000\u0000WAVEdata')), undefined, 'no fmt chunk');
    assert.equal(wavInfo(Buffer.from('not a wav file at all')), undefined);
  });

  it('parses description files as Asterisk does: comments, continuation lines, the first colon', function () {
    const texts = parseDescriptions('; comment: ignored\ncustom/welcome: Welcome\nto the company.\nfee: Costs: 5 dollars  \n\nnothing:\n');
    assert.deepEqual(Object.fromEntries(texts), { 'custom/welcome': 'Welcome\nto the company.', fee: 'Costs: 5 dollars\n' });
  });

  it('adds the sounds of a directory (--sounds): ids, lengths, formats and texts as Asterisk would index them', async function () {
    fs.mkdirSync(path.join(temp.path, 'custom'));
    fs.writeFileSync(path.join(temp.path, 'custom', 'welcome.wav'), wavWithList(1500));
    fs.writeFileSync(path.join(temp.path, 'custom', 'welcome.ulaw'), Buffer.alloc(12000));
    fs.writeFileSync(path.join(temp.path, 'broken.wav'), 'not a wav');
    fs.writeFileSync(path.join(temp.path, 'notes.md'), 'not a sound');
    fs.writeFileSync(path.join(temp.path, 'my-sounds.txt'), 'custom/welcome: Welcome to the company.\n');
    const warnings: string[] = [];
    const sim = await startSimulator({
      soundDirs: [{ dir: temp.path, language: 'fr' }],
      logger: { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
    });
    try {
      assert.deepEqual((await ariGet(sim.url, '/sounds/custom%2Fwelcome')).body, {
        id: 'custom/welcome',
        text: 'Welcome to the company.',
        formats: [
          { language: 'fr', format: 'ulaw' },
          { language: 'fr', format: 'slin' },
        ],
      });
      assert.equal(sim.asterisk.sounds.duration('custom/welcome', 'fr'), 1500);
      assert.equal((await ariGet(sim.url, '/sounds/notes')).status, 404);
      assert.equal((await ariGet(sim.url, '/sounds/broken')).status, 404);
      assert.deepEqual(warnings, ['simulator: sound file broken.wav skipped: not a WAV file with a fmt and a data chunk']);
      assert.equal((await ariGet(sim.url, '/sounds/hello-world')).status, 200, 'the core sounds stay');
    } finally {
      await sim.close();
    }
  });

  it('the command line adds a directory with --sounds and leaves the core set out with --no-core-sounds', async function () {
    fs.writeFileSync(path.join(temp.path, 'closed.wav'), wavWithList(800));
    const { child, url, out } = await startSimulatorCli(['--port', '0', '--sounds', `en=${temp.path}`, '--no-core-sounds']);
    try {
      assert.match(out, /1 sounds \(en\) from /);
      assert.deepEqual((await ariGet(url, '/sounds')).body, [{ id: 'closed', formats: [{ language: 'en', format: 'slin' }] }]);
    } finally {
      await stopSimulatorProcess(child);
    }
  });
});
