/** The shape of a callflow-speech config node as the element nodes see it, and how they find one. */
import { hasSay, type Speaker } from '../../lib/ivr/say';
import type { Synthesiser } from '../../lib/speech/synthesiser';
import type { Node, NodeAPI } from '../red/api';

export interface SpeechConfigNode extends Node {
  /** Says text, when the node's settings are valid. */
  readonly speaker: Speaker | undefined;
  readonly synthesiser: Synthesiser | undefined;
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
  return {
    media: () => Promise.reject(new Error(`the speech node ${id} cannot speak: ${why}`)),
  };
}

/** The deploy check of an element's prompt lists: say: prompts need a speech node. */
export function sayProblems(speech: string, lists: Record<string, readonly string[]>): string[] {
  if (speech !== '') return [];
  return Object.entries(lists)
    .filter(([, prompts]) => hasSay(prompts))
    .map(([field]) => `${field}: say: prompts need a speech node (the Speech setting, a callflow-speech config node)`);
}
