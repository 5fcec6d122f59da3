/**
 * The exception-handling flow (docs/releases.md, Type): a call whose flow
 * failed continues in its release set's exception-handling flow, with why
 * in msg.call.exception, instead of being hung up. Over the wire: a real
 * Node-RED, the simulated Asterisk, the admin API to give the flow its Type.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CallException } from '../../lib/call/handle';
import { CREDS, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, hasText, helper, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

type ExceptionMsg = CallMsg & { call: CallMsg['call'] & { exception?: CallException } };

describe('the exception-handling flow', function () {
  useNodeRed();
  const simulator = useSimulator(10);
  const temp = useTempDir('callflow-exception-');

  const configs = (): object[] => [
    { id: 'a1', type: 'callflow-asterisk', name: '', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60 },
    { id: 's1', type: 'callflow-store', backend: 'embedded', file: path.join(temp.path, 'callflow.db'), durability: 'normal' },
    { id: 'r1', type: 'callflow-releases', name: 'versions', store: 's1' },
  ];

  /** Version v1 of `flow` on its own tab: entry, a prompt, hang up, and a spy on the entry's output. */
  const flowTab = (flow: string, release: '' | 'official', prompt: string): object[] => [
    { id: `t-${flow}`, type: 'tab', label: `${flow} v1` },
    { id: `e-${flow}`, type: 'callflow-entry', z: `t-${flow}`, connection: 'a1', flow, releases: 'r1', version: 'v1', release, grayShare: 0, grayCallers: '', wires: [[`p-${flow}`, `spy-${flow}`]] },
    { id: `p-${flow}`, type: 'callflow-play', z: `t-${flow}`, prompts: [prompt], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [[`h-${flow}`]] },
    { id: `h-${flow}`, type: 'callflow-hangup', z: `t-${flow}`, reason: 'normal', wires: [] },
    { id: `spy-${flow}`, type: 'helper', z: `t-${flow}` },
  ];

  /** Deploys "sales" (official; `sales` replaces its tab) and "errors", makes "errors" the exception-handling flow and releases it. */
  async function withExceptionFlow(sales: object[] = flowTab('sales', 'official', 'sound:hello-world')): Promise<void> {
    await helper.load(NODES, [...configs(), ...sales, ...flowTab('errors', '', 'sound:sorry-youre-having-problems')], CREDS);
    if ((sales[1] as { releases?: string }).releases) await waitForStatus(node('e-sales'), hasText('v1: Official Release'));
    await waitForStatus(node('e-errors'), hasText('v1: New'));
    const v = '/callflow/releases/r1/flows/errors/versions/v1';
    const editor = (req: ReturnType<ReturnType<typeof helper.request>['post']>) => req.set('X-Callflow-Editor', 'editor-a');
    await editor(helper.request().put(`${v}/attributes`)).send({ type: 'exception' }).expect(200);
    // New -> Editing -> Unreleased (the life cycle's way to a release), then Release.
    await editor(helper.request().post(`${v}/edit`)).expect(200);
    await editor(helper.request().post(`${v}/done`)).expect(200);
    await editor(helper.request().post(`${v}/release`)).send({ target: 'official' }).expect(200);
    await waitForStatus(node('e-errors'), hasText('v1: Official Release'));
  }

  it('takes a call whose flow is not deployed, with cause no-flow and the reason in msg.call.exception', async function () {
    await withExceptionFlow();
    const got = nextMessage<ExceptionMsg>(node('spy-errors'), 15_000);
    const call = await simulator().placeCall({ from: '+15550100', to: '100', args: ['nosuch'] }).ended();
    const msg = await got;
    const exception = msg.call.exception;
    assert.ok(exception, 'msg.call.exception');
    assert.equal(exception.cause, 'no-flow');
    assert.match(exception.message, /the dialplan asked for flow "nosuch", which is not deployed/);
    assert.equal(exception.flow, 'nosuch', 'the flow the call was sent to');
    assert.equal(msg.call.flow, 'errors');
    assert.equal((msg.call as { version?: string }).version, 'v1');
    assert.deepEqual(call.heard.map((h) => h.media), ['sound:sorry-youre-having-problems'], 'the caller hears the exception flow, not silence and a hangup');
    assert.match(loggedText(), /goes on to the exception-handling flow errors v1 \(no-flow: the dialplan asked for flow ..?nosuch/);
  });

  it('is not "the only flow": a call that names no flow goes to the one other flow', async function () {
    await withExceptionFlow();
    const got = nextMessage<ExceptionMsg>(node('spy-sales'), 15_000);
    const call = await simulator().placeCall({ from: '+15550100', to: '100' }).ended();
    const msg = await got;
    assert.equal(msg.call.flow, 'sales');
    assert.equal(msg.call.exception, undefined);
    assert.deepEqual(call.heard.map((h) => h.media), ['sound:hello-world']);
  });

  /**
   * "sales" whose play node fails (a sound Asterisk does not have) or whose output is not wired: a flow without
   * versions (its entry names no release set), since a release's checks would refuse both faults. The exception
   * flow of the connection's release set takes its failed calls all the same.
   */
  const failingSales = (play: Record<string, unknown>): object[] =>
    flowTab('sales', '', 'sound:hello-world').map((n) => {
      const id = (n as { id: string }).id;
      if (id === 'p-sales') return { ...n, ...play };
      if (id === 'e-sales') return { ...n, releases: '', version: '' };
      return n;
    });

  it('takes a call whose element failed with "on error: exception flow", with cause element-error and where it failed', async function () {
    await withExceptionFlow(failingSales({ prompts: ['sound:no-such-sound-anywhere'], onError: 'exception' }));
    const got = nextMessage<ExceptionMsg>(node('spy-errors'), 15_000);
    const call = await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] }).ended();
    const exception = (await got).call.exception;
    assert.ok(exception, 'msg.call.exception');
    assert.equal(exception.cause, 'element-error');
    assert.equal(exception.node, 'p-sales');
    assert.deepEqual([exception.flow, exception.version], ['sales', undefined]);
    assert.match(exception.message, /^callflow-play p-sales: Asterisk could not play sound:no-such-sound-anywhere/);
    // The failed playback is in the report (its outcome says it failed), then the exception flow's prompt.
    assert.deepEqual(call.heard.map((h) => h.media), ['sound:no-such-sound-anywhere', 'sound:sorry-youre-having-problems']);
  });

  it('takes a call that left through an output nothing is wired to, with cause unwired-output', async function () {
    await withExceptionFlow(failingSales({ wires: [[]] }));
    const got = nextMessage<ExceptionMsg>(node('spy-errors'), 15_000);
    const call = await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] }).ended();
    const exception = (await got).call.exception;
    assert.ok(exception, 'msg.call.exception');
    assert.equal(exception.cause, 'unwired-output');
    assert.equal(exception.node, 'p-sales');
    assert.match(exception.message, /^output 1 \(done\) of callflow-play p-sales is not wired$/);
    assert.deepEqual(call.heard.map((h) => h.media), ['sound:hello-world', 'sound:sorry-youre-having-problems']);
  });

  it('an output marked as ending the call still ends it, exception flow or not', async function () {
    await withExceptionFlow(failingSales({ wires: [[]], ends: [1] }));
    const call = await simulator().placeCall({ from: '+15550100', to: '100', args: ['sales'] }).ended();
    assert.deepEqual(call.heard.map((h) => h.media), ['sound:hello-world']);
    assert.doesNotMatch(loggedText(), /goes on to the exception-handling flow/);
  });

  it('without an exception-handling flow, a call whose flow is missing is hung up as before', async function () {
    await helper.load(NODES, [...configs(), ...flowTab('sales', 'official', 'sound:hello-world'), ...flowTab('errors', 'official', 'sound:sorry-youre-having-problems')], CREDS);
    await waitForStatus(node('e-errors'), hasText('v1: Official Release'));
    const call = await simulator().placeCall({ from: '+15550100', to: '100', args: ['nosuch'] }).ended();
    assert.deepEqual(call.heard, []);
    assert.match(loggedText(), /dropped: the dialplan asked for flow ..?nosuch/);
  });
});
