/**
 * The local recogniser: Debian's pocketsphinx (0.8+5prealpha, `pocketsphinx_continuous`) with its US English model
 * (`pocketsphinx-en-us`), run on this machine with no network. Each recognition is one child process (child.ts: an
 * argument array, no shell, a deadline, bounded output, killed when the call ends), at most `concurrency` at once.
 *
 * The audio is written as a 16 kHz WAV file in a private temporary folder (mode 700, removed after the run): it cannot
 * come on stdin, as `-infile /dev/stdin` fails on the socket Node gives a child for stdin. What it writes is hostile: a hypothesis line per
 * utterance, and with `-time yes` a line per word: `<word> <start> <end> <posterior>`; anything else is ignored.
 *
 * With a menu's phrases or a collection of digits, a JSGF grammar (jsgf.ts, a file in the same folder) makes pocketsphinx hear only those: much better on short answers, but any speech becomes the
 * closest phrase or nothing. Its grammar search gives every word a posterior of 1, so the confidence is then null;
 * with free text (the model's language model) it is the mean posterior of the words.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEngine } from './child';
import { jsgfGrammar } from './jsgf';
import { SpeechError, outsideText } from './provider';
import { recognisedText, type Recogniser, type Recognition, type RecognitionRequest } from './recogniser';
import { Slots } from './slots';
import { durationMs, encodeWav, resample } from './wav';

/** Where Debian's pocketsphinx-en-us puts the model. */
export const POCKETSPHINX_MODEL = '/usr/share/pocketsphinx/model/en-us';

export interface PocketsphinxOptions {
  /** The program (default pocketsphinx_continuous on the PATH). */
  command?: string;
  /** The model's folder: en-us/ (the acoustic model), en-us.lm.bin, cmudict-en-us.dict (default Debian's). */
  modelDir?: string;
  /** A recognition's deadline (default 15 s). */
  timeoutMs?: number;
  /** The longest audio taken, in ms (default 60 s). */
  maxAudioMs?: number;
  /** Recognitions at once (default 2). */
  concurrency?: number;
  /** Where each recognition's temporary folder is made (default the system's, os.tmpdir()). */
  tempDir?: string;
}

/** The languages the model hears: en and en-US (any case, - or _), or none given. */
const LANGUAGE_RE = /^(en([-_]us)?)?$/i;

/** The most pocketsphinx may write on stdout: a few lines per word of at most 2 minutes of speech. */
const MAX_OUTPUT = 256 * 1024;

/** The dictionaries read, by path: the words the model can hear (its alternate pronunciations, word(2), folded). */
const dictionaries = new Map<string, Promise<ReadonlySet<string>>>();

/** The words of a dictionary file (`word PH O NE S`, `word(2) ...`), read in slices so the event loop keeps turning. */
async function readDictionary(file: string): Promise<ReadonlySet<string>> {
  const text = await fs.promises.readFile(file, 'utf8');
  const words = new Set<string>();
  let at = 0;
  while (at < text.length) {
    for (let n = 0; n < 5000 && at < text.length; n += 1) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const space = text.indexOf(' ', at);
      let word = text.slice(at, space >= 0 && space < end ? space : end);
      if (word.endsWith(')')) word = word.slice(0, word.lastIndexOf('('));
      if (word) words.add(word);
      at = end + 1;
    }
    // Some 135 000 lines: about 100 ms of work at once on a busy machine, enough to delay the calls' audio.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return words;
}

function dictionary(file: string): Promise<ReadonlySet<string>> {
  let words = dictionaries.get(file);
  if (!words) {
    words = readDictionary(file);
    // A model installed later is found then.
    words.catch(() => dictionaries.delete(file));
    dictionaries.set(file, words);
  }
  return words;
}

/** pocketsphinx_continuous's output read as text and a confidence (the mean posterior of the words, null when there are none). */
export function parsePocketsphinx(stdout: string, grammar: boolean): Recognition {
  const hypotheses: string[] = [];
  const posteriors: number[] = [];
  for (const line of stdout.split('\n')) {
    const word = /^(\S+) \d+\.\d+ \d+\.\d+ (\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/.exec(line);
    if (word) {
      // <s>, </s>, <sil>, (NULL), [NOISE], ++NOISE++: silences and noises, not words.
      if (!/^[<([+]/.test(word[1] as string)) posteriors.push(Number(word[2]));
    } else if (line.trim() !== '') hypotheses.push(line);
  }
  const text = recognisedText(hypotheses.join(' '));
  const valid = posteriors.filter((p) => Number.isFinite(p));
  if (grammar || text === '' || valid.length === 0) return { text, confidence: null };
  const mean = Math.min(1, Math.max(0, valid.reduce((a, b) => a + b, 0) / valid.length));
  return { text, confidence: Math.round(mean * 1000) / 1000 };
}

/** The lines of pocketsphinx's log that say what went wrong ("ERROR: ...", "FATAL_ERROR: ..."), cleaned, or ''. */
function errorLines(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /^(ERROR|FATAL)/.test(l));
  return outsideText(lines.slice(-2).join(' '), 200);
}

export class PocketsphinxRecogniser implements Recogniser {
  readonly identity: string;
  private readonly command: string;
  private readonly modelDir: string;
  private readonly timeoutMs: number;
  private readonly maxAudioMs: number;
  private readonly slots: Slots;
  private readonly tempDir: string | undefined;

  constructor(options: PocketsphinxOptions = {}) {
    this.tempDir = options.tempDir;
    this.command = options.command ?? 'pocketsphinx_continuous';
    this.modelDir = options.modelDir ?? POCKETSPHINX_MODEL;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAudioMs = options.maxAudioMs ?? 60_000;
    this.slots = new Slots(options.concurrency ?? 2);
    this.identity = `local pocketsphinx ${this.modelDir}`;
  }

  /** Recognitions waiting for a free slot. */
  get waiting(): number {
    return this.slots.waiting;
  }

  async recognise(request: RecognitionRequest): Promise<Recognition> {
    if (!LANGUAGE_RE.test(request.language)) {
      throw new SpeechError('refused', `local recogniser: pocketsphinx has the US English model only (en-US); the language ${JSON.stringify(outsideText(request.language, 20))} needs another recogniser (Vosk, Whisper)`);
    }
    const ms = durationMs(request.audio);
    if (ms > this.maxAudioMs) throw new SpeechError('too-large', `local recogniser: ${ms} ms of audio is more than the ${this.maxAudioMs} ms a recognition takes`);
    if (request.audio.samples.length === 0) return { text: '', confidence: null };
    const dict = path.join(this.modelDir, 'cmudict-en-us.dict');
    // The dictionary is read (once) only to check a menu's phrases: digits are all words of it.
    let words: ReadonlySet<string> | undefined;
    try {
      if (!request.digits && request.phrases && request.phrases.length > 0) words = await dictionary(dict);
      else await fs.promises.access(dict);
    } catch {
      throw new SpeechError('unavailable', `local recogniser: pocketsphinx's US English model is not in ${this.modelDir} (on Debian: apt-get install pocketsphinx pocketsphinx-en-us)`);
    }
    const grammar = jsgfGrammar({ phrases: request.phrases, digits: request.digits }, (w) => words?.has(w) === true);
    const pcm = request.audio.rate === 16000 ? request.audio : resample(request.audio, 16000);
    return this.slots.run(async () => {
      // Private to this user (mkdtemp makes it 700), removed after the run whatever happens.
      const folder = await fs.promises.mkdtemp(path.join(this.tempDir ?? os.tmpdir(), 'callflow-pocketsphinx-'));
      try {
        const speech = path.join(folder, 'speech.wav');
        await fs.promises.writeFile(speech, encodeWav(pcm), { mode: 0o600 });
        const args = ['-infile', speech, '-samprate', '16000', '-time', 'yes', '-hmm', path.join(this.modelDir, 'en-us'), '-dict', dict];
        if ('grammar' in grammar) {
          const file = path.join(folder, 'callflow.gram');
          await fs.promises.writeFile(file, grammar.grammar, { mode: 0o600 });
          args.push('-jsgf', file);
        } else args.push('-lm', path.join(this.modelDir, 'en-us.lm.bin'));
        const exit = await runEngine({
          command: this.command,
          args,
          input: '',
          timeoutMs: this.timeoutMs,
          maxBytes: MAX_OUTPUT,
          signal: request.signal,
          shown: 'local recogniser',
          program: 'pocketsphinx',
          install: 'apt-get install pocketsphinx pocketsphinx-en-us',
        });
        if (exit.code !== 0) {
          const said = errorLines(exit.stderr);
          throw new SpeechError('unavailable', `local recogniser: pocketsphinx ended with code ${String(exit.code)}${said ? `: ${said}` : ''}`);
        }
        return parsePocketsphinx(exit.stdout.toString('utf8'), 'grammar' in grammar);
      } finally {
        await fs.promises.rm(folder, { recursive: true, force: true });
      }
    }, request.signal);
  }
}
