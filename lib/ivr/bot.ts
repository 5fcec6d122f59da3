/**
 * A robot conversation on a call: say the greeting, then turn by turn listen (lib/ivr/hear.ts through the element's
 * speech input, barge-in over what is being said), send the text to the bot endpoint (lib/speech/bot.ts) and say its
 * reply (a say: prompt through the speech node), until the bot ends the call, asks for a transfer, or the turn limit
 * is reached. The call hanging up throws as any wait does. The transcript is bounded: at most two lines per turn, each
 * at most MAX_REPLY_CHARS (recognised text is bounded alike).
 */
import { abortReason } from '../ari/errors';
import type { Telephony } from '../ari/port';
import type { CallSession } from '../call/session';
import type { BotEndpoint } from '../speech/bot';
import { answer } from './answer';
import { listen, type SpeechInput } from './collect';
import { KeyReader } from './keys';
import { promptLanguage } from './play';
import type { Speaker } from './say';

export interface TranscriptLine {
  role: 'caller' | 'bot';
  text: string;
}

export interface ConverseRequest {
  endpoint: BotEndpoint;
  speech: SpeechInput;
  speaker: Speaker;
  /** Said first ('' : the caller speaks first). */
  greeting: string;
  maxTurns: number;
  language: string;
}

export type ConverseResult =
  | { outcome: 'ended'; turns: number; transcript: TranscriptLine[] }
  | { outcome: 'transfer'; turns: number; transcript: TranscriptLine[]; queue: string; data: Record<string, string | number | boolean> }
  | { outcome: 'turn-limit'; turns: number; transcript: TranscriptLine[] };

/** Text as a say: prompt: braces written twice, so a reply's braces are said, never read as variables. */
export function sayPrompt(text: string): string {
  return `say:${text.replace(/[{}]/g, (b) => b + b)}`;
}

export async function converse(telephony: Telephony, session: CallSession, req: ConverseRequest, signal: AbortSignal): Promise<ConverseResult> {
  const keys = new KeyReader(telephony, session);
  const transcript: TranscriptLine[] = [];
  try {
    await answer(telephony, session, signal);
    const language = promptLanguage(session, req.language);
    const say = async (text: string): Promise<void> => {
      if (text !== '') await keys.prompt([sayPrompt(text)], language, false, signal, req.speaker);
    };
    let saying = req.greeting;
    for (let turn = 1; turn <= req.maxTurns; turn++) {
      const listening = listen(req.speech, keys, signal);
      let heard;
      try {
        if (saying !== '') await keys.prompt([sayPrompt(saying)], language, true, signal, req.speaker);
        listening.arm();
        heard = await listening.heard;
      } finally {
        await listening.stop();
        keys.clear();
      }
      if (heard.outcome === 'hangup') throw signal.aborted ? abortReason(signal) : new Error('listening stopped');
      const text = heard.outcome === 'recognised' ? heard.text : '';
      const history = transcript.slice();
      transcript.push({ role: 'caller', text });
      const reply = await req.endpoint.turn({ call: session.id, turn, text, history, signal });
      transcript.push({ role: 'bot', text: reply.reply });
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
  }
}
