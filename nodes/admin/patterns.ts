/**
 * The admin API's live check of a collect node's pattern, for the editor:
 * the form asks the runtime, which compiles the pattern with the engine
 * that will run it (RE2, lib/ivr/pattern.ts), so the form refuses exactly
 * what the deploy refuses, with the same reason. Guarded by callflow.read
 * like the rest of the package's API.
 *
 * POST /callflow/patterns/check { "pattern": "..." } answers { ok: true }
 * or { ok: false, problem: "pattern: \"(a)\\1\" is not accepted: ..." }.
 */
import { MAX_PATTERN, PatternError, DigitPattern } from '../../lib/ivr/pattern';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();

/** What the deploy check of a collect node says of a pattern (nodes/collect/collect.ts), or undefined when accepted. */
export function patternFieldProblem(pattern: string): string | undefined {
  if (pattern === '') return undefined;
  try {
    DigitPattern.compile(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof PatternError) return `pattern: ${err.message}`;
    throw err;
  }
}

export function registerPatternApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.post('/callflow/patterns/check', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const body = req.body as { pattern?: unknown } | undefined;
    const pattern = body && typeof body === 'object' && !Array.isArray(body) ? body.pattern : undefined;
    if (typeof pattern !== 'string') {
      res.status(400).json({ message: `the body must be a JSON object { "pattern": "<text of at most ${MAX_PATTERN} characters>" }` });
      return;
    }
    const problem = patternFieldProblem(pattern.trim());
    res.json(problem ? { ok: false, problem } : { ok: true });
  });
}
