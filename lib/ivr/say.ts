/**
 * say: prompts in an element's prompt list: each is turned into the media URI
 * of its audio (lib/speech: synthesised, cached, served) by the element's
 * speaker, with the call's variables put in as text (lib/speech/say.ts), just
 * before the list plays; the other prompts pass as they are. The syntheses of
 * one list run side by side. A say: prompt whose text comes out empty (only
 * variables, none set) says nothing.
 */
import type { CallSession } from '../call/session';
import { isSay, renderSay } from '../speech/say';
import { MediaError } from './media-error';

/** What turns text into a media URI Asterisk can play (a callflow-speech node's synthesiser). */
export interface Speaker {
  media(text: string, language: string, signal: AbortSignal): Promise<string>;
  /**
   * The audio of `text` as samples at `rate` (16-bit mono), for audio this process sends itself (the robot's voice
   * streamed on its media path); absent: the speaker gives media URIs only.
   */
  samples?(text: string, language: string, rate: 8000 | 16000, signal: AbortSignal): Promise<Int16Array>;
}

export interface PromptMedia {
  /** The media to play, in order. */
  media: string[];
  /** Those of them the speaker made (served by this process). */
  own: string[];
}

/** Whether a list has say: prompts. */
export function hasSay(prompts: readonly string[]): boolean {
  return prompts.some(isSay);
}

/** The media a prompt list plays: say: prompts synthesised, the rest unchanged. */
export async function promptMedia(prompts: readonly string[], session: CallSession, language: string, speaker: Speaker | undefined, signal: AbortSignal): Promise<PromptMedia> {
  if (!hasSay(prompts)) return { media: [...prompts], own: [] };
  if (!speaker) throw new MediaError('a say: prompt needs a speech node: choose one in the element\'s Speech setting');
  const own: string[] = [];
  const media = await Promise.all(
    prompts.map(async (prompt) => {
      if (!isSay(prompt)) return prompt;
      const text = renderSay(prompt, session.vars);
      if (text === '') return undefined;
      try {
        const uri = await speaker.media(text, language, signal);
        own.push(uri);
        return uri;
      } catch (err) {
        if (signal.aborted) throw err;
        throw sayError(prompt, err as Error);
      }
    }),
  );
  return { media: media.filter((m): m is string => m !== undefined), own };
}

/** A say: prompt that could not be said. The prompt as written, not the text: a variable's value (a customer's name) stays out of statuses and logs. */
export function sayError(prompt: string, err: Error): MediaError {
  const shown = prompt.length > 60 ? `${prompt.slice(0, 60)}...` : prompt;
  return new MediaError(`could not say ${JSON.stringify(shown)}: ${err.message}`);
}
