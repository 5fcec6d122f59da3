/**
 * FlowRouter.exceptionEntry (lib/routing/router.ts): which exception-handling flow a failed call goes to when
 * several release sets share a connection: the failing flow's own set first, else the first set that has one;
 * never the failing flow itself, never a set's flow that refuses calls.
 */
import assert from 'node:assert/strict';
import type { CallSession } from '../../lib/call/session';
import { FlowRouter, type FlowHandler, type VersionChooser } from '../../lib/routing/router';

/** A release set as the router sees it: every flow's version is v1; `exception` names its exception flow. */
function releaseSet(exception?: string, refuses: string[] = []): VersionChooser {
  return {
    pick: (flow) => (refuses.includes(flow) ? { refused: `${flow} has no released version` } : { version: 'v1' }),
    exceptionFlow: () => exception,
  };
}

const handler = (name: string, seen: string[]): FlowHandler => (_session: CallSession) => seen.push(name);

describe('routing: the exception-handling flow of a failed call', function () {
  it('is the failing flow\'s own release set\'s, else the first set\'s that has one', function () {
    const router = new FlowRouter();
    const seen: string[] = [];
    const a = releaseSet('errors-a');
    const b = releaseSet('errors-b');
    // Set A registers first.
    router.registerVersion('sales-a', 'v1', a, handler('sales-a', seen));
    router.registerVersion('errors-a', 'v1', a, handler('errors-a', seen));
    router.registerVersion('sales-b', 'v1', b, handler('sales-b', seen));
    router.registerVersion('errors-b', 'v1', b, handler('errors-b', seen));
    assert.equal(router.exceptionEntry('+1555', 'sales-b')?.flow, 'errors-b');
    assert.equal(router.exceptionEntry('+1555', 'sales-a')?.flow, 'errors-a');
    // A flow of no set, or none named: the first set's.
    assert.equal(router.exceptionEntry('+1555', 'nosuch')?.flow, 'errors-a');
    assert.equal(router.exceptionEntry('+1555')?.flow, 'errors-a');
    router.exceptionEntry('+1555', 'sales-b')?.handler({} as CallSession, []);
    assert.deepEqual(seen, ['errors-b']);
  });

  it('is never the failing flow itself, and skips a set whose exception flow refuses calls or is not deployed here', function () {
    const router = new FlowRouter();
    const a = releaseSet('errors-a', ['errors-a']);
    const b = releaseSet('errors-b');
    const c = releaseSet('elsewhere');
    router.registerVersion('errors-a', 'v1', a, handler('errors-a', []));
    router.registerVersion('sales-c', 'v1', c, handler('sales-c', []));
    router.registerVersion('errors-b', 'v1', b, handler('errors-b', []));
    assert.equal(router.exceptionEntry('+1555', 'errors-b'), undefined, 'a failure in the exception flow of the only other usable set: none');
    assert.equal(router.exceptionEntry('+1555', 'sales-c')?.flow, 'errors-b', 'c names a flow not deployed here; a refuses calls');
  });
});
