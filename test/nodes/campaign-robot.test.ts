/**
 * An intelligent robot task end to end, in Node-RED against the simulated Asterisk: the campaign (task type robot, skill
 * queue `sales`) dials a customer, the answered call leaves its dialer node for a callflow-bot (espeak-ng says the
 * greeting, a stand-in server on localhost is the recogniser and the bot); the bot asks for a transfer without naming
 * a queue, so the call goes to the task's skill queue, with the bot's data; the transcript is kept in the call's
 * record. espeak-ng missing: skipped, saying so (CI installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { rankOf } from '../../lib/campaign/order';
import type { NumberBehaviour } from '../../lib/sim/script';
import { EmbeddedStore } from '../../lib/store/embedded';
import { findEngine } from '../../nodes/deployed/engine';
import { useAppServer } from '../support/app-server';
import { CREDS, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';

const hasEspeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
const NUMBER = '+8613900000007';

describe('an intelligent robot campaign (Node-RED, simulated Asterisk)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(20);
  const app = useAppServer();
  let nodeApp: http.RequestListener | undefined;
  let server: http.Server;
  let publicUrl = '';
  let dir = '';
  before(async function () {
    server = http.createServer((req, res) => (nodeApp ? nodeApp(req, res) : res.writeHead(503).end()));
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(function () {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(function () {
    if (!hasEspeak) {
      console.log('      skipped: espeak-ng is not installed (on Debian: apt-get install espeak-ng; CI installs it)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-robot-campaign-'));
  });
  afterEach(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const captureHttpNode = (RED: { httpNode?: unknown }): void => {
    nodeApp = RED.httpNode as http.RequestListener;
  };

  it("the bot's transfer without a queue goes to the task's skill queue, with its data; the transcript is in the call record", async function () {
    const customer: NumberBehaviour = { outcome: 'answer', ringMs: 200, script: [{ waitFor: 'playback-end' }, { say: 700 }, { wait: 30_000 }] };
    simulator().setNumber(NUMBER, customer);
    app.handler = (req, res) => {
      if (req.url === '/v1/audio/transcriptions') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"I would like to buy."}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: 'Connecting you to sales.', action: 'transfer', data: { interest: 'buy' } }));
    };
    const storeFile = path.join(dir, 'campaign.db');
    const store = new EmbeddedStore({ file: storeFile });
    await store.open();
    const row = { customerId: 'c1', numbers: [{ number: NUMBER }] };
    await store.importContacts('task', [{ ...row, rank: rankOf(row, { by: 'none', attrs: [] }) }], Date.now());
    await store.putDocument('campaign', 'task', { state: 'running', changedAt: Date.now(), reason: 'start by test', name: 'robot', counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } }, 0, Date.now());
    await store.close();
    const z = 'robot-tab';
    await helper.load(
      [...NODES, captureHttpNode] as never,
      [
        { id: z, type: 'tab', label: 'robot' },
        { id: 'a1', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60, maxChannels: 10, recordStore: 'st1' },
        { id: 'st1', type: 'callflow-store', name: 'embedded', backend: 'embedded', file: storeFile, durability: 'normal' },
        { id: 'sp', type: 'callflow-speech', provider: 'local', publicUrl, directory: path.join(dir, 'speech'), recognizer: 'whisper', sttBaseUrl: app.url(''), sttModel: 'w', sttFormat: 'json', sttMaxSec: 20 },
        {
          id: 'task',
          type: 'callflow-campaign',
          name: 'robot',
          connection: 'a1',
          store: 'st1',
          callerNumbers: ['+861058000000'],
          timezone: 'UTC',
          hours: { regular: [{ start: '00:00', end: '24:00' }], special: [], allocated: [] },
          intervalSec: 1,
          callsAtATime: 1,
          maxResponseSec: 20,
          taskType: 'robot',
          skillQueue: 'sales',
        },
        { id: 'dialer', type: 'callflow-dialer', z, x: 100, y: 100, campaign: 'task', wires: [['bot'], [], []] },
        {
          id: 'bot',
          type: 'callflow-bot',
          z,
          x: 300,
          y: 100,
          speech: 'sp',
          kind: 'webhook',
          url: app.url('/bot'),
          model: '',
          instructions: '',
          greeting: 'Hello, this is the robot.',
          maxTurns: 3,
          timeoutSec: 5,
          startTimeoutSec: 5,
          speechMaxSec: 10,
          endSilenceMs: 600,
          language: 'en',
          onError: 'output',
          wires: [[], ['transfer'], [], ['error']],
        },
        { id: 'transfer', type: 'helper', z, x: 500, y: 100 },
        { id: 'error', type: 'helper', z, x: 500, y: 200 },
      ],
      CREDS,
    );
    const msg = await nextMessage<CallMsg & { payload: { queue: string; data: object } }>(node('transfer'), 30_000);
    assert.deepEqual(msg.payload, { outcome: 'transfer', queue: 'sales', data: { interest: 'buy' }, turns: 1 });
    assert.equal(msg.call.vars.botQueue, 'sales', "the task's skill queue, for a transfer node's {vars.botQueue}");
    assert.equal((msg.call as unknown as { campaign: { skillQueue: string } }).campaign.skillQueue, 'sales');
    simulator().call(msg.call.id).hangup();
    // The call's record keeps the conversation.
    const engine = findEngine('a1');
    const records = engine?.recordStore;
    assert.ok(records, 'the connection keeps call records');
    const kept = await records.available(5000);
    let transcript: { role: string; text: string }[] | undefined;
    while (!transcript) {
      const page = await kept.pageCallRecords({ limit: 10 });
      transcript = page.items.find((r) => r.id === msg.call.id)?.report.transcript as typeof transcript;
      if (!transcript) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(transcript.map(({ role, text }) => ({ role, text })), [
      { role: 'caller', text: 'I would like to buy.' },
      { role: 'bot', text: 'Connecting you to sales.' },
    ]);
  });
});
