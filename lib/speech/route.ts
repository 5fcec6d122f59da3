/**
 * Serving cached audio to Asterisk over HTTP: GET (and HEAD) of
 * `<id>.wav` or `<id>.wav16`. The name is matched against a strict pattern
 * and looked up by id in the caches (never joined to a path from the
 * request); there is no listing. The answer carries what
 * res_http_media_cache reads (res/res_http_media_cache.c): a Content-Type it
 * maps to the right format (`audio/wav` for 8 kHz, the exact
 * `audio/x-wav;codec=pcm;bit=16;rate=16000` for 16 kHz: formats/format_wav.c's
 * mime types), Cache-Control max-age so it plays its copy without asking again
 * while it is fresh, and an ETag it revalidates with If-None-Match (answered
 * 304) when that runs out. The audio under an id never changes.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AudioCache, AudioExtension } from './cache';

/** The path under Node-RED's httpNodeRoot where the audio is served. */
export const SPEECH_ROUTE = 'callflow/speech/';

const NAME = /^([0-9a-f]{32})\.(wav|wav16)$/;

/** How long Asterisk may play its own copy before asking again (a day). */
export const MAX_AGE_SECONDS = 86400;

export const CONTENT_TYPES: Record<AudioExtension, string> = {
  wav: 'audio/wav',
  wav16: 'audio/x-wav;codec=pcm;bit=16;rate=16000',
};

/**
 * Answers a request for `name` from the caches: 200 with the file, 304, or 404. A file no cache knows is looked for
 * in their folders (AudioCache.adopt: a reply the previous instance of a redeployed speech node wrote late).
 */
export async function serveAudio(caches: Iterable<AudioCache>, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const m = NAME.exec(name);
  let found: { path: string; bytes: number; id: string; extension: AudioExtension } | undefined;
  let fresh: Buffer | undefined;
  if (m && (req.method === 'GET' || req.method === 'HEAD')) {
    const all = [...caches];
    for (const cache of all) {
      found = cache.find(m[1] as string, m[2] as AudioExtension);
      if (found) {
        fresh = cache.freshBody(found.id);
        break;
      }
    }
    for (const cache of found ? [] : all) {
      found = await cache.adopt(m[1] as string, m[2] as AudioExtension);
      if (found) break;
    }
  }
  if (!found || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end('Not found\n');
    return;
  }
  const etag = `"${found.id}"`;
  const headers = {
    'content-type': CONTENT_TYPES[found.extension],
    'cache-control': `max-age=${MAX_AGE_SECONDS}`,
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'content-length': String(found.bytes) });
    res.end();
    return;
  }
  if (fresh) {
    // Made lately: from memory, not the pool (cache.ts).
    res.writeHead(200, { ...headers, 'content-length': String(fresh.length) });
    res.end(fresh);
    return;
  }
  const stream = fs.createReadStream(found.path);
  stream.once('open', () => {
    res.writeHead(200, { ...headers, 'content-length': String(found.bytes) });
    stream.pipe(res);
  });
  stream.once('error', () => {
    // Evicted between the look-up and the read.
    if (!res.headersSent) res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end();
  });
}
