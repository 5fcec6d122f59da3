/**
 * The local speech engine: Debian's espeak-ng, run as a child process with an
 * argument array (never a shell). The text goes on stdin (`--stdin`), so no
 * text can become an option; the voice is checked against a strict pattern
 * before it becomes the argument of `-v`, and SSML is off (no `-m`): markup in
 * the text is read out as characters. Each run has a deadline (the process is
 * killed at it) and a limit on the audio it may write (killed past it); at
 * most `concurrency` run at once, the others wait their turn.
 *
 * espeak-ng writes a WAV file at 22 050 Hz (`--stdout`); the voices are what
 * `espeak-ng --voices` lists.
 */
import { spawn } from 'node:child_process';
import { runEngine } from './child';
import { Slots } from './slots';
import { SpeechError, outsideText, type SpeechProvider, type SpeechRequest } from './provider';
import { NotAudioError, parseWav, type Pcm } from './wav';

/** A voice as espeak-ng takes it: a language or voice name, optionally +variant (en-us, en-us+f3, cmn, pt-br). */
export const ESPEAK_VOICE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}(\\+[A-Za-z0-9_-]{1,20})?$';
const VOICE_RE = new RegExp(ESPEAK_VOICE_PATTERN);

export interface EspeakOptions {
  /** The program (default "espeak-ng" on the PATH). */
  command?: string;
  /** A run's deadline (default 10 s). */
  timeoutMs?: number;
  /** The most audio a run may write, in bytes (default 8 MB: over 3 minutes at 22 050 Hz). */
  maxBytes?: number;
  /** Runs at once (default 2). */
  concurrency?: number;
  /** Words per minute (espeak-ng -s; default its own, 175). */
  wordsPerMinute?: number;
}

export interface EspeakVoice {
  /** What -v takes: the language name espeak-ng lists (en-us, cmn, pt-br...). */
  language: string;
  /** espeak-ng's name for it (English_(America)). */
  name: string;
  /** Other language codes it answers to, e.g. ["en"] or ["zh-cmn", "zh"]. */
  others: string[];
}

/** Turns a language code as Asterisk and callflow write it (pt_BR, en) into the voice espeak-ng takes (pt-br, en). */
export function espeakVoiceFor(language: string): string {
  const v = language.trim().toLowerCase().replace(/_/g, '-');
  return VOICE_RE.test(v) ? v : 'en';
}

export class EspeakEngine implements SpeechProvider {
  readonly identity = 'local espeak-ng';
  private readonly slots: Slots;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly wpm: number | undefined;

  constructor(options: EspeakOptions = {}) {
    this.command = options.command ?? 'espeak-ng';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.slots = new Slots(options.concurrency ?? 2);
    this.wpm = options.wordsPerMinute;
  }

  /** Runs waiting for a free slot. */
  get waiting(): number {
    return this.slots.waiting;
  }

  async synthesize(request: SpeechRequest): Promise<Pcm> {
    const voice = request.voice || espeakVoiceFor(request.language);
    if (!VOICE_RE.test(voice)) throw new SpeechError('refused', `local speech: the voice ${JSON.stringify(outsideText(voice, 60))} is not an espeak-ng voice name (letters, digits, _ or -, optionally +variant)`);
    const args = ['--stdin', '--stdout', '-v', voice];
    if (this.wpm !== undefined) args.push('-s', String(Math.round(this.wpm)));
    const wav = await this.slots.run(() => this.run(args, request.text, request.signal), request.signal);
    try {
      return parseWav(wav);
    } catch (err) {
      if (err instanceof NotAudioError) throw new SpeechError('not-audio', `local speech: espeak-ng wrote no audio (${err.message})`);
      throw err;
    }
  }

  private async run(args: string[], text: string, signal: AbortSignal | undefined): Promise<Buffer> {
    const exit = await runEngine({
      command: this.command,
      args,
      input: text,
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxBytes,
      signal,
      shown: 'local speech',
      program: 'espeak-ng',
      install: 'apt-get install espeak-ng',
      output: ' of audio',
    });
    if (exit.code !== 0) {
      const said = outsideText(exit.stderr);
      throw new SpeechError(/voice does not exist/i.test(said) ? 'refused' : 'unavailable', `local speech: espeak-ng ended with code ${String(exit.code)}${said ? `: ${said}` : ''}`);
    }
    return exit.stdout;
  }
}

/** The voices `espeak-ng --voices` lists (its columns: Pty, Language, Age/Gender, VoiceName, File, Other Languages). */
export function parseEspeakVoices(listing: string): EspeakVoice[] {
  const voices: EspeakVoice[] = [];
  for (const line of listing.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const [, language, , name] = cols;
    if (!language || !name || !VOICE_RE.test(language)) continue;
    const others = [...line.matchAll(/\(([A-Za-z0-9_-]{1,40}) \d+\)/g)].map((m) => m[1] as string);
    voices.push({ language, name: outsideText(name.replace(/_/g, ' '), 80), others });
  }
  return voices;
}

/** Lists espeak-ng's voices (an empty list when it is not installed or does not answer within 5 s). */
export function listEspeakVoices(command = 'espeak-ng'): Promise<EspeakVoice[]> {
  return new Promise((resolve) => {
    const child = spawn(command, ['--voices'], { stdio: ['ignore', 'pipe', 'ignore'], shell: false, windowsHide: true });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (out.length < 200_000) out += chunk.toString('utf8');
    });
    child.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? parseEspeakVoices(out) : []);
    });
  });
}
