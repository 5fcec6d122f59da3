/**
 * The stand-in providers of bench/speech, in a process of their own (as real ones would be: their work is not
 * counted as the plugin's): one local HTTP server answering as
 * - a Whisper-compatible recogniser (POST /v1/audio/transcriptions): a fixed sentence, after `--stt-ms`;
 * - an OpenAI-compatible chat bot (POST /v1/chat/completions): a reply numbered by a counter (so no two replies are
 *   the same text and none is a cache hit), after `--bot-ms`; from the `--turns`th user message on, a JSON object
 *   with the action "end";
 * - an OpenAI-compatible speech API (POST /v1/audio/speech): a fixed WAV (24 kHz, as OpenAI sends, `--reply-ms`
 *   long), after `--tts-ms`.
 * Each delay counts from when the request's body has been read; GET /timings tells, per path, how long each answer
 * took from then (the delay, and this process's own lateness). Prints "providers at http://127.0.0.1:<port>".
 *
 *   node dist/bench/speech-providers.js [--stt-ms 150] [--bot-ms 250] [--tts-ms 100] [--turns 4] [--reply-ms 1000]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeWav } from '../lib/speech/wav';
import { speechLike } from '../lib/sim/voice';
import { flag } from './support';

const number = (name: string, fallback: number): number => {
  const v = Number(flag(name) ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0, got ${flag(name)}`);
  return v;
};

const sttMs = number('--stt-ms', 150);
const botMs = number('--bot-ms', 250);
const ttsMs = number('--tts-ms', 100);
const turns = number('--turns', 4);
const replyMs = number('--reply-ms', 1000);

/** The one reply audio: speech-like sound (the simulator's voice at 8 kHz) spread to 24 kHz. */
function replyWav(): Buffer {
  const narrow = speechLike(replyMs, 19);
  const wide = new Int16Array(narrow.length * 3);
  for (let i = 0; i < wide.length; i++) wide[i] = narrow[Math.floor(i / 3)] ?? 0;
  return encodeWav({ rate: 24000, samples: wide });
}

const WAV = replyWav();
const TRANSCRIPT = JSON.stringify({ text: 'I would like to know when my order arrives.' });
let replies = 0;

function chatAnswer(body: Buffer): string {
  let userMessages = 0;
  try {
    const parsed = JSON.parse(body.toString()) as { messages?: { role?: string }[] };
    userMessages = (parsed.messages ?? []).filter((m) => m.role === 'user').length;
  } catch {
    // A request that is not JSON still gets an answer: the bench counts what the plugin sends, not this.
  }
  replies += 1;
  const reply = `Thank you. This is reply number ${replies}; your order arrives on Monday.`;
  const content = userMessages >= turns ? JSON.stringify({ reply: `Goodbye, reply number ${replies}.`, action: 'end' }) : reply;
  return JSON.stringify({ id: `c${replies}`, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
}

/** Per path, how long each answer took from the request's body having arrived to the answer sent (ms): GET /timings. */
const timings: Record<string, number[]> = {};

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/timings') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(timings));
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const bodyAt = performance.now();
    res.once('finish', () => (timings[req.url ?? ''] ??= []).push(performance.now() - bodyAt));
    const body = Buffer.concat(chunks);
    if (req.method === 'POST' && req.url === '/v1/audio/transcriptions') {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(TRANSCRIPT), sttMs);
    } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      const answer = chatAnswer(body);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(answer), botMs);
    } else if (req.method === 'POST' && req.url === '/v1/audio/speech') {
      setTimeout(() => res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': WAV.length }).end(WAV), ttsMs);
    } else {
      res.writeHead(404).end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`providers at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
