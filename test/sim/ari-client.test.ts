/**
 * Unmodified ari-client against the simulated Asterisk: it must build its
 * whole API from the simulator's Swagger documents and drive calls with its
 * own WebSocket, exactly as it does against a real Asterisk.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { EVENT_TYPES } from '../../lib/sim/models';
import { startSimulator, type Simulator } from '../../lib/sim';

// ari-client as a user's own code loads it (this project's adapter wraps it; here nothing does).
const ari = createRequire(__filename)('ari-client') as {
  connect(url: string, user: string, pass: string): Promise<AriClientLike>;
};

interface ChannelLike {
  id: string;
  state: string;
  caller: { number: string };
  answer(): Promise<void>;
  hangup(opts?: object): Promise<void>;
  play(opts: object, playback: PlaybackLike): Promise<PlaybackLike>;
  on(event: string, cb: (event: Record<string, unknown>, obj: unknown) => void): void;
}
interface PlaybackLike {
  id: string;
  once(event: string, cb: (event: Record<string, unknown>, obj: { state: string }) => void): void;
}
interface AriClientLike {
  [resource: string]: unknown;
  channels: { get(params: object): Promise<unknown>; hangup(params: object): Promise<void> };
  Playback(): PlaybackLike;
  start(app: string): Promise<void>;
  stop(): void;
  on(event: string, cb: (event: Record<string, unknown>, obj: ChannelLike) => void): void;
}

describe('simulator: unmodified ari-client', function () {
  let sim: Simulator;
  let client: AriClientLike;

  before(async function () {
    sim = await startSimulator({ speed: 200 });
    client = await ari.connect(sim.url, 'asterisk', 'asterisk');
  });

  after(async function () {
    client?.stop();
    await sim?.close();
  });

  it('builds every ARI resource and the operations call logic needs from the documents', function () {
    const expected: Record<string, string[]> = {
      channels: ['originate', 'originateWithId', 'create', 'get', 'hangup', 'answer', 'ring', 'play', 'playWithId', 'record', 'getChannelVar', 'setChannelVar', 'sendDTMF', 'continueInDialplan', 'redirect', 'dial', 'list', 'mute', 'unmute'],
      bridges: ['create', 'createWithId', 'addChannel', 'removeChannel', 'destroy', 'play', 'playWithId', 'startMoh', 'stopMoh'],
      playbacks: ['get', 'stop', 'control'],
      recordings: ['getLive', 'stop', 'cancel', 'getStored', 'listStored', 'getStoredFile'],
      sounds: ['list', 'get'],
      applications: ['get', 'list', 'subscribe'],
      asterisk: ['getInfo', 'ping'],
      events: ['eventWebsocket', 'userEvent'],
      endpoints: ['list', 'get'],
      deviceStates: ['list'],
      mailboxes: ['list'],
    };
    for (const [resource, operations] of Object.entries(expected)) {
      const r = client[resource] as Record<string, unknown> | undefined;
      assert.ok(r, `client.${resource} missing`);
      for (const op of operations) assert.equal(typeof r[op], 'function', `client.${resource}.${op} missing`);
    }
  });

  it('knows a model for every event type the simulator can send (ari-client throws on unknown types)', async function () {
    const res = await fetch(`${sim.url}/ari/api-docs/events.json`, { headers: { Authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` } });
    const doc = (await res.json()) as { models: Record<string, { id: string }>; swaggerVersion: string };
    assert.equal(doc.swaggerVersion, '1.2');
    for (const type of EVENT_TYPES) assert.ok(doc.models[type], `no model for ${type}`);
    const listed = (doc.models.Event as unknown as { subTypes: string[] }).subTypes;
    assert.deepEqual([...listed].sort(), [...EVENT_TYPES].sort());
  });

  it('answers a call with ari-client instances and its own event WebSocket', async function () {
    const seen: string[] = [];
    const played = new Promise<string>((resolve, reject) => {
      client.on('StasisStart', (event, channel) => {
        seen.push(`StasisStart ${(event.args as string[]).join(',')} ${channel.state} ${channel.caller.number}`);
        channel.on('ChannelDtmfReceived', (e) => seen.push(`dtmf ${String(e.digit)}`));
        void (async () => {
          await channel.answer();
          const playback = client.Playback();
          playback.once('PlaybackFinished', (_e, p) => resolve(p.state));
          await channel.play({ media: 'sound:hello-world' }, playback);
        })().catch(reject);
      });
    });
    await client.start('wire-test');
    const call = sim.placeCall({ from: '+15550100', to: '1000', app: 'wire-test', args: ['a', 'b'], script: [{ waitFor: 'answer' }, { dtmf: '7' }] });
    assert.equal(await played, 'done');
    await client.channels.hangup({ channelId: call.id, reason: "normal" });
    const report = await call.ended();
    assert.deepEqual(seen, ['StasisStart a,b Ring +15550100', 'dtmf 7']);
    assert.deepEqual(report.heard.map((h) => [h.media, h.outcome]), [['sound:hello-world', 'done']]);
    assert.equal(report.ended?.by, 'application');
    assert.equal(report.ended?.cause, 16);
  });

  it('rejects with Asterisk\'s error body for an unknown channel', async function () {
    await assert.rejects(client.channels.get({ channelId: 'no-such-channel' }), (err: Error) => {
      assert.deepEqual(JSON.parse(err.message), { message: 'Channel not found' });
      return true;
    });
  });
});
