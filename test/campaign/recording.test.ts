/**
 * A call's recording (lib/call/recording.ts: a campaign's Record calls, a robot's Record the call) against the
 * simulated Asterisk through the real connection: a snoop channel on the call
 * is recorded; the recording goes on after the call left the application for
 * the dialplan (a queue) and is stored when the call hangs up; a recording
 * Asterisk refuses leaves the call unrecorded, with a warning, and its snoop
 * channel hung up. And what the call registry does with snoop channels: no
 * new call, and after a restart left to end with their call or hung up when
 * it is gone.
 */
import assert from 'node:assert/strict';
import { AriConnection } from '../../lib/ari/connection';
import { AriError } from '../../lib/ari/errors';
import type { Reconciliation, TelephonyEvent } from '../../lib/ari/port';
import { CallRegistry, snoopChannelId } from '../../lib/call/registry';
import { callRecordingName, campaignRecordingName, recordCall, recordingOfResumedCall, type RecordingTelephony } from '../../lib/call/recording';
import { RawAri } from '../support/raw-ari';
import { inbound, nextEvent, rig, type Rig } from '../support/telephony';

const finishedOf = (name: string) => (e: TelephonyEvent): boolean => e.type === 'RecordingFinished' && e.recording.name === name;

describe('campaign call recording (simulated Asterisk)', function () {
  let r: Rig;
  beforeEach(async function () {
    r = await rig();
  });
  afterEach(async function () {
    await r.close();
  });

  async function answeredCall(): Promise<string> {
    const id = await inbound(r);
    await r.conn.answer(id);
    return id;
  }

  it('records the whole call through a snoop channel: on after the call went to the dialplan, stored when it hangs up', async function () {
    const id = await answeredCall();
    const warnings: string[] = [];
    const started = await recordCall(r.conn, id, campaignRecordingName(id), (m) => warnings.push(m));
    assert.deepEqual(started, { name: campaignRecordingName(id) });
    assert.equal(campaignRecordingName(id), `campaign-${id}`);
    assert.deepEqual(warnings, []);
    const snoop = await r.conn.getChannel(snoopChannelId(id));
    assert.match(snoop.name, /^Snoop\//);
    // The call leaves the flow for a queue: the snoop hears it through the call's own audiohook, and goes on.
    const left = nextEvent(r.conn, (e) => e.type === 'StasisEnd' && e.channel.id === id);
    await r.conn.continueInDialplan(id, { context: 'callflow-queues', extension: 'sales', priority: 1 });
    await left;
    assert.equal((await r.conn.getChannel(snoopChannelId(id))).state, 'Up');
    const finished = nextEvent(r.conn, finishedOf(`campaign-${id}`));
    r.sim.call(id).hangup(16);
    assert.equal((await finished).type, 'RecordingFinished');
    assert.ok((await r.conn.listStoredRecordings()).some((s) => s.name === `campaign-${id}` && s.format === 'wav'), 'stored as wav');
    await assert.rejects(r.conn.getChannel(snoopChannelId(id)), (err: AriError) => err.kind === 'not-found');
    assert.equal(r.sim.asterisk.channelList().length, 0, 'no channel left');
  });

  it('a recording Asterisk refuses (409: the name is in use): the call goes on unrecorded, a warning says why, the snoop channel is hung up', async function () {
    const id = await answeredCall();
    r.sim.asterisk.defineRecording(`campaign-${id}`, 1000);
    const warnings: string[] = [];
    const snoopGone = nextEvent(r.conn, (e) => e.type === 'StasisEnd' && e.channel.id === snoopChannelId(id));
    const started = await recordCall(r.conn, id, campaignRecordingName(id), (m) => warnings.push(m));
    assert.ok('error' in started, 'no name');
    assert.match(started.error, /Asterisk refused the recording: .*already exists/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', new RegExp(`recording call ${id.replace('.', '\\.')} did not start, the call goes on unrecorded: Asterisk refused the recording`));
    await snoopGone;
    assert.equal((await r.conn.getChannel(id)).state, 'Up', 'the call goes on');
    assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id), [id]);
  });

  it('a name that is not a recording name (a call id that makes none) is never sent: no snoop channel, why said', async function () {
    const id = await answeredCall();
    for (const name of [`call-${id}/../../etc/passwd`, `call-${id}\n`, `call-${id} x`, `call-${'x'.repeat(70)}`]) {
      const warnings: string[] = [];
      assert.deepEqual(await recordCall(r.conn, id, name, (m) => warnings.push(m)), { error: 'the call id does not make a recording name Asterisk could have' }, JSON.stringify(name));
      assert.equal(warnings.length, 1);
    }
    assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id), [id], 'no snoop channel was asked for');
  });

  it('a snoop Asterisk refuses (the call is gone: 404) resolves with why and warns', async function () {
    const warnings: string[] = [];
    const started = await recordCall(r.conn, 'no-such-call', campaignRecordingName('no-such-call'), (m) => warnings.push(m));
    assert.ok('error' in started);
    assert.match(started.error, /Asterisk refused the snoop channel/);
    assert.equal(warnings.length, 1);
  });

  it('a snoop request whose answer is lost (the channel was made): the snoop channel is hung up, the call goes on unrecorded', async function () {
    const id = await answeredCall();
    // Asterisk makes the snoop channel, but its answer never comes (the request times out).
    const lostAnswer: RecordingTelephony = {
      snoop: async (...args: Parameters<RecordingTelephony['snoop']>) => {
        await r.conn.snoop(...args);
        throw new Error('no answer from Asterisk within 10000 ms');
      },
      record: (...args) => r.conn.record(...args),
      hangup: (...args) => r.conn.hangup(...args),
      watchChannel: (...args) => r.conn.watchChannel(...args),
      getChannel: (...args) => r.conn.getChannel(...args),
    };
    const snoopGone = nextEvent(r.conn, (e) => e.type === 'StasisEnd' && e.channel.id === snoopChannelId(id));
    const started = await recordCall(lostAnswer, id, campaignRecordingName(id), () => undefined);
    assert.ok('error' in started);
    assert.match(started.error, /Asterisk refused the snoop channel: no answer from Asterisk/);
    await snoopGone;
    assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id), [id], 'the call goes on, without the snoop channel');
  });

  it('a resumed call names the recording its snoop channel still makes, or says there is none', async function () {
    const id = await answeredCall();
    assert.ok('error' in (await recordingOfResumedCall(r.conn, id, campaignRecordingName(id))), 'no snoop channel: no recording');
    await recordCall(r.conn, id, campaignRecordingName(id), () => undefined);
    assert.deepEqual(await recordingOfResumedCall(r.conn, id, campaignRecordingName(id)), { name: `campaign-${id}` });
  });

  it('a reconnect: the snoop channel of a call that hung up meanwhile is gone with it, its recording stored; another call goes on recorded; none is taken for a left-over call', async function () {
    const a = await answeredCall();
    const b = await answeredCall();
    for (const id of [a, b]) assert.deepEqual(await recordCall(r.conn, id, campaignRecordingName(id), () => undefined), { name: `campaign-${id}` });
    const reconciled = new Promise<Reconciliation>((resolve) => {
      const off = r.conn.onReconciled((rec) => {
        off();
        resolve(rec);
      });
    });
    r.sim.dropWebSockets();
    // An application that hears everything, as the test's eyes while ours is away (or already back: either way).
    const observer = await new RawAri(r.sim.url, r.sim.username, r.sim.password).events('observer', { subscribeAll: true });
    try {
      r.sim.call(a).hangup(16);
      await observer.next((e) => e.type === 'ChannelDestroyed' && (e.channel as { id: string }).id === snoopChannelId(a));
      const rec = await reconciled;
      assert.deepEqual([rec.unclaimed, rec.foreign], [[], []], 'no snoop channel is taken for a left-over call');
      assert.ok(rec.kept.includes(snoopChannelId(b)), 'the other call\'s snoop channel is still ours');
      assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id).sort(), [b, snoopChannelId(b)].sort());
      assert.equal(r.sim.asterisk.liveRecording(`campaign-${b}`).state, 'recording');
      assert.ok((await r.conn.listStoredRecordings()).some((s) => s.name === `campaign-${a}`));
    } finally {
      await observer.close();
    }
  });

  describe('snoop channels in the call registry', function () {
    it('makes no call of a snoop channel entering the application', async function () {
      const reg = new CallRegistry(r.conn, { connectionId: 'c1', logger: r.log });
      try {
        const calls: string[] = [];
        reg.onCall((s) => calls.push(s.id));
        const id = await inbound(r);
        await r.conn.answer(id);
        await recordCall(r.conn, id, campaignRecordingName(id), () => undefined);
        assert.deepEqual(calls, [id]);
        assert.equal(reg.get(snoopChannelId(id)), undefined);
      } finally {
        reg.dispose();
      }
    });

    /** A campaign call with a snoop on it, left in the application by a run that went away (a crash). */
    async function leftByEarlierRun(): Promise<{ call: string; snoop: string }> {
      r.sim.setNumber('4000', { outcome: 'answer', ringMs: 50 });
      const { outcome } = await r.conn.originate({ channelId: 'cfc-1', endpoint: 'PJSIP/4000@trunk' });
      assert.equal((await outcome).answered, true);
      assert.ok('name' in (await recordCall(r.conn, 'cfc-1', campaignRecordingName('cfc-1'), () => undefined)));
      await r.conn.close();
      return { call: 'cfc-1', snoop: snoopChannelId('cfc-1') };
    }

    /** The next run's connection and registry; `before` sees the connection before it starts (to await its events). */
    function nextRun(options: { getChannel?: AriConnection['getChannel']; info?: (line: string) => void; before?: (conn: AriConnection) => void } = {}): { conn: AriConnection; reg: CallRegistry; reconciled: Promise<void> } {
      const conn = new AriConnection({ url: r.sim.url, username: r.sim.username, password: r.sim.password, app: 'callflow', logger: r.log });
      if (options.getChannel) conn.getChannel = options.getChannel;
      const logger = { ...r.log, debug: () => undefined, warn: (m: string) => r.log.warn(m), error: (m: string) => r.log.error(m), info: (m: string) => options.info?.(m) };
      const reg = new CallRegistry(conn, { connectionId: 'c2', logger, onReconciled: (l) => conn.onReconciled(l) });
      const reconciled = new Promise<void>((resolve) => {
        const off = conn.onReconciled(() => {
          off();
          resolve();
        });
      });
      options.before?.(conn);
      conn.start();
      return { conn, reg, reconciled };
    }

    it('after a restart, leaves an earlier run\'s snoop channel to end with its call while that call is up', async function () {
      const { call, snoop } = await leftByEarlierRun();
      let said!: (line: string) => void;
      const info = new Promise<string>((resolve) => (said = resolve));
      const next = nextRun({ info: (line) => said(line) });
      try {
        await next.reconciled;
        assert.equal(await info, `snoop channel ${snoop} (a recording left by an earlier run) goes on until call ${call} ends`);
        assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id).sort(), [call, snoop]);
        // The call ends (here: its callee hangs up): the snoop ends with it, its recording stored.
        const snoopEnded = nextEvent(next.conn, (e) => e.type === 'StasisEnd' && e.channel.id === snoop);
        const finished = nextEvent(next.conn, finishedOf('campaign-cfc-1'));
        r.sim.asterisk.hangupChannel(r.sim.asterisk.channel(call), 16, 'callee');
        await Promise.all([snoopEnded, finished]);
        assert.deepEqual(r.sim.asterisk.channelList(), []);
        assert.ok((await next.conn.listStoredRecordings()).some((s) => s.name === 'campaign-cfc-1'));
      } finally {
        next.reg.dispose();
        await next.conn.close();
      }
    });

    it("after a restart, an inbound call a robot recorded (call-<id>) is hung up as nobody's; its snoop channel ends with it, the recording stored", async function () {
      const id = await answeredCall();
      assert.deepEqual(await recordCall(r.conn, id, callRecordingName(id), () => undefined), { name: `call-${id}` });
      await r.conn.close();
      const next = nextRun();
      try {
        const finished = nextEvent(next.conn, finishedOf(`call-${id}`));
        await next.reconciled;
        await finished;
        assert.deepEqual(r.sim.asterisk.channelList(), [], 'neither the call nor its snoop channel is left');
        assert.ok((await next.conn.listStoredRecordings()).some((s) => s.name === `call-${id}`));
      } finally {
        next.reg.dispose();
        await next.conn.close();
      }
    });

    it('after a restart, hangs up an earlier run\'s snoop channel whose call Asterisk no longer has', async function () {
      const { call, snoop } = await leftByEarlierRun();
      let snoopEnded: Promise<TelephonyEvent> | undefined;
      let conn: AriConnection | undefined;
      // Asterisk answers 404 for the spied call (as if it ended as the snoop was found).
      const next = nextRun({
        getChannel: async (id, signal) => {
          if (id === call) throw new AriError('channels.get', 'not-found', 'Channel not found', 404);
          return AriConnection.prototype.getChannel.call(conn, id, signal);
        },
        before: (c) => {
          conn = c;
          snoopEnded = nextEvent(c, (e) => e.type === 'StasisEnd' && e.channel.id === snoop);
        },
      });
      try {
        await next.reconciled;
        await snoopEnded;
        assert.deepEqual(r.sim.asterisk.channelList().map((c) => c.id), [call], 'the snoop channel is hung up, the call is left to its dialer');
      } finally {
        next.reg.dispose();
        await next.conn.close();
      }
    });
  });
});
