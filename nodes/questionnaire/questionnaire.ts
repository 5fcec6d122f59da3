/**
 * callflow-questionnaire: asks the caller the questions of a callflow-questions config node (lib/questionnaire),
 * following its skip logic. Output 1: completed; output 2: partial (a question left without a valid answer after
 * its retries); msg.payload holds the answers. The answers are stored (in the questions node's store) when the
 * questionnaire ends, partial ones too when the caller hangs up, with the campaign, customer and attempt of a
 * campaign call (msg.call.campaign).
 */
import type { CallSession } from '../../lib/call/session';
import { otherThanCampaigns } from '../../lib/questionnaire/campaign-link';
import { answersDocument, runQuestionnaire, saveAnswers, type GivenAnswer, type QuestionnaireOutcome } from '../../lib/questionnaire/run';
import { questionnaireNodeConfig } from '../../lib/schemas/questionnaire';
import type { QuestionnaireAnswers } from '../../lib/schemas/store';
import { findCampaign } from '../deployed/campaigns';
import { questionnaireResults } from '../../lib/flow-test/results';
import { defineElement } from '../element/element';
import type { QuestionsConfigNode } from '../questions/config';
import type { NodeAPI } from '../red/api';
import { sayProblems, speakerFor } from '../speech/config';

const OUTPUT = { completed: 0, partial: 1 } as const;

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-questionnaire',
    element: 'questionnaire',
    dir: __dirname,
    validator: questionnaireNodeConfig,
    outputs: () => 2,
    results: () => questionnaireResults(),
    async run({ config, t, engine, session, signal, node }) {
      const questions = RED.nodes.getNode(config.questions) as QuestionsConfigNode | null;
      if (!questions) throw new Error(t('callflow-questionnaire.errors.no-questions', { id: config.questions }));
      const questionnaire = questions.questionnaire;
      if (!questionnaire) throw new Error(t('callflow-questionnaire.errors.invalid-questions', { problems: questions.problems.join('; ') }));
      const unsaid = sayProblems(config.speech, Object.fromEntries(questionnaire.questions.map((q) => [`question ${q.id}`, [...q.prompts, ...q.invalidPrompts, ...q.timeoutPrompts]])));
      if (unsaid.length > 0) throw new Error(unsaid.join('; '));
      const store = questions.store;
      // On a campaign's call, a questionnaire the campaign does not name is asked and stored all the same (with the
      // campaign, customer and attempt: nothing the customer says is lost), with a warning: the campaign's figures leave it out.
      const link = session.campaign;
      const campaign = link ? findCampaign(link.id) : undefined;
      if (link && campaign?.settings) {
        const named = otherThanCampaigns(campaign.settings, config.questions);
        if (named !== undefined) {
          // Each questionnaire by its id and its callflow-questions node.
          const asked = `${questionnaire.id} (callflow-questions ${config.questions})`;
          const namedId = named ? (RED.nodes.getNode(named) as QuestionsConfigNode | null)?.questionnaire?.id : undefined;
          node.warn(
            named
              ? t('callflow-questionnaire.errors.other-questionnaire', { call: session.id, campaign: campaign.settings.name, asked, named: `${namedId ?? '-'} (callflow-questions ${named})` })
              : t('callflow-questionnaire.errors.campaign-none', { call: session.id, campaign: campaign.settings.name, asked }),
          );
        }
      }
      const keep = (outcome: QuestionnaireOutcome): void => {
        if (!store) return;
        const doc = answersDocument(outcome, session, Date.now(), session.flow);
        const save = (d: QuestionnaireAnswers): Promise<void> => store.ready().then((s) => s.saveAnswers(d));
        // The call goes on meanwhile; answers the store refuses or cannot take are in the log, whole.
        saveAnswers(save, doc).catch((err: unknown) => node.warn(t('callflow-questionnaire.errors.not-stored', { call: session.id, message: (err as Error).message, answers: JSON.stringify(doc) })));
      };
      const progress: { answers: GivenAnswer[]; asking?: string; recording?: string } = { answers: [] };
      let outcome: QuestionnaireOutcome;
      try {
        outcome = await runQuestionnaire(engine.telephony, session, questionnaire, { language: config.language, now: Date.now, ...(config.speech ? { speaker: speakerFor(RED, config.speech) } : {}) }, signal, progress);
      } catch (err) {
        keep(interrupted(questionnaire.id, progress, session));
        throw err;
      }
      keep(outcome);
      return { output: OUTPUT[outcome.outcome], outcome: outcome.outcome, payload: outcome };
    },
  });
};

/** What a questionnaire cut short (the caller hung up, an element error) leaves: the answers given, and a spoken answer being recorded. */
function interrupted(id: string, progress: { answers: GivenAnswer[]; asking?: string; recording?: string }, session: CallSession): QuestionnaireOutcome {
  const answers = [...progress.answers];
  if (progress.asking && progress.recording) answers.push({ question: progress.asking, answer: progress.recording, at: Date.now() });
  const reason = session.signal.aborted ? 'hangup' : 'error';
  return { outcome: 'partial', questionnaire: id, answers, ...(progress.asking ? { stopped: { question: progress.asking, reason } } : {}) };
}
