/**
 * Sound files on disk as Asterisk indexes them (main/media_index.c): every
 * file under a language directory whose extension a format module registers
 * is a sound, its id the path below the language directory without the
 * extension ("digits/1"), its format the name of the format that module
 * stores (formats/format_wav.c stores .wav as "slin"); every .txt file there is
 * a description file ("id: text" lines, ';' comments, lines without ':'
 * continue the previous text). Lengths come from the files: a WAV file's
 * data chunk over its byte rate, a raw format's size over its byte rate.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Extension -> [format name as ARI reports it, bytes per second when the file is raw audio]. */
const EXTENSIONS: Record<string, [string, number | undefined]> = {
  // formats/format_wav.c: .wav is 8 kHz signed linear, .wav16 16 kHz; both are RIFF files.
  wav: ['slin', undefined],
  wav16: ['slin16', undefined],
  // formats/format_sln.c
  sln: ['slin', 16000],
  slin: ['slin', 16000],
  raw: ['slin', 16000],
  sln16: ['slin16', 32000],
  // formats/format_pcm.c
  pcm: ['ulaw', 8000],
  ulaw: ['ulaw', 8000],
  ul: ['ulaw', 8000],
  mu: ['ulaw', 8000],
  ulw: ['ulaw', 8000],
  alaw: ['alaw', 8000],
  al: ['alaw', 8000],
  alw: ['alaw', 8000],
  g722: ['g722', 8000],
  // formats/format_gsm.c: 33-byte frames of 20 ms
  gsm: ['gsm', 1650],
  // formats/format_g729.c: 10-byte frames of 10 ms
  g729: ['g729', 1000],
};

export interface SoundFile {
  /** The id a sound: URI names, e.g. "digits/1". */
  id: string;
  /** The format name ARI lists for it ("slin" for a .wav file). */
  format: string;
  durationMs: number;
}

export interface SoundDirectory {
  files: SoundFile[];
  /** Descriptions read from the directory's .txt files (ARI's Sound.text). */
  texts: Map<string, string>;
  /** Files that look like audio but could not be measured, with why. */
  skipped: { file: string; why: string }[];
}

/** Where a WAV file's samples are, from its RIFF chunks (not assuming a 44-byte header). */
export function wavInfo(body: Buffer): { byteRate: number; dataBytes: number; truncated: boolean } | undefined {
  if (body.length < 12 || body.toString('ascii', 0, 4) !== 'RIFF' || body.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let byteRate: number | undefined;
  while (offset + 8 <= body.length) {
    const id = body.toString('ascii', offset, offset + 4);
    const size = body.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (size < 16 || offset + 8 + 16 > body.length) return undefined;
      byteRate = body.readUInt32LE(offset + 8 + 8);
    } else if (id === 'data') {
      if (!byteRate) return undefined;
      const available = body.length - offset - 8;
      return { byteRate, dataBytes: Math.min(size, available), truncated: size > available };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** Length in ms of a sound file's audio, from its extension and contents; undefined when it cannot be told. */
export function soundFileLength(ext: string, body: Buffer): number | undefined {
  const known = EXTENSIONS[ext];
  if (!known) return undefined;
  const [, rate] = known;
  if (rate === undefined) {
    const info = wavInfo(body);
    return info ? Math.round((info.dataBytes / info.byteRate) * 1000) : undefined;
  }
  return Math.round((body.length / rate) * 1000);
}

/** The format name ARI lists for a file extension, or undefined when no format module registers it. */
export function formatForExtension(ext: string): string | undefined {
  return EXTENSIONS[ext]?.[0];
}

/** Parses a description file as main/media_index.c process_description_file does. */
export function parseDescriptions(text: string, into = new Map<string, string>()): Map<string, string> {
  let current: string | undefined;
  let description = '';
  const flush = (): void => {
    if (current !== undefined && description !== '') into.set(current, description);
  };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the end of the last line, not an empty line
  for (const raw of lines) {
    if (raw.startsWith(';')) continue;
    const line = raw.replace(/[\s]+$/, '');
    const colon = line.indexOf(':');
    if (colon < 0) {
      if (current !== undefined) description += `\n${line}`;
      continue;
    }
    flush();
    current = line.slice(0, colon);
    description = line.slice(colon + 1).replace(/^[ \t]+/, '');
  }
  flush();
  return into;
}

const MAX_DEPTH = 8;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Indexes a language directory of sound files (e.g. /var/lib/asterisk/sounds/en). */
export async function readSoundDirectory(dir: string): Promise<SoundDirectory> {
  const result: SoundDirectory = { files: [], texts: new Map(), skipped: [] };
  const top = await stat(dir);
  if (!top.isDirectory()) throw new Error(`${dir} is not a directory`);
  const walk = async (sub: string, depth: number): Promise<void> => {
    const here = path.join(dir, sub);
    const names = (await readdir(here)).sort();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const rel = sub ? `${sub}/${name}` : name;
      const full = path.join(here, name);
      const info = await stat(full).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) {
        if (depth < MAX_DEPTH) await walk(rel, depth + 1);
        continue;
      }
      if (!info.isFile()) continue;
      const dot = rel.lastIndexOf('.');
      if (dot <= rel.lastIndexOf('/') + 1) continue;
      const ext = rel.slice(dot + 1);
      const id = rel.slice(0, dot);
      if (ext === 'txt') {
        if (info.size <= MAX_FILE_BYTES) parseDescriptions(await readFile(full, 'utf8'), result.texts);
        continue;
      }
      const format = formatForExtension(ext);
      if (!format) continue;
      if (info.size > MAX_FILE_BYTES) {
        result.skipped.push({ file: rel, why: `larger than ${MAX_FILE_BYTES} bytes` });
        continue;
      }
      const durationMs = soundFileLength(ext, await readFile(full));
      if (durationMs === undefined) result.skipped.push({ file: rel, why: 'not a WAV file with a fmt and a data chunk' });
      else result.files.push({ id, format, durationMs });
    }
  };
  await walk('', 0);
  return result;
}
