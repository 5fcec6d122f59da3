/**
 * Answering-machine detection in a campaign (settings.amd), in Node-RED against the simulated Asterisk: the answered
 * customer's audio is classified before the flow gets the call. "hangup": a machine is hung up and the attempt's
 * outcome is the failure cause `machine` (AMDCAUSE as why); the flow never sees it. "beep": the flow gets the call
 * once the machine's beep has ended, and its notice plays after it. A person goes to the flow with AMDSTATUS HUMAN.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { NumberBehaviour } from '../../lib/sim/script';
import type { StoredContact } from '../../lib/store/port';
import { campaignConfigs, firstStoredContact, seedRunningTask } from '../support/campaign-store';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { useTempDir } from '../support/temp-dir';

const NUMBER = '+8613900000003';

const person: NumberBehaviour = { outcome: 'answer', ringMs: 200, script: [{ waitFor: 'listened' }, { wait: 300 }, { say: 600 }, { wait: 30_000 }] };
const machine: NumberBehaviour = { outcome: 'answer', ringMs: 200, script: [{ waitFor: 'listened' }, { wait: 300 }, { machine: { greeting: 4, beep: true } }, { wait: 30_000 }] };

describe('answering-machine detection in a campaign (Node-RED, simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(20);
  const temp = useTempDir('callflow-amd-');

  function flows(storeFile: string, amd: string, amdParameters?: object): object[] {
    const z = 'amd-tab';
    return [
      { id: z, type: 'tab', label: 'amd' },
      ...campaignConfigs(simulator().url, storeFile, {
        name: 'amd',
        maxResponseSec: 20,
        policy: { mode: 'global', rule: { byCause: true, maxDays: 1, maxPerDay: 1, intervalSec: 1, causes: [{ cause: 'machine', retries: 0, intervalSec: 60 }] }, types: [], nonRetry: [] },
        amd,
        ...(amdParameters ? { amdParameters } : {}),
      }),
      { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', wires: [['flow', 'notice'], [], ['finished']] },
      { id: 'flow', type: 'helper', z },
      { id: 'notice', type: 'callflow-play', z, prompts: ['sound:demo-thanks'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['bye']] },
      { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', onError: 'hangup', wires: [] },
      { id: 'finished', type: 'helper', z },
    ];
  }

  async function load(amd: string, amdParameters?: object): Promise<string> {
    const storeFile = path.join(temp.path, 'campaign.db');
    await seedRunningTask(storeFile, { id: 'task', name: 'amd' }, [{ customerId: 'c1', number: NUMBER }]);
    await helper.load(NODES, flows(storeFile, amd, amdParameters), CREDS);
    return storeFile;
  }

  async function storedContact(storeFile: string): Promise<StoredContact> {
    await helper.unload();
    return firstStoredContact(storeFile);
  }

  it('hangup: a machine is hung up before the flow, the attempt fails with cause machine and AMDCAUSE as why', async function () {
    simulator().setNumber(NUMBER, machine);
    const flowGot: unknown[] = [];
    const storeFile = await load('hangup');
    node('flow').on('input', (m: unknown) => flowGot.push(m));
    await nextMessage(node('finished'), 30_000);
    const contact = await storedContact(storeFile);
    assert.deepEqual(flowGot, [], 'the flow never had the call');
    assert.equal(contact.attempts.length, 1);
    assert.equal(contact.attempts[0]?.outcome, 'machine');
    assert.match(String(contact.attempts[0]?.why), /^(MAXWORDS-3-2|LONGGREETING-\d+-1500)$/);
  });

  it('hangup: a person goes to the flow with AMDSTATUS HUMAN and is answered', async function () {
    simulator().setNumber(NUMBER, person);
    const storeFile = await load('hangup');
    const msg = await nextMessage<{ call: { vars: Record<string, unknown> } }>(node('flow'), 30_000);
    assert.equal(msg.call.vars.AMDSTATUS, 'HUMAN');
    await nextMessage(node('finished'), 30_000);
    const contact = await storedContact(storeFile);
    assert.deepEqual(contact.attempts.map((a) => a.outcome), ['answered']);
  });

  it("the task's AMD() parameters decide: with a greeting of at most 300 ms, the person's 600 ms hello is a machine (LONGGREETING-...-300)", async function () {
    simulator().setNumber(NUMBER, person);
    const flowGot: unknown[] = [];
    const storeFile = await load('hangup', { initialSilence: 2500, greeting: 300, afterGreetingSilence: 800, totalAnalysisTime: 5000, minimumWordLength: 100, betweenWordsSilence: 50, maximumNumberOfWords: 2, silenceThreshold: 256, maximumWordLength: 5000 });
    node('flow').on('input', (m: unknown) => flowGot.push(m));
    await nextMessage(node('finished'), 30_000);
    const contact = await storedContact(storeFile);
    assert.deepEqual(flowGot, [], 'the flow never had the call');
    assert.equal(contact.attempts[0]?.outcome, 'machine');
    assert.match(String(contact.attempts[0]?.why), /^LONGGREETING-\d+-300$/);
  });

  it('beep: the flow gets a machine-answered call after its beep, and its notice plays then', async function () {
    simulator().setNumber(NUMBER, machine);
    await load('beep');
    const msg = await nextMessage<{ call: { id: string; vars: Record<string, unknown> } }>(node('flow'), 30_000);
    assert.equal(msg.call.vars.AMDSTATUS, 'MACHINE');
    const report = await simulator().call(msg.call.id).ended();
    assert.deepEqual(report.heard.map((h) => h.media), ['sound:demo-thanks']);
    await nextMessage(node('finished'), 30_000);
  });
});
