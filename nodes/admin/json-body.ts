/**
 * The request bodies of the admin API's JSON routes: checked by the route's schema, and the answer to an error no
 * route knows better: 400 with the schema's problems for a body that does not fit, 500 with the message otherwise.
 */
import type { Validator } from '../../lib/schemas/validator';
import type { RequestLike, ResponseLike } from '../red/api';

/** The request's JSON body (none: `{}`), as the validator takes it; throws a ValidationError naming the problems. */
export function bodyOf<T>(validator: Validator<T>, req: RequestLike): T {
  const body = req.body === undefined || req.body === null || req.body === '' ? {} : req.body;
  return validator.assert(body, validator.name);
}

/** 400 with the problems for a ValidationError, else 500 with the message. */
export function sendUnexpected(res: ResponseLike, err: unknown): void {
  const e = err as Error & { problems?: string[] };
  if (e.name === 'ValidationError') {
    res.status(400).json({ message: e.message, problems: e.problems ?? [] });
    return;
  }
  res.status(500).json({ message: e.message });
}
