/**
 * callflow-speech: says the say: prompts of the element nodes that name it (lib/speech), and hears callers for the
 * elements that listen (a Whisper-compatible API, pocketsphinx on this machine, or a Vosk server). The provider is
 * espeak-ng on this machine or an OpenAI-compatible API (the key in Node-RED's credentials); the audio is cached in a folder
 * and reaches Asterisk as a URL this Node-RED serves (GET <httpNodeRoot>callflow/speech/<id>.wav) or as a sound file
 * in a folder Asterisk reads. The editor lists espeak-ng's voices from GET /callflow/speech/voices.
 */
import os from 'node:os';
import path from 'node:path';
import { AudioCache } from '../../lib/speech/cache';
import { EspeakEngine, listEspeakVoices, type EspeakVoice } from '../../lib/speech/espeak';
import { OpenAiSpeech } from '../../lib/speech/openai';
import type { SpeechProvider } from '../../lib/speech/provider';
import type { Recogniser } from '../../lib/speech/recogniser';
import { PocketsphinxRecogniser } from '../../lib/speech/pocketsphinx';
import { VoskRecogniser } from '../../lib/speech/vosk';
import { WhisperRecogniser } from '../../lib/speech/whisper';
import { SPEECH_ROUTE, serveAudio } from '../../lib/speech/route';
import { Synthesiser, type Delivery } from '../../lib/speech/synthesiser';
import { speechConfig, type SpeechConfig } from '../../lib/schemas/speech';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, RequestLike, ResponseLike } from '../red/api';
import type { SpeechConfigNode } from './config';

/** The caches the route serves from, by speech node id (every deployed speech node with http delivery). */
const served = new Map<string, AudioCache>();
const routed = new WeakSet<object>();

/** Node-RED's own address for Asterisk on this machine: loopback and its port. */
function ownUrl(RED: NodeAPI): string {
  const address = (RED as unknown as { server?: { address(): unknown } }).server?.address();
  const bound = address && typeof address === 'object' ? (address as { port?: unknown }) : {};
  const port = typeof bound.port === 'number' ? bound.port : Number(RED.settings.uiPort ?? 1880);
  const scheme = (RED.settings as { https?: unknown }).https ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${port}`;
}

function nodeRoot(RED: NodeAPI): string {
  const setting = (RED.settings as { httpNodeRoot?: unknown }).httpNodeRoot;
  const root = typeof setting === 'string' ? setting : '/';
  return root.endsWith('/') ? root : `${root}/`;
}

function provider(config: SpeechConfig, apiKey: string): SpeechProvider {
  const timeoutMs = config.timeoutSec * 1000;
  if (config.provider === 'openai') return new OpenAiSpeech({ baseUrl: config.baseUrl, model: config.model, voice: config.voice || 'alloy', apiKey, timeoutMs, concurrency: config.concurrency });
  return new EspeakEngine({ timeoutMs, concurrency: config.concurrency });
}

function recogniser(config: SpeechConfig, apiKey: string): Recogniser | undefined {
  const limits = { timeoutMs: config.timeoutSec * 1000, maxAudioMs: config.sttMaxSec * 1000, concurrency: config.concurrency };
  if (config.recognizer === 'pocketsphinx') return new PocketsphinxRecogniser(limits);
  if (config.recognizer === 'vosk') return new VoskRecogniser({ url: config.voskUrl, apiKey, ...limits });
  if (config.recognizer !== 'whisper') return undefined;
  return new WhisperRecogniser({
    baseUrl: config.sttBaseUrl,
    model: config.sttModel,
    apiKey,
    format: config.sttFormat,
    ...limits,
  });
}

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'speech');
  let voices: Promise<EspeakVoice[]> | undefined;
  RED.httpAdmin.get('/callflow/speech/voices', RED.auth.needsPermission('callflow.read'), (_req: RequestLike, res: ResponseLike) => {
    voices ??= listEspeakVoices();
    void voices.then((list) => res.json({ local: list }));
  });

  function SpeechNode(this: SpeechConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as { -readonly [K in keyof SpeechConfigNode]: SpeechConfigNode[K] };
    node.problems = [];
    node.speaker = undefined;
    node.synthesiser = undefined;
    node.recogniser = undefined;
    const check = speechConfig.checkForm(def);
    const credentials = (this as unknown as { credentials?: { apiKey?: unknown; sttApiKey?: unknown } }).credentials;
    if (!check.ok) node.problems = check.problems;
    else if (check.value.delivery === 'http' && !RED.httpNode) node.problems.push(t('callflow-speech.errors.no-http'));
    if (!check.ok || node.problems.length > 0) {
      node.error(t('callflow-speech.errors.invalid', { problems: node.problems.join('; ') }));
      return;
    }
    const config = check.value;
    // Node-RED's own default user directory when the settings name none.
    const userDir = RED.settings.userDir ?? path.join(os.homedir(), '.node-red');
    const dir = config.directory ? path.resolve(userDir, config.directory) : path.join(userDir, 'callflow-speech', node.id.replace(/[^A-Za-z0-9_-]/g, '_'));
    const cache = new AudioCache(dir, config.cacheMB * 1024 * 1024);
    let delivery: Delivery;
    if (config.delivery === 'shared') delivery = { kind: 'shared', soundPrefix: config.soundPrefix };
    else {
      // The server may not listen yet when the node starts: the address is read at the first synthesis.
      delivery = { kind: 'http', urlPrefix: '' };
      served.set(node.id, cache);
      const http = RED.httpNode;
      if (http && !routed.has(http)) {
        routed.add(http);
        http.get(`/${SPEECH_ROUTE}:file`, (req, res) => {
          serveAudio(served.values(), String(req.params.file ?? ''), req, res).catch(() => {
            if (!res.headersSent) res.statusCode = 500;
            res.end();
          });
        });
      }
    }
    let synthesiser: Synthesiser;
    let listener: Recogniser | undefined;
    try {
      synthesiser = new Synthesiser({ provider: provider(config, typeof credentials?.apiKey === 'string' ? credentials.apiKey : ''), cache, rate: config.rate, delivery, voice: config.voice, language: config.language || 'en' });
      listener = recogniser(config, typeof credentials?.sttApiKey === 'string' ? credentials.sttApiKey : '');
    } catch (err) {
      node.problems.push((err as Error).message);
      node.error(t('callflow-speech.errors.invalid', { problems: node.problems.join('; ') }));
      return;
    }
    const base = (): string => `${(config.publicUrl || ownUrl(RED)).replace(/\/+$/, '')}${nodeRoot(RED)}${SPEECH_ROUTE}`;
    node.synthesiser = synthesiser;
    node.recogniser = listener;
    node.speaker = {
      media: (text, language, signal) => {
        if (delivery.kind === 'http' && delivery.urlPrefix === '') delivery.urlPrefix = base();
        return synthesiser.media(text, { language, signal });
      },
      samples: (text, language, rate, signal) => synthesiser.samples(text, rate, { language, signal }),
    };
    cache.onWriteError = (err) => node.warn(t('callflow-speech.errors.cache-write', { message: err.message }));
    cache.open().catch((err: unknown) => node.error(t('callflow-speech.errors.cache', { dir, message: (err as Error).message })));
    node.on('close', (_removed: boolean, done: () => void) => {
      if (served.get(node.id) === cache) served.delete(node.id);
      // Syntheses under way are cancelled (a provider may take its whole deadline); replies given to Asterisk before
      // their file was written have their files finished first (a write takes ms).
      synthesiser.close();
      void cache.idle().finally(done);
    });
  }
  RED.nodes.registerType('callflow-speech', SpeechNode as unknown as (this: Node, def: NodeDef) => void, { credentials: { apiKey: { type: 'password' }, sttApiKey: { type: 'password' } } });
};
