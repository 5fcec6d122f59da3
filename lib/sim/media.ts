/**
 * How long a media URI plays in the simulated Asterisk. sound:, recording:,
 * number:, digits: and characters: come from the sound catalog and the
 * stored recordings; tone: plays until it is stopped; sound:http(s)://
 * media is fetched, kept and measured as Asterisk's media cache and format
 * modules would (http-media.ts), unless the script defined its length
 * beforehand.
 */
import { encodeWav } from '../speech/wav';
import { scanInt } from './asterisk-parsing';
import { HttpMediaCache, cacheExtension, measureFile } from './http-media';
import { sayCharacterFiles, sayDigitFiles, sayNumberFiles, type SoundCatalog } from './sounds';

/**
 * How long a medium plays. `missing`: Asterisk tries and fails (a sound file it does not have, a tone URI it cannot
 * parse): the item ends as failed. `unplayable`: play_on_channel gives up before trying (a scheme it does not know, a
 * recording: not stored, a number: sscanf cannot read) with `continue`, so the item gets no final event at all.
 */
export type MediaLength = { kind: 'finite'; ms: number } | { kind: 'indefinite' } | { kind: 'missing'; why: string } | { kind: 'unplayable'; why: string };


export class MediaResolver {
  /** Lengths of http(s) media defined in advance (PUT /sim/media). */
  readonly urls = new Map<string, number>();
  /** What the media cache fetched (http-media.ts). */
  private readonly http: HttpMediaCache;

  constructor(
    private readonly sounds: SoundCatalog,
    private readonly storedRecording: (name: string) => number | undefined,
    private readonly options: { fetch: boolean; fetchTimeoutMs: number; fixedMs?: number },
  ) {
    this.http = new HttpMediaCache(options.fetchTimeoutMs);
  }

  async length(uri: string, language: string): Promise<MediaLength> {
    const found = await this.naturalLength(uri, language);
    const fixed = this.options.fixedMs;
    return fixed !== undefined && found.kind === 'finite' ? { kind: 'finite', ms: fixed } : found;
  }

  private async naturalLength(uri: string, language: string): Promise<MediaLength> {
    const colon = uri.indexOf(':');
    if (colon <= 0) return { kind: 'unplayable', why: `media URI "${uri}" has no scheme` };
    const scheme = uri.slice(0, colon);
    const rest = uri.slice(colon + 1);
    const sum = (files: string[]): MediaLength => {
      let ms = 0;
      for (const f of files) {
        const d = this.sounds.duration(f, language);
        if (d === undefined) return { kind: 'missing', why: `sound file ${f} not found` };
        ms += d;
      }
      return { kind: 'finite', ms };
    };
    // say.c plays only the files that exist for digits and characters (ast_fileexists), skipping the others.
    const sumExisting = (files: string[]): MediaLength => ({ kind: 'finite', ms: files.reduce((ms, f) => ms + (this.sounds.duration(f, language) ?? 0), 0) });
    switch (scheme) {
      case 'sound': {
        if (/^https?:\/\//i.test(rest)) return this.remote(rest);
        const d = this.sounds.duration(rest, language);
        return d === undefined ? { kind: 'missing', why: `sound file ${rest} (${language}) not found` } : { kind: 'finite', ms: d };
      }
      case 'recording': {
        const d = this.storedRecording(rest);
        return d === undefined ? { kind: 'unplayable', why: `recording ${rest} not found` } : { kind: 'finite', ms: d };
      }
      case 'number': {
        const n = scanInt(rest);
        if (n === undefined) return { kind: 'unplayable', why: `number:${rest} is not a number` };
        return sum(sayNumberFiles(n));
      }
      case 'digits':
        return sumExisting(sayDigitFiles(rest));
      case 'characters':
        return sumExisting(sayCharacterFiles(rest, (f) => this.sounds.duration(f, language) !== undefined));
      case 'tone': {
        // main/app.c parse_tone_uri: "<indication>[;tonezone=<zone>]"; any other component fails the playback.
        const [indication = '', component] = rest.split(/;(.*)/s);
        if (indication.length === 0) return { kind: 'missing', why: 'tone: needs a tone name' };
        if (component !== undefined && component !== '' && !component.startsWith('tonezone=')) return { kind: 'missing', why: `Unexpected Tone URI component: ${component}` };
        return { kind: 'indefinite' };
      }
      default:
        return { kind: 'unplayable', why: `scheme ${scheme} is unsupported` };
    }
  }

  /** The audio of a medium the simulator has as samples (a WAV file fetched over http(s)), at 8 kHz; else undefined. */
  samples(uri: string): Int16Array | undefined {
    return /^sound:https?:\/\//i.test(uri) ? this.http.samples(uri.slice('sound:'.length)) : undefined;
  }

  private async remote(url: string): Promise<MediaLength> {
    const known = this.urls.get(url);
    if (known !== undefined) return { kind: 'finite', ms: known };
    if (!this.options.fetch) return { kind: 'missing', why: `media ${url} is not defined and fetching is off` };
    return this.http.length(url);
  }
}

/** Length in ms of a fetched audio file as Asterisk's media cache takes it (http-media.ts), or undefined when Asterisk would not play it. */
export function measure(url: string, contentType: string, body: Buffer): number | undefined {
  const ext = cacheExtension(url, contentType);
  if (ext === undefined) return undefined;
  const measured = measureFile(ext, body);
  return 'ms' in measured ? measured.ms : undefined;
}

/** formats/format_gsm.c gsm_silence: one 20 ms GSM frame of silence. */
const GSM_SILENCE = Buffer.from([
  0xd8, 0x20, 0xa2, 0xe1, 0x5a, 0x50, 0x00, 0x49, 0x24, 0x92, 0x49, 0x24, 0x50, 0x00, 0x49, 0x24, 0x92, 0x49, 0x24, 0x50, 0x00, 0x49, 0x24, 0x92, 0x49, 0x24, 0x50,
  0x00, 0x49, 0x24, 0x92, 0x49, 0x24,
]);

/**
 * A stored recording's file as GET /recordings/stored/{name}/file sends it: `ms` of silence in the file format of
 * its extension, and the Content-Type Asterisk gives it, "<media type>/<extension>" (resource_recordings.c
 * ast_ari_recordings_get_stored_file: video for h263 and h264, audio for the rest). Formats the simulator cannot
 * write (g729, ilbc, ogg...) come as an empty file.
 */
export function silentRecording(extension: string, ms: number): { body: Buffer; contentType: string } {
  const contentType = `${/^h26[34]$/.test(extension) ? 'video' : 'audio'}/${extension}`;
  const samples = (rate: number): number => Math.round((ms / 1000) * rate);
  let body: Buffer;
  if (extension === 'wav') body = silentWav(ms);
  else if (extension === 'wav16') body = silentWav(ms, 16000);
  else if (['sln', 'slin', 'raw'].includes(extension)) body = Buffer.alloc(samples(8000) * 2);
  else if (extension === 'sln16') body = Buffer.alloc(samples(16000) * 2);
  else if (['pcm', 'ulaw', 'ul', 'mu', 'ulw'].includes(extension)) body = Buffer.alloc(samples(8000), 0xff);
  else if (['alaw', 'al', 'alw'].includes(extension)) body = Buffer.alloc(samples(8000), 0xd5);
  else if (extension === 'gsm') body = Buffer.concat(Array.from({ length: Math.round(ms / 20) }, () => GSM_SILENCE));
  else body = Buffer.alloc(0);
  return { body, contentType };
}

/** A WAV file (16-bit mono, 8 kHz unless told) of silence, `ms` long: the header lib/speech/wav.ts writes for Asterisk. */
export function silentWav(ms: number, rate = 8000): Buffer {
  return encodeWav({ rate, samples: new Int16Array(Math.round((ms / 1000) * rate)) });
}
