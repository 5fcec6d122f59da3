/**
 * An intelligent robot task end to end, in Node-RED against the simulated Asterisk: the campaign (task type robot, skill
 * queue `sales`) dials a customer, the answered call leaves its dialer node for a callflow-bot (espeak-ng says the
 * greeting, a stand-in server on localhost is the recogniser and the bot); the bot asks for a transfer without naming
 * a queue, so the call goes to the task's skill queue, with the bot's data; the transcript is kept in the call's
 * record. espeak-ng missing: skipped, saying so (CI installs it).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { NumberBehaviour } from '../../lib/sim/script';
import { findEngine } from '../../nodes/deployed/engine';
import { useAppServer } from '../support/app-server';
import { campaignConfigs, seedRunningTask } from '../support/campaign-store';
import { robotNode, useSpeakingTests } from '../support/speech-http';
import { CREDS, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { nextCallRecord } from '../support/call-records';

const NUMBER = '+8613900000007';

describe('an intelligent robot campaign (Node-RED, simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(20);
  const app = useAppServer();
  const web = useSpeakingTests('callflow-robot-campaign-');
  it("the bot's transfer without a queue goes to the task's skill queue, with its data; the transcript is in the call record", async function () {
    const customer: NumberBehaviour = { outcome: 'answer', ringMs: 200, script: [{ waitFor: 'playback-end' }, { say: 700 }, { wait: 30_000 }] };
    simulator().setNumber(NUMBER, customer);
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"I would like to buy."}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: 'Connecting you to sales.', action: 'transfer', data: { interest: 'buy' } }));
    };
    const storeFile = path.join(web.dir(), 'campaign.db');
    await seedRunningTask(storeFile, { id: 'task', name: 'robot' }, [{ customerId: 'c1', number: NUMBER }]);
    const z = 'robot-tab';
    await helper.load(
      [...NODES, web.captureHttpNode] as never,
      [
        { id: z, type: 'tab', label: 'robot' },
        ...campaignConfigs(simulator().url, storeFile, { name: 'robot', maxResponseSec: 20, taskType: 'robot', skillQueue: 'sales' }, { recordStore: 'st1' }),
        { id: 'sp', type: 'callflow-speech', provider: 'local', publicUrl: web.publicUrl(), directory: path.join(web.dir(), 'speech'), recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'w', sttFormat: 'json', sttMaxSec: 20 },
        { id: 'dialer', type: 'callflow-dialer', z, x: 100, y: 100, campaign: 'task', wires: [['bot'], [], []] },
        { ...robotNode('bot', app.url('/bot'), { greeting: 'Hello, this is the robot.', maxTurns: 3 }), z, x: 300, y: 100, wires: [[], ['transfer'], [], ['error']] },
        { id: 'transfer', type: 'helper', z, x: 500, y: 100 },
        { id: 'error', type: 'helper', z, x: 500, y: 200 },
      ],
      CREDS,
    );
    const msg = await nextMessage<CallMsg & { payload: { queue: string; data: object } }>(node('transfer'), 30_000);
    assert.deepEqual(msg.payload, { outcome: 'transfer', queue: 'sales', data: { interest: 'buy' }, turns: 1 });
    assert.equal(msg.call.vars.botQueue, 'sales', "the task's skill queue, for a transfer node's {vars.botQueue}");
    assert.equal((msg.call as unknown as { campaign: { skillQueue: string } }).campaign.skillQueue, 'sales');
    const recorded = nextCallRecord('a1');
    simulator().call(msg.call.id).hangup();
    // The call's record keeps the conversation.
    const engine = findEngine('a1');
    const records = engine?.recordStore;
    assert.ok(records, 'the connection keeps call records');
    const kept = await records.available(5000);
    assert.equal((await recorded).session.id, msg.call.id);
    const page = await kept.pageCallRecords({ limit: 10 });
    const transcript = page.items.find((r) => r.id === msg.call.id)?.report.transcript as { role: string; text: string }[] | undefined;
    assert.ok(transcript, `the call record has the transcript: ${JSON.stringify(page.items)}`);
    assert.deepEqual(transcript.map(({ role, text }) => ({ role, text })), [
      { role: 'caller', text: 'I would like to buy.' },
      { role: 'bot', text: 'Connecting you to sales.' },
    ]);
  });
});
