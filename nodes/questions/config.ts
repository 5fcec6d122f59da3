/** The shape of a callflow-questions config node as a callflow-questionnaire node sees it. */
import type { Questionnaire } from '../../lib/questionnaire/definition';
import type { StoreConnection } from '../../lib/store/connection';
import type { Node } from '../red/api';

export interface QuestionsConfigNode extends Node {
  /** The questions ready to ask, when they are valid. */
  readonly questionnaire: Questionnaire | undefined;
  /** What is wrong with them, otherwise. */
  readonly problems: string[];
  /** The store that keeps the answers, when one is chosen and deployed. */
  readonly store: StoreConnection | undefined;
}
