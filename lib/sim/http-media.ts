/**
 * sound:http(s)://... as Asterisk plays it (checked against Asterisk commit f0c1c1a7): ast_streamfile sees "://"
 * in the name (main/file.c is_remote_path) and asks the media cache (main/media_cache.c ast_media_cache_retrieve),
 * whose HTTP backend (res/res_http_media_cache.c) fetches the URL with curl:
 * - any answer but 2xx fails the item ("Failed to retrieve URL ...: server returned N"), as does a fetch that cannot
 *   complete; redirects are followed (follow_location, at most 8);
 * - the file's format comes from the Content-Type first (file_extension_from_content_type: the whole value, then
 *   without its parameters, against each format module's mime types), else from the URL path's extension when a
 *   format module registers it (file_extension_from_url_path); with neither the file has no extension and no
 *   format finds it: the item fails;
 * - the file is then opened by that format: format_wav.c's check_header takes only PCM, mono, 16-bit at 8 kHz for
 *   "wav" and 16 kHz for "wav16" (another rate: "Unexpected frequency mismatch"): the item fails;
 * - the copy is kept while fresh: Cache-Control s-maxage or max-age, else Expires; without them it is stale at
 *   once (bucket_file_set_expiration), and also when Cache-Control says no-cache or must-revalidate. A stale copy
 *   with an ETag is revalidated with If-None-Match (a 304 keeps it); without one it is fetched again
 *   (bucket_http_wizard_is_stale).
 */
import { own } from '../own';
import { parseWav, resample } from '../speech/wav';
import type { MediaLength } from './media';

/** The mime types format modules register (formats/format_*.c `.mime_types`), by the extension they map to. */
const MIME_TYPES: readonly [string, string][] = [
  ['audio/wav', 'wav'],
  ['audio/x-wav', 'wav'],
  ['audio/x-wav;codec=pcm;bit=16;rate=8000', 'wav'],
  ['audio/x-wav;codec=pcm;bit=16;rate=16000', 'wav16'],
  ['audio/gsm', 'gsm'],
  ['audio/basic', 'pcm'],
  ['audio/x-vox', 'vox'],
];

/** Bytes per second of the raw formats (formats/format_pcm.c, format_sln.c, format_gsm.c: 33 bytes per 20 ms). */
const RAW_RATES: Readonly<Record<string, number>> = {
  pcm: 8000, ulaw: 8000, ul: 8000, mu: 8000, ulw: 8000, alaw: 8000, al: 8000, alw: 8000, g722: 8000,
  sln: 16000, slin: 16000, raw: 16000, sln12: 24000, sln16: 32000, sln24: 48000, sln32: 64000, sln44: 88200, sln48: 96000, sln96: 192000, sln192: 384000,
  gsm: 1650, vox: 4000,
};

/** Extensions format modules register that the simulator cannot measure (it treats their media as missing). */
const OTHER_EXTENSIONS = new Set(['WAV', 'wav49', 'au', 'g719', 'g723', 'g723sf', 'g726-40', 'g726-32', 'g726-24', 'g726-16', 'g729', 'h263', 'h264', 'ilbc', 'siren7', 'siren14', 'ogg', 'spx', 'spx16', 'spx32']);

function registered(ext: string): boolean {
  return ext === 'wav' || ext === 'wav16' || own(RAW_RATES, ext) !== undefined || OTHER_EXTENSIONS.has(ext);
}

/** The extension res_http_media_cache gives a fetched file (without the dot), or undefined when it finds none. */
export function cacheExtension(url: string, contentType: string): string | undefined {
  const type = contentType.trim();
  const exact = MIME_TYPES.find(([m]) => m.toLowerCase() === type.toLowerCase());
  if (exact) return exact[1];
  const bare = type.split(';')[0]?.trimEnd() ?? '';
  if (bare !== type) {
    const stripped = MIME_TYPES.find(([m]) => m.toLowerCase() === bare.toLowerCase());
    if (stripped) return stripped[1];
  }
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 ? path.slice(dot + 1) : '';
  return ext !== '' && registered(ext) ? ext : undefined;
}

/** How long a file of that extension plays, or why Asterisk would not play it. */
export function measureFile(ext: string, body: Buffer): { ms: number } | { why: string } {
  if (ext === 'wav' || ext === 'wav16') return measureWav(body, ext === 'wav' ? 8000 : 16000);
  const rate = own(RAW_RATES, ext);
  if (rate !== undefined) return { ms: Math.round((body.length / rate) * 1000) };
  return { why: `the simulator cannot measure .${ext} files` };
}

/** format_wav.c check_header: RIFF/WAVE, a fmt chunk of PCM, mono, `hz`, 16 bits; the data chunk's length. */
function measureWav(body: Buffer, hz: number): { ms: number } | { why: string } {
  if (body.length < 12 || body.toString('ascii', 0, 4) !== 'RIFF' || body.toString('ascii', 8, 12) !== 'WAVE') return { why: 'Does not begin with RIFF / Does not contain WAVE' };
  let offset = 12;
  let checked = false;
  while (offset + 8 <= body.length) {
    const id = body.toString('ascii', offset, offset + 4);
    const size = body.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (size < 16 || offset + 24 > body.length) return { why: `Unexpected header size ${size}` };
      const format = body.readUInt16LE(offset + 8);
      const channels = body.readUInt16LE(offset + 10);
      const freq = body.readUInt32LE(offset + 12);
      const bytesPerSample = body.readUInt16LE(offset + 20);
      if (format !== 1) return { why: `Not a supported wav file format (${format})` };
      if (channels !== 1) return { why: `Not in mono ${channels}` };
      if (freq !== hz) return { why: `Unexpected frequency mismatch ${freq} (expecting ${hz})` };
      if (bytesPerSample !== 2) return { why: `Can only handle 16bits per sample: ${bytesPerSample}` };
      checked = true;
    } else if (id === 'data') {
      if (!checked) return { why: 'wav file without a fmt chunk before its data' };
      return { ms: Math.round((Math.min(size, body.length - offset - 8) / (hz * 2)) * 1000) };
    }
    offset += 8 + size + (size % 2);
  }
  return { why: 'wav file without a data chunk' };
}

interface Cached {
  ms: number;
  /** Wall-clock ms (Date.now) until which the copy is fresh. */
  expires: number;
  etag: string | undefined;
  revalidate: boolean;
  /** A WAV file's audio at 8 kHz (the simulator's own: what a snoop's recording writes of it, recordings.ts). */
  samples?: Int16Array;
}

/** WAV files up to this long keep their audio (MAX_KEPT_MS: a prompt, not a long file). */
const MAX_KEPT_MS = 60_000;

/** A wav or wav16 file's audio at 8 kHz, when it is short enough to keep. */
function audioOf(ext: string, body: Buffer, ms: number): Int16Array | undefined {
  if ((ext !== 'wav' && ext !== 'wav16') || ms > MAX_KEPT_MS) return undefined;
  try {
    return resample(parseWav(body), 8000).samples;
  } catch {
    return undefined;
  }
}

/** bucket_file_set_expiration: s-maxage or max-age from Cache-Control, else Expires, else now. */
function expiry(headers: Headers, now: number): { expires: number; revalidate: boolean } {
  const control = headers.get('cache-control');
  if (control !== null) {
    const age = /s-maxage/.test(control) ? /s-maxage[^=]*=\s*(\d+)/.exec(control) : /max-age[^=]*=\s*(\d+)/.exec(control);
    return { expires: now + (age ? Number(age[1]) * 1000 : 0), revalidate: /no-cache|must-revalidate/.test(control) };
  }
  const expires = headers.get('expires');
  const at = expires === null ? NaN : Date.parse(expires);
  return { expires: Number.isFinite(at) ? at : now, revalidate: false };
}

const MAX_FETCH_BYTES = 50 * 1024 * 1024;

/**
 * What the simulator keeps, where Asterisk keeps every fetched file on disk until `media cache delete` (its astdb
 * entries survive a restart): at most MAX_ENTRIES copies and MAX_KEPT_AUDIO_BYTES of their audio, in memory. Past
 * either, the copy used least recently is forgotten and fetched again on its next use (docs/simulator.md).
 */
export const MAX_ENTRIES = 10_000;
export const MAX_KEPT_AUDIO_BYTES = 64 * 1024 * 1024;

/** The simulator's media cache: fetches, measures and keeps http(s) media as res_http_media_cache would. */
export class HttpMediaCache {
  /** In order of last use, the least recent first. */
  private readonly entries = new Map<string, Cached>();
  private audioBytes = 0;

  constructor(
    private readonly fetchTimeoutMs: number,
    private readonly bounds: { entries: number; audioBytes: number } = { entries: MAX_ENTRIES, audioBytes: MAX_KEPT_AUDIO_BYTES },
  ) {}

  /** Copies kept, and the bytes of audio they hold. */
  get size(): { entries: number; audioBytes: number } {
    return { entries: this.entries.size, audioBytes: this.audioBytes };
  }

  async length(url: string): Promise<MediaLength> {
    const now = Date.now();
    const cached = this.entries.get(url);
    if (cached) this.touch(url, cached);
    if (cached && now < cached.expires && !cached.revalidate) return { kind: 'finite', ms: cached.ms };
    if (cached?.etag !== undefined) {
      const still = await this.request(url, { method: 'HEAD', headers: { 'if-none-match': cached.etag } }).catch(() => undefined);
      if (still?.status === 304) {
        Object.assign(cached, expiry(still.headers, Date.now()));
        return { kind: 'finite', ms: cached.ms };
      }
    }
    this.forget(url);
    let res: Response;
    try {
      res = await this.request(url, { method: 'GET' });
    } catch (err) {
      return { kind: 'missing', why: `GET ${url} failed: ${(err as Error).message}` };
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      return { kind: 'missing', why: `Failed to retrieve URL '${url}': server returned ${res.status}` };
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_FETCH_BYTES) return { kind: 'missing', why: `${url} is larger than ${MAX_FETCH_BYTES} bytes` };
    const ext = cacheExtension(url, res.headers.get('content-type') ?? '');
    if (ext === undefined) return { kind: 'missing', why: `${url}: neither its Content-Type nor its path names a format Asterisk has` };
    const measured = measureFile(ext, body);
    if ('why' in measured) return { kind: 'missing', why: `${url} (as .${ext}): ${measured.why}` };
    const samples = audioOf(ext, body, measured.ms);
    this.keep(url, { ms: measured.ms, etag: res.headers.get('etag') ?? undefined, ...expiry(res.headers, Date.now()), ...(samples ? { samples } : {}) });
    return { kind: 'finite', ms: measured.ms };
  }

  /** Marks a copy as the most recently used. */
  private touch(url: string, cached: Cached): void {
    this.entries.delete(url);
    this.entries.set(url, cached);
  }

  private keep(url: string, cached: Cached): void {
    this.forget(url);
    this.entries.set(url, cached);
    this.audioBytes += cached.samples?.byteLength ?? 0;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.bounds.entries && this.audioBytes <= this.bounds.audioBytes) break;
      if (oldest === url) break;
      this.forget(oldest);
    }
  }

  private forget(url: string): void {
    const cached = this.entries.get(url);
    if (!cached) return;
    this.audioBytes -= cached.samples?.byteLength ?? 0;
    this.entries.delete(url);
  }

  /** The audio of the copy of `url` kept (a short WAV file), at 8 kHz. */
  samples(url: string): Int16Array | undefined {
    return this.entries.get(url)?.samples;
  }

  private request(url: string, init: { method: string; headers?: Record<string, string> }): Promise<Response> {
    return fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(this.fetchTimeoutMs) });
  }
}
