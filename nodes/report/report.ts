/**
 * callflow-report: a campaign's figures and results. On any msg it sends
 * the task's figures (contacts finished and remaining, attempts by
 * outcome, results by code) and each customer's result; with msg.topic
 * "export" it sends every attempt as CSV text instead (cells that a
 * spreadsheet would run as a formula are escaped; numbers masked when the
 * form says so). The export holds personal data: see the help. When the
 * campaign has a questionnaire, the figures carry its per-question counts
 * and averages (msg.payload.questionnaire, from this campaign's answers),
 * and msg.topic "answers" sends those answers as CSV.
 */
import { attemptLines } from '../../lib/campaign/csv';
import { campaignReport } from '../../lib/campaign/report';
import { campaignQuestions } from '../../lib/questionnaire/campaign-link';
import { answersCsv } from '../../lib/questionnaire/answers-csv';
import type { Questionnaire } from '../../lib/questionnaire/definition';
import { summarize, type QuestionnaireFigures } from '../../lib/questionnaire/summary';
import type { QuestionnaireAnswers } from '../../lib/schemas/store';
import type { Page } from '../../lib/store/port';
import type { QuestionsConfigNode } from '../questions/config';
import { stageCampaign } from '../deployed/campaigns';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../red/api';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'report');

  function ReportNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    // Numbers are masked unless the form says otherwise (the export holds personal data).
    const mask = !(def.mask === false || def.mask === 'false');
    const customersLimit = Math.max(0, Math.min(100_000, Number(def.customers ?? 1000) || 0));
    const campaign = stageCampaign(RED, node, def, t('callflow-report.errors.no-campaign'));
    if (!campaign) return;
    const settings = campaign.settings;

    /** The campaign's questionnaire and a reader of its stored answers (this campaign's only), or undefined when it has none. */
    const campaignAnswers = async (): Promise<{ questionnaire: Questionnaire; page: (after: string | undefined, limit: number) => Promise<Page<QuestionnaireAnswers>> } | undefined> => {
      const id = campaignQuestions(settings);
      if (!id) return undefined;
      const questions = RED.nodes.getNode(id) as QuestionsConfigNode | null;
      if (!questions?.questionnaire || !questions.store) throw new Error(t('callflow-report.errors.questionnaire', { id, problems: questions?.problems.join('; ') || '-' }));
      const questionnaire = questions.questionnaire;
      const answers = await questions.store.available(5000);
      const page = async (after: string | undefined, limit: number): Promise<Page<QuestionnaireAnswers>> => {
        const read = await answers.pageAnswers(questionnaire.id, { limit, ...(after === undefined ? {} : { after }) });
        return { ...read, items: read.items.filter((doc) => doc.campaignId === campaign.id) };
      };
      return { questionnaire, page };
    };
    const questionnaireFigures = async (): Promise<QuestionnaireFigures | undefined> => {
      const answers = await campaignAnswers();
      return answers ? summarize(answers.questionnaire, answers.page) : undefined;
    };

    node.on('input', (msg: NodeMessage, send, done) => {
      const run = async (): Promise<void> => {
        const store = await campaign.store();
        if (msg.topic === 'answers') {
          // The answers of the campaign's questionnaire as CSV (formula-safe; number answers masked as the form says).
          const answers = await campaignAnswers();
          if (!answers) throw new Error(t('callflow-report.errors.no-questionnaire', { campaign: settings.name }));
          let text = '';
          let rows = -1;
          for await (const line of answersCsv(answers.questionnaire, answers.page, { mask })) {
            text += line;
            rows += 1;
          }
          msg.payload = text;
          msg.filename = `${settings.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}-answers.csv`;
          node.status({ fill: 'green', shape: 'dot', text: t('callflow-report.status.answers', { rows }) });
        } else if (msg.topic === 'export') {
          const lines: string[] = [];
          let after: string | undefined;
          let header = true;
          let rows = 0;
          do {
            const page = await store.pageAttempts(campaign.id, { limit: 1000, ...(after ? { after } : {}) });
            const pageLines = [...attemptLines(page.items, { mask })];
            lines.push(...(header ? pageLines : pageLines.slice(1)));
            header = false;
            rows += page.items.length;
            after = page.next;
            // Let other work run between pages of a large export.
            await new Promise<void>((r) => setImmediate(r));
          } while (after);
          msg.payload = lines.join('');
          msg.filename = `${settings.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}-attempts.csv`;
          node.status({ fill: 'green', shape: 'dot', text: t('callflow-report.status.exported', { rows }) });
        } else {
          const dialer = await campaign.dialer().catch(() => undefined);
          const report = await campaignReport(store, campaign.id, { customersLimit });
          const status = dialer?.status();
          const questionnaire = await questionnaireFigures();
          msg.payload = {
            campaign: settings.name,
            state: status?.state ?? 'unknown',
            ...report.figures,
            ...(status ? { counters: status.counters } : {}),
            customers: report.customers,
            ...(questionnaire ? { questionnaire } : {}),
          };
          node.status({ fill: 'green', shape: 'dot', text: t('callflow-report.status.figures', { finished: report.figures.finished, contacts: report.figures.contacts }) });
        }
        send(msg);
      };
      run().then(
        () => done(),
        (err: unknown) => {
          node.status({ fill: 'red', shape: 'ring', text: (err as Error).message });
          done(err as Error);
        },
      );
    });
  }

  RED.nodes.registerType('callflow-report', ReportNode);
};
