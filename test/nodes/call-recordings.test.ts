/**
 * A recorded campaign call's recording in the editor (nodes/admin/call-recordings.ts): the calls of a version link it
 * when the call's attempt names one, and the admin route streams it from the simulated Asterisk through the ARI
 * connection (GET /recordings/stored/{name}/file), byte for byte, with Asterisk's content type; each refusal says why.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { CallRecord } from '../../lib/schemas/store';
import { recordingLinks, relayRecording } from '../../nodes/admin/call-recordings';
import type { CampaignConfigNode } from '../../nodes/campaign/config';
import { addCampaign, removeCampaign } from '../../nodes/deployed/campaigns';
import { seedRunningTask } from '../support/campaign-store';
import { CREDS, useSimulator } from '../support/ivr';
import { NODES, hasText, helper, useNodeRed, waitForStatus } from '../support/node-red';
import { nextCallRecord } from '../support/call-records';
import { RawAri } from '../support/raw-ari';
import { useTempDir } from '../support/temp-dir';

const NUMBER = '+8613900000002';

interface Listed {
  id: string;
  recording?: string;
}

describe('recordings of campaign calls in the Call flows sidebar (admin API)', function () {
  this.timeout(60_000);
  useNodeRed();
  const simulator = useSimulator(10);
  const temp = useTempDir('callflow-call-recordings-');

  /**
   * A running task (`recordCalls` as given) whose answered calls enter version v1 of flow "sales"; its connection keeps
   * call records. Resolves with what resolves once its one call is over as the editor sees it: the call's record
   * written (nextCallRecord) and its attempt too (the dialer's output 3 says the customer finished after the write).
   */
  async function load(recordCalls: boolean): Promise<{ settled: Promise<unknown> }> {
    const file = path.join(temp.path, 'callflow.db');
    await seedRunningTask(file, { id: 'task', name: 'recorded' }, [{ customerId: 'c/1', number: NUMBER }]);
    const z = 't-v1';
    await helper.load(
      NODES,
      [
        { id: 'a1', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simulator().url, app: 'callflow', idleTimeoutSec: 60, recordStore: 's1' },
        { id: 's1', type: 'callflow-store', backend: 'embedded', file, durability: 'normal' },
        { id: 'r1', type: 'callflow-releases', name: 'versions', store: 's1' },
        {
          id: 'task',
          type: 'callflow-campaign',
          name: 'recorded',
          connection: 'a1',
          store: 's1',
          flow: 'sales',
          callerNumbers: ['+861058000000'],
          timezone: 'UTC',
          hours: { regular: [{ start: '00:00', end: '24:00' }], special: [], allocated: [] },
          intervalSec: 1,
          callsAtATime: 1,
          policy: { mode: 'global', rule: { byCause: false, maxDays: 1, maxPerDay: 1, intervalSec: 1, causes: [] }, types: [], nonRetry: [] },
          recordCalls,
        },
        { id: z, type: 'tab', label: 'sales v1' },
        { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', wires: [[], [], ['finished']] },
        { id: 'finished', type: 'helper', z },
        { id: 'e-v1', type: 'callflow-entry', z, connection: 'a1', flow: 'sales', releases: 'r1', version: 'v1', release: 'official', grayShare: 0, grayCallers: '', wires: [['p-v1']] },
        { id: 'p-v1', type: 'callflow-play', z, prompts: ['sound:demo-congrats'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['h-v1']] },
        { id: 'h-v1', type: 'callflow-hangup', z, reason: 'normal', wires: [] },
      ],
      CREDS,
    );
    // Listening before the connection is even up: the call cannot have ended yet.
    const settled = Promise.all([nextCallRecord('a1'), new Promise<void>((resolve) => (node('finished') as { once(event: 'input', fn: () => void): void }).once('input', () => resolve()))]);
    settled.catch(() => undefined);
    await waitForStatus(node('e-v1'), hasText('v1: Official Release'));
    return { settled };
  }
  const node = (id: string) => helper.getNode(id) as never;

  /** The version's last ended call, as the Call flows sidebar lists it. */
  const endedCall = async (): Promise<Listed> => {
    const res = await helper.request().get('/callflow/releases/r1/flows/sales/versions/v1/calls').expect(200);
    const call = (res.body as { recent: Listed[] }).recent[0];
    assert.ok(call, `an ended call is listed: ${JSON.stringify(res.body)}`);
    return call;
  };

  it('links the recording of a recorded call, and streams it from Asterisk as Asterisk gives it', async function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 200 });
    await (await load(true)).settled;
    const call = await endedCall();
    assert.equal(call.recording, 'callflow/campaigns/task/attempts/c%2F1/1/recording', 'the customer id is encoded in the path');
    const name = `campaign-${call.id}`;
    const ari = new RawAri(simulator().url, simulator().username, simulator().password);
    const direct = await fetch(`${simulator().url}/ari/recordings/stored/${name}/file`, { headers: { Authorization: `Basic ${Buffer.from(`${simulator().username}:${simulator().password}`).toString('base64')}` } });
    const bytes = Buffer.from(await direct.arrayBuffer());
    assert.ok(bytes.length > 44, 'a wav file with audio');

    // The admin app answers in-process (supertest), its body read as bytes.
    type Binary = { status: number; headers: Record<string, string>; body: Buffer };
    type BinaryTest = Promise<Binary> & { buffer(on: boolean): BinaryTest; parse(fn: (res: NodeJS.ReadableStream, cb: (err: Error | null, body: Buffer) => void) => void): BinaryTest };
    const served = await (helper.request().get(`/${call.recording ?? ''}`) as unknown as BinaryTest).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(served.status, 200, served.body.toString('utf8').slice(0, 200));
    assert.equal(served.headers['content-type'], 'audio/wav');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.equal(served.headers['content-length'], String(bytes.length));
    assert.equal(served.headers['content-disposition'], `inline; filename="${name}.wav"`);
    assert.deepEqual(served.body, bytes, 'byte for byte');

    // Refusals, each with why.
    const refusal = async (url: string, status: number): Promise<string> => ((await helper.request().get(url).expect(status)).body as { message: string }).message;
    assert.match(await refusal('/callflow/campaigns/task/attempts/c%2F1/2/recording', 404), /has no attempt 2 of customer "c\/1"/);
    assert.match(await refusal('/callflow/campaigns/task/attempts/c%2F1/0/recording', 400), /a whole number from 1 to 1000, got "0"/);
    assert.match(await refusal('/callflow/campaigns/nosuch/attempts/c%2F1/1/recording', 404), /no deployed campaign "nosuch"/);
    // Customer ids no customer can have: nobody's attempt.
    for (const customer of ['x'.repeat(3000), '%00%1B%5B31m', '..%2F..%2Fetc', '%F0%9F%98%80<script>']) {
      assert.match(await refusal(`/callflow/campaigns/task/attempts/${customer}/1/recording`, 404), /^campaign "recorded" has no attempt 1 of customer /);
    }
    await ari.ok('DELETE', `/recordings/stored/${name}`);
    assert.match(await refusal(`/${call.recording ?? ''}`, 404), new RegExp(`Asterisk has no recording ${name} \\(any more\\): recordings.getStoredFile: Recording not found`));
  });

  it('links nothing for a call the task did not record, and says so when asked for it', async function () {
    simulator().setNumber(NUMBER, { outcome: 'answer', ringMs: 200 });
    await (await load(false)).settled;
    const call = await endedCall();
    const res = await helper.request().get('/callflow/campaigns/task/attempts/c%2F1/1/recording');
    assert.deepEqual({ status: res.status, message: (res.body as { message: string }).message }, { status: 404, message: 'attempt 1 of customer "c/1" has no recording (the task did not record it, or it was not answered)' });
    assert.equal(call.recording, undefined);
  });
});

describe('a recording streamed to the editor with a bound (relayRecording)', function () {
  /** An "Asterisk" answering `size` bytes (with or without their length), and the editor's side: what it received. */
  async function relayed(size: number, options: { length: boolean; contentType?: string; max: number }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; complete: boolean; sourceDestroyed: boolean }> {
    let source: http.IncomingMessage | undefined;
    const asterisk = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': options.contentType ?? 'audio/wav', ...(options.length ? { 'Content-Length': size } : {}) });
      // In 64 kB pieces, each when the socket takes it.
      let left = size;
      const more = (): void => {
        while (left > 0) {
          const n = Math.min(left, 65536);
          left -= n;
          if (!res.write(Buffer.alloc(n, 7))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const editor = http.createServer((_req, res) => {
      const out = Object.assign(res, {
        status: (code: number) => {
          res.statusCode = code;
          return out;
        },
        json: (body: unknown) => {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(body));
        },
        send: (body: unknown) => res.end(body),
      });
      http.get(`http://127.0.0.1:${(asterisk.address() as AddressInfo).port}/`, (answer) => {
        source = answer;
        const length = Number(answer.headers['content-length']);
        relayRecording({ contentType: String(answer.headers['content-type']), ...(Number.isInteger(length) ? { length } : {}), body: answer }, 'campaign-cfc-1', out, options.max);
      });
    });
    await Promise.all([new Promise<void>((r) => asterisk.listen(0, '127.0.0.1', r)), new Promise<void>((r) => editor.listen(0, '127.0.0.1', r))]);
    try {
      return await new Promise((resolve, reject) => {
        http.get(`http://127.0.0.1:${(editor.address() as AddressInfo).port}/`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          // Asterisk's answer dropped: destroyed before it was read to its end.
          const done = (complete: boolean) => (): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete, sourceDestroyed: source?.destroyed === true && !source.readableEnded });
          res.on('end', done(true));
          res.on('aborted', done(false));
          res.on('error', () => undefined);
        }).on('error', reject);
      });
    } finally {
      asterisk.closeAllConnections();
      editor.closeAllConnections();
      await Promise.all([new Promise((r) => asterisk.close(r)), new Promise((r) => editor.close(r))]);
    }
  }

  it('serves a recording within the bound whole, with its length', async function () {
    const got = await relayed(300_000, { length: true, max: 300_000 });
    assert.deepEqual([got.status, got.headers['content-type'], got.headers['content-length'], got.body.length, got.complete], [200, 'audio/wav', '300000', 300_000, true]);
  });

  it('refuses (413) a recording whose length is past the bound, before sending any of it', async function () {
    const got = await relayed(300_000, { length: true, max: 299_999 });
    assert.equal(got.status, 413);
    assert.deepEqual(JSON.parse(got.body.toString('utf8')), { message: 'the recording campaign-cfc-1 is 300000 bytes, more than the 299999 served' });
  });

  it('cuts a recording without a length once more than the bound came: the editor gets a broken transfer, Asterisk is dropped', async function () {
    const got = await relayed(2_000_000, { length: false, max: 500_000 });
    assert.equal(got.status, 200);
    assert.equal(got.complete, false, 'the transfer is broken, not ended');
    assert.ok(got.body.length <= 500_000, `${got.body.length} bytes reached the editor`);
    assert.equal(got.sourceDestroyed, true, "Asterisk's answer was not read to its end");
  });

  it('sends what is not audio/<extension> as bytes (application/octet-stream), never as a page', async function () {
    const got = await relayed(10, { length: true, contentType: 'text/html', max: 100 });
    assert.deepEqual([got.status, got.headers['content-type'], got.headers['x-content-type-options']], [200, 'application/octet-stream', 'nosniff']);
  });
});

describe('the recordings linked in a version\'s calls (recordingLinks)', function () {
  const records = (n: number): CallRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `call-${i}`,
      connection: 'a1',
      direction: 'outbound' as const,
      caller: { number: '+861058000000', name: '' },
      dialed: NUMBER,
      campaign: { id: 'away', name: 'away', customerId: `c${i}`, attempt: 1, number: NUMBER },
      startedAt: 0,
      endedAt: 1,
      report: {},
    }));

  it('a campaign whose store cannot be reached is waited for once, not once per call (the calls listed without links)', async function () {
    let asked = 0;
    const campaign = {
      id: 'away',
      store: (): Promise<never> => {
        asked++;
        return Promise.reject(new Error('the store is not available'));
      },
    } as unknown as CampaignConfigNode;
    addCampaign(campaign);
    try {
      const links = await recordingLinks(records(20));
      assert.equal(links.size, 0);
      assert.equal(asked, 1, 'each wait for an unreachable store holds the listing up to its wait: one, not one per call');
    } finally {
      removeCampaign(campaign);
    }
  });

  it('a campaign whose store answers: each call linked from its own attempt, the store opened once', async function () {
    let opened = 0;
    const store = {
      getContact: (_campaign: string, customerId: string) =>
        Promise.resolve({ attempts: customerId === 'c1' ? [] : [{ n: 1, recording: `rec-${customerId}` }] }),
    };
    const campaign = {
      id: 'away',
      store: () => {
        opened++;
        return Promise.resolve(store);
      },
    } as unknown as CampaignConfigNode;
    addCampaign(campaign);
    try {
      const links = await recordingLinks(records(3));
      assert.deepEqual([...links.keys()], ['call-0', 'call-2']);
      assert.equal(links.get('call-2'), 'callflow/campaigns/away/attempts/c2/1/recording');
      assert.equal(opened, 1);
    } finally {
      removeCampaign(campaign);
    }
  });
});
