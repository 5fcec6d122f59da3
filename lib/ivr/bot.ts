/**
 * A robot conversation on a call: say the greeting, then turn by turn listen (lib/ivr/hear.ts through the element's
 * speech input, barge-in over what is being said), send the text to the bot endpoint (lib/speech/bot.ts) and say its
 * reply (a say: prompt through the speech node), until the bot ends the call, asks for a transfer, the turn limit is
 * reached, or the caller has been silent `maxSilences` listenings in a row (a silence short of that goes to the bot as
 * no text, `silence` set, so it can ask again in its own words). Its listenings share one media path when the speech
 * input keeps one (`keptPath`: lib/media/listen.ts KeptPath), closed when the conversation ends. With `voicePath`
 * `stream` that path is bridged with the call and the greeting and replies go out on it from this process (the
 * speaker's samples, KeptPath.speak; a key or the caller's speech stops them: KeyReader.streamed), not as Asterisk
 * playbacks of a synthesised file. The call hanging up
 * throws as any wait does. The transcript is bounded: at most two lines per turn, each at most MAX_REPLY_CHARS
 * (recognised text is bounded alike), each with its time. It is kept in the call variable botTranscript as it grows
 * (after the lines of an earlier robot on the call, at most TRANSCRIPT_MAX_LINES in all), so a call the customer hangs
 * up mid-conversation keeps what was said in its call-end report and call record. With `record`, the call is recorded
 * from the robot's first turn to its hangup (lib/call/recording.ts, `call-<id>`), unless it is recorded already (a
 * campaign's Record calls, an earlier robot): the start is awaited before the greeting, so the recording has it; a
 * recording that cannot start leaves the call going on, `record.warn` told why.
 */
import { abortReason } from '../ari/errors';
import type { Telephony } from '../ari/port';
import { isoTime } from '../call/iso-time';
import { callRecordingName, recordSession } from '../call/recording';
import { TRANSCRIPT_MAX_LINES, transcriptOf, type TranscriptEntry } from '../call/report';
import type { CallSession } from '../call/session';
import type { BotEndpoint } from '../speech/bot';
import { turnStage } from '../turn-stages';
import { answer } from './answer';
import { listen, type SpeechInput } from './collect';
import { KeyReader } from './keys';
import { promptLanguage } from './play';
import { sayError, type Speaker } from './say';

export interface TranscriptLine {
  role: 'caller' | 'bot';
  text: string;
  /** When it was said (the caller: when the recognition ended; the bot: when its answer came), ISO 8601. */
  at: string;
}

export interface ConverseRequest {
  endpoint: BotEndpoint;
  speech: SpeechInput;
  speaker: Speaker;
  /** Said first ('' : the caller speaks first). */
  greeting: string;
  maxTurns: number;
  /** The caller silent this many listenings in a row ends the conversation, the bot not asked (0 or none: no limit). */
  maxSilences?: number;
  language: string;
  /**
   * Record the call (unless it is already): where a recording that cannot start is told, and how long the greeting
   * waits for it to start (RECORDING_START_WAIT_MS unless given).
   */
  record?: { warn: (message: string) => void; startWaitMs?: number };
  /**
   * How the robot's voice reaches the caller: an Asterisk playback of the synthesised file (default), or streamed on
   * the conversation's media path (bridged with the call).
   */
  voicePath?: 'playback' | 'stream';
}

export type ConverseResult =
  | { outcome: 'ended'; turns: number; transcript: TranscriptLine[] }
  | { outcome: 'transfer'; turns: number; transcript: TranscriptLine[]; queue: string; data: Record<string, string | number | boolean> }
  | { outcome: 'turn-limit'; turns: number; transcript: TranscriptLine[] }
  | { outcome: 'silence'; turns: number; transcript: TranscriptLine[] };

/** Text as a say: prompt: braces written twice, so a reply's braces are said, never read as variables. */
export function sayPrompt(text: string): string {
  return `say:${text.replace(/[{}]/g, (b) => b + b)}`;
}

/** How long the robot's greeting waits for the call's recording to start (ms): Asterisk starts one in a few ms. */
export const RECORDING_START_WAIT_MS = 5000;

export async function converse(telephony: Telephony, session: CallSession, req: ConverseRequest, signal: AbortSignal): Promise<ConverseResult> {
  const keys = new KeyReader(telephony, session);
  // One media path for all the turns' listenings, closed when the conversation ends (lib/media/listen.ts KeptPath).
  const path = req.speech.keptPath?.(signal, req.voicePath === 'stream');
  const transcript: TranscriptLine[] = [];
  // The call's transcript: an earlier robot's lines, then this one's, as they are said.
  const kept: TranscriptEntry[] = transcriptOf(session.vars.botTranscript) ?? [];
  session.vars.botTranscript = kept;
  const add = (role: TranscriptLine['role'], text: string): void => {
    const line = { role, text, at: isoTime(Date.now()) };
    transcript.push(line);
    if (kept.length < TRANSCRIPT_MAX_LINES) kept.push(line);
  };
  try {
    await answer(telephony, session, signal);
    if (req.record) {
      const waitMs = req.record.startWaitMs ?? RECORDING_START_WAIT_MS;
      const recording = recordSession(telephony, session, callRecordingName(session.channelId), req.record.warn);
      // Asterisk that made the snoop channel but never sent its StasisStart (a lost event) must not leave the caller
      // in silence: past the wait the robot greets the caller, and the recording keeps its chance to start.
      if ((await settledWithin(recording.started, signal, waitMs)) === 'late') {
        req.record.warn(`recording call ${session.channelId} had not started after ${waitMs} ms: the robot speaks without waiting for it, and the greeting may not be in it`);
      }
    }
    const language = promptLanguage(session, req.language);
    const voice = path?.speaks ? path : undefined;
    // Says `text`: an Asterisk playback of the synthesised file, or the samples streamed on the kept path. With
    // `listening`, once the caller is heard (the speech is made meanwhile).
    const speak = async (text: string, bargeIn: boolean, listening?: Promise<void>): Promise<void> => {
      if (text === '') return;
      if (!voice || !req.speaker.samples) return keys.prompt([sayPrompt(text)], language, bargeIn, signal, req.speaker, listening);
      const rate = voice.rate;
      const samples = await req.speaker.samples(text, language, rate, signal).catch((err: unknown) => {
        throw signal.aborted ? err : sayError(sayPrompt(text), err as Error);
      });
      turnStage('media-ready', session.channelId);
      await listening;
      turnStage('listening-ready', session.channelId);
      // 'play-asked' when the first frame is handed to the pacer (KeptPath.speak).
      await keys.streamed((stopped) => voice.speak(samples, rate, stopped), bargeIn);
      turnStage('voice-sent', session.channelId);
    };
    const say = (text: string): Promise<void> => speak(text, false);
    let saying = req.greeting;
    let silences = 0;
    for (let turn = 1; turn <= req.maxTurns; turn++) {
      const listening = listen(req.speech, keys, signal, path);
      let heard;
      try {
        // Said once the caller is heard: an answer given at once is not lost to a media path a busy machine opened late.
        await speak(saying, true, listening.ready);
        listening.arm();
        // The result as soon as it is known: the bot is asked while the listening gives its media path back (or, without
        // a kept path, closes it).
        heard = await listening.result;
      } catch (err) {
        await listening.stop();
        keys.clear();
        throw err;
      }
      keys.clear();
      // Given back (or closed) before the turn goes on, waited for beside the bot's request.
      const closed = listening.heard.then(
        () => undefined,
        () => undefined,
      );
      if (heard.outcome === 'hangup') {
        await closed;
        throw signal.aborted ? abortReason(signal) : new Error('listening stopped');
      }
      const silence = heard.outcome === 'no-speech';
      silences = silence ? silences + 1 : 0;
      const text = heard.outcome === 'recognised' ? heard.text : '';
      const history = transcript.map((l) => ({ role: l.role, text: l.text }));
      add('caller', text);
      if (req.maxSilences && silences >= req.maxSilences) {
        await closed;
        return { outcome: 'silence', turns: turn, transcript };
      }
      turnStage('bot-sent', session.channelId);
      let reply;
      try {
        reply = await req.endpoint.turn({ call: session.id, turn, text, ...(silence ? { silence } : {}), history, signal });
      } finally {
        await closed;
      }
      turnStage('bot-answered', session.channelId);
      add('bot', reply.reply);
      if (reply.action === 'end') {
        await say(reply.reply);
        return { outcome: 'ended', turns: turn, transcript };
      }
      if (reply.action === 'transfer') {
        await say(reply.reply);
        return { outcome: 'transfer', turns: turn, transcript, queue: reply.queue ?? '', data: reply.data };
      }
      saying = reply.reply;
    }
    await say(saying);
    return { outcome: 'turn-limit', turns: req.maxTurns, transcript };
  } finally {
    keys.close();
    await path?.close();
  }
}

/**
 * Waits for `p`, for `signal` (the call hanging up) or for `waitMs`, whichever comes first: the wait ends, what p
 * does goes on. Says which ended it.
 */
function settledWithin(p: Promise<unknown>, signal: AbortSignal, waitMs: number): Promise<'settled' | 'aborted' | 'late'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    const end = (how: 'settled' | 'aborted' | 'late'): void => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      resolve(how);
    };
    const onAbort = (): void => end('aborted');
    const timer = setTimeout(() => end('late'), waitMs);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => end('settled'));
  });
}
