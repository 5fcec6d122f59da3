/**
 * callflow-questions: a questionnaire's questions (single choice by key, rating, number, yes/no, spoken answer),
 * their prompts, retries and skip logic, and the store that keeps the answers. Checked by its JSON schema and for
 * repeated ids, skip logic to questions that do not exist, and loops when the node starts; a callflow-questionnaire
 * node that names this node refuses calls (with the problems) while they are invalid.
 */
import { buildQuestionnaire } from '../../lib/questionnaire/definition';
import { questionnaireConfig } from '../../lib/schemas/questionnaire';
import { ValidationError } from '../../lib/schemas/validator';
import { registerQuestionnairesApi } from '../admin/questionnaires';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef } from '../red/api';
import type { StoreConfigNode } from '../store/config';
import type { QuestionsConfigNode } from './config';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'questions');
  registerQuestionnairesApi(RED);
  function QuestionsNode(this: QuestionsConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as { -readonly [K in keyof QuestionsConfigNode]: QuestionsConfigNode[K] };
    node.questionnaire = undefined;
    node.problems = [];
    node.store = undefined;
    const check = questionnaireConfig.checkForm(def);
    if (!check.ok) node.problems = check.problems;
    else {
      if (check.value.store) {
        const storeNode = RED.nodes.getNode(check.value.store) as StoreConfigNode | null;
        if (storeNode?.connection) node.store = storeNode.connection;
        else node.problems.push(t('callflow-questions.errors.no-store'));
      }
      try {
        node.questionnaire = buildQuestionnaire(check.value);
      } catch (err) {
        node.problems.push(...(err instanceof ValidationError ? err.problems : [(err as Error).message]));
      }
    }
    if (node.problems.length > 0) {
      node.questionnaire = undefined;
      node.error(t('callflow-questions.errors.invalid', { problems: node.problems.join('; ') }));
    }
  }
  RED.nodes.registerType('callflow-questions', QuestionsNode as unknown as (this: Node, def: NodeDef) => void);
};
