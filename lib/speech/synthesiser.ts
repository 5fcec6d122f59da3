/**
 * Text to a media URI Asterisk plays: the provider's audio, resampled to the
 * rate Asterisk's WAV format takes (8 or 16 kHz), written once into the cache,
 * and given to Asterisk either as a URL Node-RED serves (route.ts; Asterisk
 * fetches it through res_http_media_cache) or as a sound name in a folder
 * Asterisk reads (shared mode). See docs/speech.md.
 *
 * synthesizeWav() is the small API for other code that needs speech without
 * Asterisk (the simulator's scripted caller): text, voice, language and a rate
 * in, a WAV file out.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import type { AudioCache, AudioExtension, CachedAudio } from './cache';
import { SpeechError, type SpeechProvider } from './provider';
import { TEXT_MAX } from './say';
import { turnStage } from '../turn-stages';
import { encodeWav, parseWav, resampleSliced, type AsteriskRate, type Pcm } from './wav';

/** How Asterisk gets the audio. */
export type Delivery =
  /** Asterisk fetches `<urlPrefix><id>.wav` (the route Node-RED serves, e.g. http://10.0.0.5:1880/callflow/speech/). */
  | { kind: 'http'; urlPrefix: string }
  /** The cache folder is one Asterisk reads as `<soundPrefix>/` under its sounds folder: played as sound:<soundPrefix>/<id>. */
  | { kind: 'shared'; soundPrefix: string };

export interface SynthesiserOptions {
  provider: SpeechProvider;
  cache: AudioCache;
  rate: AsteriskRate;
  delivery: Delivery;
  /** The voice when a request names none ('' : the provider's choice from the language). */
  voice: string;
  /** The language when a request names none. */
  language: string;
  /** Most audio a text may make, in seconds (default 300). */
  maxSeconds?: number;
}

export interface SayOptions {
  voice?: string;
  language?: string;
  signal?: AbortSignal;
  /** Resolve once the audio is made, its file written in the background (AudioCache's `early`); default: as the delivery needs. */
  early?: boolean;
}

/** The extension Asterisk knows a WAV file of that rate by (formats/format_wav.c: "wav" 8 kHz, "wav16" 16 kHz). */
export function extensionFor(rate: AsteriskRate): AudioExtension {
  return rate === 16000 ? 'wav16' : 'wav';
}

/** Text to a WAV file of 16-bit mono PCM at `rate`, straight from the provider (no cache). */
export async function synthesizeWav(provider: SpeechProvider, text: string, options: { voice?: string; language?: string; rate: number; signal?: AbortSignal }): Promise<Buffer> {
  return encodeWav(await synthesizePcm(provider, text, options));
}

/** Text to 16-bit mono PCM at `rate`, straight from the provider (no cache); `answered` when the provider has answered. */
export async function synthesizePcm(provider: SpeechProvider, text: string, options: { voice?: string; language?: string; rate: number; signal?: AbortSignal }, answered?: () => void): Promise<Pcm> {
  if (text.trim() === '') throw new SpeechError('refused', 'speech: nothing to say (empty text)');
  if (text.length > TEXT_MAX) throw new SpeechError('refused', `speech: the text is longer than ${TEXT_MAX} characters`);
  const request = { text, voice: options.voice ?? '', language: options.language ?? '', ...(options.signal ? { signal: options.signal } : {}) };
  const pcm = await provider.synthesize(request);
  answered?.();
  return resampleSliced(pcm, options.rate);
}

export class Synthesiser {
  /** Aborted by close(): the syntheses under way stop (the provider's request or process), not only their callers' waits. */
  private readonly closing = new AbortController();

  constructor(readonly options: SynthesiserOptions) {
    // Every synthesis under way follows it (its request's signal): 200 calls make 200 listeners, not a leak.
    setMaxListeners(0, this.closing.signal);
  }

  /** Its speech node closes: every synthesis under way is cancelled, and none starts after. */
  close(): void {
    this.closing.abort();
  }

  get cache(): AudioCache {
    return this.options.cache;
  }

  /**
   * The cached file that says `text` (made when missing). With http delivery it is given as soon as it is made, the
   * route serving it from memory while its file is written (cache.ts); shared delivery waits for the file.
   */
  async audio(text: string, options: SayOptions = {}): Promise<CachedAudio & { hit: boolean }> {
    if (this.closing.signal.aborted) throw new SpeechError('aborted', 'speech: cancelled, its speech node closed');
    const { provider, rate } = this.options;
    const voice = options.voice || this.options.voice;
    const language = options.language || this.options.language;
    const key = JSON.stringify([provider.identity, voice, language, rate, text]);
    const maxSeconds = this.options.maxSeconds ?? 300;
    // The synthesis is shared by every call asking for this text meanwhile: one call hanging up must not cancel it
    // for the others. It runs to its end (bounded by the provider's deadline) and is kept; each call stops waiting
    // for it when its own signal fires. Only the node closing cancels it.
    const made = this.options.cache.get(key, extensionFor(rate), async (id) => {
      turnStage('tts-sent', id);
      const pcm = await synthesizePcm(provider, text, { voice, language, rate, signal: this.closing.signal }, () => turnStage('tts-answered', id));
      if (pcm.samples.length > maxSeconds * rate) throw new SpeechError('too-large', `speech: ${provider.identity} made more than ${maxSeconds} s of audio`);
      if (pcm.samples.length === 0) throw new SpeechError('not-audio', `speech: ${provider.identity} made no audio`);
      return encodeWav(pcm);
    }, { early: options.early ?? this.options.delivery.kind === 'http' });
    return options.signal ? untilAborted(made, options.signal) : made;
  }

  /**
   * The samples that say `text` at `rate` (16-bit mono), for audio this process sends itself (the robot's voice
   * streamed on its media path: lib/ivr/bot.ts): the cached audio (made when missing, as for media(); from memory while
   * it is fresh, else read from its file), resampled when the media's rate is not the cache's.
   */
  async samples(text: string, rate: AsteriskRate, options: SayOptions = {}): Promise<Int16Array> {
    const audio = await this.audio(text, { ...options, early: true });
    const body = this.options.cache.freshBody(audio.id) ?? (await fs.promises.readFile(audio.path));
    return (await resampleSliced(parseWav(body), rate)).samples;
  }

  /** The media URI Asterisk plays `text` from. */
  async media(text: string, options: SayOptions = {}): Promise<string> {
    const audio = await this.audio(text, options);
    return this.uriOf(audio);
  }

  uriOf(audio: Pick<CachedAudio, 'id' | 'extension'>): string {
    const { delivery } = this.options;
    return delivery.kind === 'http' ? `sound:${delivery.urlPrefix}${audio.id}.${audio.extension}` : `sound:${delivery.soundPrefix}/${audio.id}`;
  }
}

/** The promise, or a SpeechError('aborted') as soon as the signal fires (the work goes on for whoever else waits). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new SpeechError('aborted', 'speech: cancelled'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new SpeechError('aborted', 'speech: cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
