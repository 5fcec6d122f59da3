/**
 * The admin HTTP API of questionnaires (callflow-questions nodes):
 *   GET  callflow/questionnaires/:questions/answers?after=&limit=
 *        the stored answers, a page at a time (oldest first; `next` is the cursor of the next page)
 *   GET  callflow/questionnaires/:questions/answers.csv?mask=false
 *        the same as CSV, a row per answers document and a column per question, formula-safe, number answers
 *        masked unless mask=false (lib/questionnaire/answers-csv.ts), streamed a page of the store at a time
 *   GET  callflow/questionnaires/:questions/figures
 *        responses, completed, partial, and per question the answers' counts and the average of a rating or a number
 *   POST callflow/questionnaires/check
 *        a questionnaire's settings as the form holds them ({ questionnaire, store, questions }), checked as the node
 *        checks them at deploy (the schema, then ids, skip logic, loops): { ok: true } or { ok: false, problems }
 *   POST callflow/questionnaires/:questions/answers
 *        answers an agent entered ({ callId?, campaignId?, customerId?, attempt?, complete?, answers: [{ question,
 *        answer }] }), checked as a caller's keys are, stored with who entered them; 201 with the stored document.
 *        With campaignId: the campaign must be deployed (404), its questionnaire setting "manual and IVR" naming this
 *        node (409 otherwise), customerId and attempt given (400) and that attempt stored (404)
 * Guarded by callflow.read / callflow.write. A node that is not deployed is 404; one that is invalid, or keeps no
 * answers (no store), 409; bad input 400 with the problems; a store that cannot be reached 503.
 */
import { questionnaireProblems, type Questionnaire } from '../../lib/questionnaire/definition';
import { answersCsv } from '../../lib/questionnaire/answers-csv';
import { manualRefusal } from '../../lib/questionnaire/campaign-link';
import { manualAnswers } from '../../lib/questionnaire/manual';
import { saveAnswers } from '../../lib/questionnaire/run';
import { summarize } from '../../lib/questionnaire/summary';
import { ValidationError } from '../../lib/schemas/validator';
import type { StoreConnection } from '../../lib/store/connection';
import type { Store } from '../../lib/store/port';
import type { QuestionsConfigNode } from '../questions/config';
import { findCampaign } from '../deployed/campaigns';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';
import { sendCsv } from './csv-download';

const registered = new WeakSet<object>();

/** How long a request waits for a store that is reconnecting. */
const STORE_WAIT_MS = 5000;

function failed(res: ResponseLike, err: unknown): void {
  if (err instanceof ValidationError) res.status(400).json({ message: 'the answers are not valid', problems: err.problems });
  else res.status((err as { kind?: string }).kind === 'invalid' ? 400 : 503).json({ message: (err as Error).message });
}

export function registerQuestionnairesApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  /** The questions node the path names, with its questionnaire and store; else answers the error and returns undefined. */
  function found(req: RequestLike, res: ResponseLike, id: string): { node: QuestionsConfigNode; questionnaire: Questionnaire; store: StoreConnection } | undefined {
    const node = RED.nodes.getNode(id) as QuestionsConfigNode | null;
    if (!node || node.type !== 'callflow-questions') {
      res.status(404).json({ message: 'no such questionnaire (callflow-questions node) is deployed' });
      return undefined;
    }
    if (!node.questionnaire) {
      res.status(409).json({ message: 'the questionnaire is invalid', problems: node.problems });
      return undefined;
    }
    if (!node.store) {
      res.status(409).json({ message: 'this questionnaire keeps no answers: choose a store in the node' });
      return undefined;
    }
    return { node, questionnaire: node.questionnaire, store: node.store };
  }

  const pages = (s: Store, questionnaire: Questionnaire) => (after: string | undefined, limit: number) => s.pageAnswers(questionnaire.id, { limit, ...(after === undefined ? {} : { after }) });

  RED.httpAdmin.post('/callflow/questionnaires/check', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const problems = questionnaireProblems(req.body);
    res.json(problems.length > 0 ? { ok: false, problems } : { ok: true });
  });

  RED.httpAdmin.get('/callflow/questionnaires/:questions/answers', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const q = found(req, res, req.params.questions ?? '');
    if (!q) return;
    const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) {
      res.status(400).json({ message: 'limit: a whole number from 1 to 1000' });
      return;
    }
    q.store
      .available(STORE_WAIT_MS)
      .then((s) => s.pageAnswers(q.questionnaire.id, { ...(req.query.after === undefined ? {} : { after: req.query.after }), ...(limit === undefined ? {} : { limit }) }))
      .then((page) => res.json(page), (err: unknown) => failed(res, err));
  });

  RED.httpAdmin.get('/callflow/questionnaires/:questions/answers.csv', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const q = found(req, res, req.params.questions ?? '');
    if (!q) return;
    const mask = req.query.mask !== 'false';
    const filename = `answers-${q.questionnaire.id.replace(/[^A-Za-z0-9_.-]+/g, '-')}.csv`;
    sendCsv(res, async () => answersCsv(q.questionnaire, pages(await q.store.available(STORE_WAIT_MS), q.questionnaire), { mask }), filename).catch((err: unknown) => {
      // The answer had begun: cut it, so that a client does not take a part for the whole export.
      RED.log.warn(`callflow: the answers export of ${q.questionnaire.id} stopped: ${(err as Error).message}`);
      res.destroy();
    });
  });

  RED.httpAdmin.get('/callflow/questionnaires/:questions/figures', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const q = found(req, res, req.params.questions ?? '');
    if (!q) return;
    q.store
      .available(STORE_WAIT_MS)
      .then((s) => summarize(q.questionnaire, pages(s, q.questionnaire)))
      .then((figures) => res.json(figures), (err: unknown) => failed(res, err));
  });

  RED.httpAdmin.post('/callflow/questionnaires/:questions/answers', RED.auth.needsPermission('callflow.write'), (req: RequestLike, res: ResponseLike) => {
    const q = found(req, res, req.params.questions ?? '');
    if (!q) return;
    let doc;
    try {
      doc = manualAnswers(q.questionnaire, req.body, req.user?.username || 'editor', Date.now());
    } catch (err) {
      failed(res, err);
      return;
    }
    const stored = doc;
    // Answers for a campaign's attempt: the campaign must take answers by hand for this questionnaire, and the attempt must exist.
    const campaignId = stored.campaignId;
    let attemptChecked: Promise<boolean> = Promise.resolve(true);
    if (campaignId === undefined) {
      if (stored.attempt !== undefined) {
        res.status(400).json({ message: 'campaignId: answers for an attempt name its campaign', problems: ['campaignId: required with attempt'] });
        return;
      }
    } else {
      const c = findCampaign(campaignId);
      if (!c?.settings) {
        res.status(404).json({ message: `no deployed campaign ${JSON.stringify(campaignId)} (deploy it first); nothing was stored` });
        return;
      }
      const refused = manualRefusal(c.settings, q.node.id);
      if (refused) {
        res.status(409).json({ message: refused });
        return;
      }
      const customer = stored.customerId;
      const n = stored.attempt;
      if (customer === undefined || n === undefined) {
        res.status(400).json({ message: "answers for a campaign name the customer and the attempt (the agent's call)", problems: [`${customer === undefined ? 'customerId' : 'attempt'}: required with campaignId`] });
        return;
      }
      const name = JSON.stringify(c.settings.name);
      attemptChecked = c.store(STORE_WAIT_MS).then(async (s) => {
        const contact = await s.getContact(c.id, customer);
        if (contact?.attempts.some((a) => a.n === n)) return true;
        res.status(404).json({ message: `campaign ${name} has no attempt ${n} of customer ${JSON.stringify(customer)}; nothing was stored` });
        return false;
      });
    }
    attemptChecked
      .then(async (go) => {
        if (!go) return;
        const s = await q.store.available(STORE_WAIT_MS);
        await saveAnswers((d) => s.saveAnswers(d), stored);
        res.status(201).json(stored);
      })
      .catch((err: unknown) => failed(res, err));
  });
}
