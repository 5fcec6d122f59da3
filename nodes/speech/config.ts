/** The shape of a callflow-speech config node as the element nodes see it, and how they find one. */
import type { CallSession } from '../../lib/call/session';
import type { SpeechInput, Spoken } from '../../lib/ivr/collect';
import { hear } from '../../lib/ivr/hear';
import { promptLanguage } from '../../lib/ivr/play';
import { hasSay, type Speaker } from '../../lib/ivr/say';
import type { Logger } from '../../lib/log';
import { KeptPath } from '../../lib/media/listen';
import { mediaSettingsFrom, type MediaTelephony } from '../../lib/media/path';
import type { SpeechEndParameters } from '../../lib/media/speech-end';
import type { InputMode } from '../../lib/schemas/elements';
import type { Recogniser } from '../../lib/speech/recogniser';
import type { Synthesiser } from '../../lib/speech/synthesiser';
import type { Node, NodeAPI } from '../red/api';

export interface SpeechConfigNode extends Node {
  /** Says text, when the node's settings are valid. */
  readonly speaker: Speaker | undefined;
  readonly synthesiser: Synthesiser | undefined;
  /** Recognises speech, when the node's settings are valid and name a recogniser. */
  readonly recogniser: Recogniser | undefined;
  /** What is wrong with the settings, otherwise. */
  readonly problems: string[];
}

/**
 * The speaker of the speech node `id` for an element ('' : none). A node that is not deployed, or whose settings are
 * invalid, gives a speaker that fails each say: prompt with that reason, so the element reports it where the user
 * sees it (status, error output, done(err)).
 */
export function speakerFor(RED: NodeAPI, id: string): Speaker | undefined {
  if (id === '') return undefined;
  const node = RED.nodes.getNode(id) as SpeechConfigNode | null;
  if (node?.speaker) return node.speaker;
  const why = node ? `its settings are invalid: ${node.problems.join('; ')}` : 'it is not deployed';
  const cannot = (): Promise<never> => Promise.reject(new Error(`the speech node ${id} cannot speak: ${why}`));
  return { media: cannot, samples: cannot };
}

/** The deploy check of an element's prompt lists: say: prompts need a speech node. */
export function sayProblems(speech: string, lists: Record<string, readonly string[]>): string[] {
  if (speech !== '') return [];
  return Object.entries(lists)
    .filter(([, prompts]) => hasSay(prompts))
    .map(([field]) => `${field}: say: prompts need a speech node (the Speech setting, a callflow-speech config node)`);
}

/**
 * The recogniser of the speech node `id` for an element. A node that is not deployed, is invalid or has no recogniser
 * gives one that fails each recognition with that reason, so the element reports it where the user sees it.
 */
export function recogniserFor(RED: NodeAPI, id: string): Recogniser {
  const node = id === '' ? null : (RED.nodes.getNode(id) as SpeechConfigNode | null);
  if (node?.recogniser) return node.recogniser;
  let why: string;
  if (id === '') why = 'speech input needs a speech node (the Speech setting, a callflow-speech config node)';
  else if (!node) why = `the speech node ${id} is not deployed`;
  else if (node.problems.length > 0) why = `the speech node ${id} cannot recognise speech: its settings are invalid: ${node.problems.join('; ')}`;
  else why = `the speech node ${id} has no recogniser (its Speech input setting is none)`;
  return { identity: 'none', recognise: () => Promise.reject(new Error(why)) };
}

/** What an element's settings say about listening to the caller (collect, menu, the robot). */
export interface ListeningSettings {
  /** The speech node (its recogniser). */
  speech: string;
  /** The element's language ('' for the call's). */
  language: string;
  speechMaxSec: number;
  endSilenceMs: number;
}

/**
 * The speech input of an element on one call (undefined: keys only). Everything is made after the keys-only check,
 * so an element that reads keys alone pays nothing for it on each call.
 */
export function speechInputFor(
  RED: NodeAPI,
  mode: InputMode,
  settings: ListeningSettings,
  engine: { telephony: MediaTelephony; log: Logger },
  session: CallSession,
  startTimeoutMs: number,
  phrases?: readonly string[],
  digits?: boolean,
): SpeechInput | undefined {
  if (mode === 'keys') return undefined;
  const recogniser = recogniserFor(RED, settings.speech);
  const media = mediaSettingsFrom(RED.settings.callflowMedia);
  const { telephony, log } = engine;
  const channelId = session.channelId;
  const language = promptLanguage(session, settings.language);
  const parameters: Partial<SpeechEndParameters> = { startTimeoutMs, maxSpeechMs: settings.speechMaxSec * 1000, endSilenceMs: settings.endSilenceMs };
  return {
    mode,
    hear: (onSpeechStart, armed, signal, onListening, onHeard, kept) => {
      if (!media.ok) return Promise.reject(new Error(media.error));
      return hear(telephony, channelId, { recogniser, media: media.settings, language, phrases, digits, parameters, armed, onSpeechStart, onListening, onHeard, signal, log, kept });
    },
    // Invalid media settings: nothing is kept, and each hear() fails saying why (above).
    keptPath: media.ok ? (callSignal, speaks) => new KeptPath(telephony, channelId, media.settings, callSignal, log, speaks) : undefined,
  };
}

/** The deploy check of an element's input: speech needs a speech node, and the media settings must be valid. */
export function inputProblems(RED: NodeAPI, speech: string, mode: InputMode): string[] {
  if (mode === 'keys') return [];
  if (speech === '') return [`input: ${mode} input needs a speech node (the Speech setting, a callflow-speech config node with a recogniser)`];
  const media = mediaSettingsFrom(RED.settings.callflowMedia);
  return media.ok ? [] : [media.error];
}

/** What was said, for the trace: the text (at most 80 characters) and the confidence. */
export function saidForTrace(spoken: Spoken): string {
  const text = spoken.text.length > 80 ? `${spoken.text.slice(0, 80)}...` : spoken.text;
  return `said ${JSON.stringify(text)}${spoken.confidence === null ? '' : ` (${spoken.confidence})`}`;
}
