/**
 * The admin API of outbound campaigns, for the editor: the tasks and their
 * state, the dialer's buttons (start, suspend, resume, stop, delete) and
 * templates, and the live check of the editor's form. Guarded by
 * callflow.read / callflow.write like the rest of the package's API
 * (RED.auth.needsPermission follows adminAuth).
 */
import { checkCallbackUrl } from '../../lib/campaign/callback';
import { checkCallbackSecrets, readCallbackSecrets, redactUrlSecrets, splitUrlSecrets, urlSecrets } from '../../lib/campaign/callback-secrets';
import { RuleError, StateError, isOperation } from '../../lib/campaign/states';
import { fromTemplate, toTemplate } from '../../lib/campaign/template';
import { RESULT_CODE, campaignSchema, checkCampaign, outsideBusinessResult } from '../../lib/schemas/campaign';
import { taskTypeOf } from '../../lib/schemas/campaign-answered';
import { ValidationError, fromForm, shownValue } from '../../lib/schemas/validator';
import { findCampaign, listCampaigns } from '../deployed/campaigns';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();

function fail(res: ResponseLike, status: number, message: string, problems?: string[]): void {
  res.status(status).json(problems ? { message, problems } : { message });
}

function who(req: RequestLike): string {
  return req.user?.username ?? 'editor';
}

/**
 * The problems a campaign node with these properties (or the editor form's
 * values) would log at deploy: the schema's and the cross-field rules'
 * (checkCampaign), and the callback URL refused by its allowlist, in the
 * words of nodes/campaign/campaign.ts. The callback URL is checked even when
 * other fields have problems (the form shows them all at once), unless the
 * schema already finds the URL or the allowlist malformed.
 */
export function campaignFormProblems(values: Record<string, unknown>, credentials: Record<string, unknown> = {}): string[] {
  const check = checkCampaign(values);
  const problems = check.ok ? [] : [...check.problems];
  const read: Record<string, unknown> = check.ok ? { ...check.value } : fromForm(campaignSchema, values);
  const url = read.callbackUrl;
  const allowlist = read.callbackAllowlist;
  const malformed = problems.some((p) => /^callback(Url|Allowlist)\b/.test(p));
  if (typeof url === 'string' && url !== '' && !malformed && Array.isArray(allowlist) && allowlist.every((a) => typeof a === 'string')) {
    // As at deploy: the URL is checked without the secrets it may still hold.
    const refused = checkCallbackUrl(splitUrlSecrets(url).url, allowlist);
    if (refused) problems.push(`callbackUrl: ${refused}`);
  }
  problems.push(...checkCallbackSecrets(readCallbackSecrets(credentials)));
  // A problem may quote the URL: its secrets are masked, as in the log.
  return problems.map(redactUrlSecrets);
}

/**
 * What the form should say about a callback URL that holds a secret: the
 * parts, by name, for the warning on the field, and the URL and secrets to
 * move into the credential fields (from the values the form itself sent),
 * or undefined.
 */
export function secretInUrl(values: Record<string, unknown>): { parts: string[]; move: { callbackUrl: string; callbackAuthorization?: string; callbackQuery?: string } } | undefined {
  const url = values.callbackUrl;
  if (typeof url !== 'string') return undefined;
  const parts = urlSecrets(url.trim());
  if (parts.length === 0) return undefined;
  const split = splitUrlSecrets(url.trim());
  const move: { callbackUrl: string; callbackAuthorization?: string; callbackQuery?: string } = { callbackUrl: split.url };
  if (split.secrets.authorization) move.callbackAuthorization = split.secrets.authorization;
  if (split.secrets.query) move.callbackQuery = split.secrets.query;
  return { parts, move };
}

export function registerCampaignApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.get('/callflow/campaigns', RED.auth.needsPermission('callflow.read'), (_req: RequestLike, res: ResponseLike) => {
    Promise.all(
      listCampaigns().map(async (c) => {
        const base = { id: c.id, name: c.settings?.name ?? '', taskType: taskTypeOf(c.settings) };
        try {
          return { ...base, ...(await c.dialer(1000)).status() };
        } catch (err) {
          return { ...base, error: (err as Error).message };
        }
      }),
    ).then(
      (list) => res.json(list),
      (err: unknown) => fail(res, 500, (err as Error).message),
    );
  });

  RED.httpAdmin.post('/callflow/campaigns/template/check', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    try {
      res.json({ settings: fromTemplate(req.body) });
    } catch (err) {
      if (err instanceof ValidationError) fail(res, 422, err.message, err.problems);
      else fail(res, 400, (err as Error).message);
    }
  });

  // The editor's form, checked as the runtime checks the node at deploy (registered before /:id/:operation).
  RED.httpAdmin.post('/callflow/campaigns/check', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      fail(res, 400, `the body must be a JSON object of the campaign's settings (the form's values), got ${Array.isArray(body) ? 'an array' : body === null || body === undefined ? 'nothing' : typeof body}`);
      return;
    }
    try {
      // The credential fields the form has (typed this time; a saved one never leaves the runtime) come apart from the settings.
      const { credentials, ...values } = body as Record<string, unknown>;
      const given = credentials && typeof credentials === 'object' && !Array.isArray(credentials) ? (credentials as Record<string, unknown>) : {};
      const problems = campaignFormProblems(values, given);
      const secret = secretInUrl(values);
      res.json({ ...(problems.length > 0 ? { ok: false, problems } : { ok: true }), ...(secret ? { secretInUrl: secret } : {}) });
    } catch (err) {
      fail(res, 500, (err as Error).message);
    }
  });

  // Remarking an attempt's business result after the call (the specification's task result page, "Business Result"):
  // the attempt is a customer's attempt number; the task's associated business result applies as in callflow-result.
  // Registered before /:id/:operation.
  RED.httpAdmin.post('/callflow/campaigns/:id/attempts/:customer/:n/result', RED.auth.needsPermission('callflow.write'), (req: RequestLike, res: ResponseLike) => {
    const c = findCampaign(req.params.id ?? '');
    if (!c) {
      fail(res, 404, `no deployed campaign ${shownValue(req.params.id ?? '')} (deploy it first)`);
      return;
    }
    const customer = req.params.customer ?? '';
    const n = Number(req.params.n);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      fail(res, 400, `the attempt number must be a whole number from 1 to 1000, got ${shownValue(req.params.n ?? '')}`);
      return;
    }
    const body = (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    const result = body.result;
    const subResult = body.subResult ?? '';
    if (typeof result !== 'string' || !RESULT_CODE.test(result)) {
      fail(res, 400, `result: a result code (1 to 64 letters, digits, _ . : or -), got ${shownValue(result)}`);
      return;
    }
    if (typeof subResult !== 'string' || (subResult !== '' && !RESULT_CODE.test(subResult))) {
      fail(res, 400, `subResult: a sub-result code (1 to 64 letters, digits, _ . : or -) or empty, got ${shownValue(subResult)}`);
      return;
    }
    const allowed = outsideBusinessResult(c.settings, result);
    if (allowed !== undefined) {
      fail(res, 422, `result: ${shownValue(result)} is not the associated business result of campaign ${shownValue(c.settings?.name ?? c.id)}: only ${shownValue(allowed)} (with any of its sub-results) may be set; the attempt is unchanged`);
      return;
    }
    c.store(1000)
      .then(async (store) => {
        const contact = await store.getContact(c.id, customer);
        const attempt = contact?.attempts.find((a) => a.n === n);
        if (!contact || !attempt) {
          fail(res, 404, `campaign ${shownValue(c.settings?.name ?? c.id)} has no attempt ${n} of customer ${shownValue(customer)}`);
          return;
        }
        if (attempt.outcome !== 'answered') {
          fail(res, 409, `attempt ${n} of customer ${shownValue(customer)} was not answered (${attempt.outcome}): only an answered call has a business result to remark`);
          return;
        }
        const by = req.user?.username || 'anonymous';
        const written = await store.remarkResult(c.id, customer, n, { result, ...(subResult ? { subResult } : {}), by, at: Date.now() });
        if (!written) fail(res, 404, `campaign ${shownValue(c.settings?.name ?? c.id)} has no attempt ${n} of customer ${shownValue(customer)}`);
        else res.json({ customerId: customer, attempt: written });
      })
      .catch((err: unknown) => fail(res, 503, (err as Error).message));
  });

  // A template carries no callback secret (lib/campaign/template.ts), but tells how a task is run: those who may change tasks may export them.
  RED.httpAdmin.get('/callflow/campaigns/:id/template', RED.auth.needsPermission('callflow.write'), (req: RequestLike, res: ResponseLike) => {
    const c = findCampaign(req.params.id ?? '');
    if (!c?.settings) {
      fail(res, 404, `no deployed campaign ${shownValue(req.params.id ?? '')} with valid settings (deploy it first)`);
      return;
    }
    res.setHeader('content-disposition', `attachment; filename="${c.settings.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.template.json"`);
    res.json(toTemplate(c.settings));
  });

  RED.httpAdmin.post('/callflow/campaigns/:id/:operation', RED.auth.needsPermission('callflow.write'), (req: RequestLike, res: ResponseLike) => {
    const operation = req.params.operation ?? '';
    if (!isOperation(operation) || operation === 'edit' || operation === 'load') {
      fail(res, 404, `unknown operation ${shownValue(operation)}: start, suspend, resume, stop or delete`);
      return;
    }
    const c = findCampaign(req.params.id ?? '');
    if (!c) {
      fail(res, 404, `no deployed campaign ${shownValue(req.params.id ?? '')} (deploy it first)`);
      return;
    }
    c.dialer()
      .then((d) => d.operate(operation, who(req)).then((state) => res.json({ state, status: d.status() })))
      .catch((err: unknown) => {
        if (err instanceof StateError || err instanceof RuleError) fail(res, 409, err.message);
        else fail(res, 503, (err as Error).message);
      });
  });
}
