/** The check the HTTP IVR tests share: `run` throws a CommandSetError with this rule, this place and this message. */
import assert from 'node:assert/strict';
import { CommandSetError, type Rule } from '../../lib/http-ivr/commands';

export function assertRefused(run: () => unknown, rule: Rule, path: string, message: string | RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof CommandSetError, String(err));
    assert.equal(err.rule, rule, err.message);
    assert.equal(err.path, path, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}
