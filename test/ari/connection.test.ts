/**
 * The ARI adapter with real ari-client against the simulated Asterisk, over
 * HTTP and WebSocket: calls, media, bridges, and the connection faults that
 * must never crash or hang Node-RED.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AriConnection } from '../../lib/ari/connection';
import { CallEndedError, CancelledError, type AriError } from '../../lib/ari/errors';
import type { ConnectionStatus, Reconciliation, TelephonyEvent } from '../../lib/ari/port';
import { basicAuthorization } from '../../lib/net/basic-auth';
import { startSimulator } from '../../lib/sim';
import { MemoryLogger, inbound, nextEvent, nextState, rig, type Rig } from '../support/telephony';

describe('ARI adapter over the wire', function () {
  describe('calls and media', function () {
    let r: Rig;
    beforeEach(async function () {
      r = await rig();
    });
    afterEach(async function () {
      await r.close();
    });

    it('answers, plays a list and settles on PlaybackFinished', async function () {
      const id = await inbound(r);
      await r.conn.answer(id);
      const outcome = await r.conn.play({ channelId: id }, ['sound:hello-world', 'number:42', 'digits:7'], { playbackId: 'p-1' });
      assert.deepEqual(outcome, { playbackId: 'p-1', state: 'done', stopped: false });
      assert.deepEqual(r.sim.call(id).report().heard.map((h) => [h.media, h.outcome]), [
        ['sound:hello-world', 'done'],
        ['number:42', 'done'],
        ['digits:7', 'done'],
      ]);
    });

    it('turns an http(s) URL into sound:http(s) for Asterisk', async function () {
      // A public address: a host name would be looked up first (see the media guard's tests).
      r.sim.asterisk.media.urls.set('https://198.51.100.7/welcome.wav', 300);
      const id = await inbound(r);
      const outcome = await r.conn.play({ channelId: id }, ['https://198.51.100.7/welcome.wav']);
      assert.equal(outcome.state, 'done');
      assert.equal(r.sim.call(id).report().heard[0]?.media, 'sound:https://198.51.100.7/welcome.wav');
    });

    it('refuses malformed media before sending anything', async function () {
      const id = await inbound(r);
      await assert.rejects(r.conn.play({ channelId: id }, ['video:cat.mp4']), (err: AriError) => {
        assert.equal(err.kind, 'bad-request');
        assert.match(err.message, /expected sound:, recording:, number:, digits:, characters:, tone: or an http\(s\) URL/);
        return true;
      });
      await assert.rejects(r.conn.play({ channelId: id }, []), /media list is empty/);
      assert.deepEqual(r.sim.call(id).report().heard, []);
    });

    it('reports a missing sound as failed and a stopped playback as stopped', async function () {
      const id = await inbound(r);
      assert.equal((await r.conn.play({ channelId: id }, ['sound:no-such-prompt'])).state, 'failed');
      // An hour-long recording: a sound of seconds lasts milliseconds at 500x, which a busy machine can outlast.
      r.sim.asterisk.defineRecording('an-hour-to-stop', 3_600_000);
      const long = r.conn.play({ channelId: id }, ['recording:an-hour-to-stop'], { playbackId: 'long' });
      await nextEvent(r.conn, (e) => e.type === 'PlaybackStarted' && e.playback.id === 'long');
      await r.conn.stopPlayback('long');
      assert.deepEqual(await long, { playbackId: 'long', state: 'done', stopped: true });
      await r.conn.stopPlayback('long'); // already gone: not an error
    });

    it('fails a playback with a recording: that is not stored, before Asterisk starts it and never finishes it', async function () {
      // play_on_channel gives up on such a recording without a PlaybackFinished (res/res_stasis_playback.c): waiting
      // for one would hold the call until it hangs up.
      const id = await inbound(r);
      await r.conn.answer(id);
      const outcome = await r.conn.play({ channelId: id }, ['sound:beep', 'recording:no-such-message'], { playbackId: 'm-1' });
      assert.deepEqual(outcome, { playbackId: 'm-1', state: 'failed', stopped: false });
      assert.deepEqual(r.sim.call(id).report().heard, [], 'nothing was played');
      r.sim.asterisk.defineRecording('voicemail/m-2', 500);
      assert.deepEqual(await r.conn.play({ channelId: id }, ['recording:voicemail/m-2'], { playbackId: 'm-2' }), { playbackId: 'm-2', state: 'done', stopped: false });
    });

    it('cancels a playback on abort: stops it when the call lives, sends nothing when the call ended', async function () {
      const id = await inbound(r);
      // An hour of sound (7 s at the rig's 500x): it is still playing when the abort comes, however busy the machine.
      r.sim.asterisk.defineRecording('an-hour', 3_600_000);
      const controller = new AbortController();
      const playing = r.conn.play({ channelId: id }, ['recording:an-hour'], { playbackId: 'c1', signal: controller.signal });
      await nextEvent(r.conn, (e) => e.type === 'PlaybackStarted' && e.playback.id === 'c1');
      const finished = nextEvent(r.conn, (e) => e.type === 'PlaybackFinished' && e.playback.id === 'c1');
      controller.abort(new CancelledError('node closed'));
      await assert.rejects(playing, CancelledError);
      await finished;
      assert.equal(r.sim.call(id).report().heard[0]?.outcome, 'stopped');

      const hungUp = new AbortController();
      const second = r.conn.play({ channelId: id }, ['recording:an-hour'], { playbackId: 'c2', signal: hungUp.signal });
      await nextEvent(r.conn, (e) => e.type === 'PlaybackStarted' && e.playback.id === 'c2');
      hungUp.abort(new CallEndedError(id, 'hangup', 16));
      await assert.rejects(second, CallEndedError);
      assert.ok(await r.conn.getPlayback('c2'), 'the playback was left alone: the call ending takes it away');
    });

    it('delivers a channel\'s DTMF to its watcher and removes watchers when the call ends', async function () {
      const id = await inbound(r, { from: '200', to: '300', script: [{ waitFor: 'answer' }, { dtmf: '5*' }, { hangup: true }] });
      const seen: string[] = [];
      const ended = new Promise<void>((resolve) => {
        r.conn.watchChannel(id, (e) => {
          if (e.type === 'ChannelDtmfReceived') seen.push(e.digit);
          if (e.type === 'StasisEnd') resolve();
        });
      });
      await r.conn.answer(id);
      await ended;
      assert.deepEqual(seen, ['5', '*']);
      assert.equal(r.conn.watchedChannels, 0);
    });

    it('hangs up with a reason, and a channel already gone is not an error', async function () {
      const id = await inbound(r);
      await r.conn.hangup(id, 'busy');
      const report = await r.sim.call(id).ended();
      assert.deepEqual([report.ended?.cause, report.ended?.sipResponse], [17, 486]);
      await r.conn.hangup(id);
      const other = await inbound(r, { from: '9', to: '9' });
      await r.conn.hangup(other, { code: 21 });
      assert.equal((await r.sim.call(other).ended()).ended?.cause, 21);
    });

    it('originates to each callee behaviour and reports Asterisk\'s causes', async function () {
      const cases: [string, Parameters<typeof r.sim.setNumber>[1], Partial<{ answered: boolean; cause: number; dialStatus: string }>][] = [
        ['1001', { outcome: 'answer', ringMs: 100 }, { answered: true }],
        ['1002', { outcome: 'busy', ringMs: 100 }, { answered: false, cause: 17, dialStatus: 'BUSY' }],
        ['1003', { outcome: 'unallocated', ringMs: 100 }, { answered: false, cause: 1, dialStatus: 'NOANSWER' }],
        ['1004', { outcome: 'rejected', ringMs: 100 }, { answered: false, cause: 21, dialStatus: 'NOANSWER' }],
        ['1005', { outcome: 'congestion', ringMs: 100 }, { answered: false, cause: 34, dialStatus: 'CONGESTION' }],
        ['1006', { outcome: 'no-answer' }, { answered: false, cause: 19 }],
      ];
      for (const [number, behaviour, expected] of cases) {
        r.sim.setNumber(number, behaviour);
        const { channel, outcome } = await r.conn.originate({ endpoint: `PJSIP/${number}@trunk`, timeoutSec: 1, appArgs: ['campaign'], callerId: '"Shop" <+15550000>' });
        assert.equal(channel.state, 'Down');
        const result = await outcome;
        const got: Partial<{ answered: boolean; cause: number; dialStatus: string }> = { answered: result.answered };
        if (!result.answered) {
          got.cause = result.cause;
          if (result.dialStatus) got.dialStatus = result.dialStatus;
        }
        assert.deepEqual(got, expected, number);
        if (result.answered) await r.conn.hangup(channel.id);
      }
    });

    it('refuses an originate Asterisk cannot place, with the reason', async function () {
      await assert.rejects(r.conn.originate({ endpoint: 'DAHDI/g1/555' }), (err: AriError) => {
        assert.equal(err.kind, 'server');
        assert.match(err.message, /Allocation failed/);
        return true;
      });
    });

    it('bridges an inbound call with an originated one and plays to the bridge', async function () {
      const caller = await inbound(r);
      await r.conn.answer(caller);
      r.sim.setNumber('2000', { outcome: 'answer', ringMs: 50 });
      const callee = await r.conn.createChannel({ endpoint: 'PJSIP/2000@trunk', appArgs: ['transfer'] });
      const answered = nextEvent(r.conn, (e) => e.type === 'Dial' && e.peer.id === callee.id && e.dialstatus === 'ANSWER');
      await r.conn.dial(callee.id, { callerChannelId: caller, timeoutSec: 5 });
      await answered;
      const bridge = await r.conn.createBridge({ bridgeId: 'b1' });
      assert.equal(bridge.id, 'b1');
      const entered = nextEvent(r.conn, (e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === callee.id);
      await r.conn.addToBridge('b1', [caller, callee.id]);
      await entered;
      assert.equal((await r.conn.play({ bridgeId: 'b1' }, ['sound:beep'])).state, 'done');
      assert.deepEqual(r.sim.call(caller).report().heard.map((h) => [h.media, h.target]), [['sound:beep', 'bridge']]);
      await r.conn.removeFromBridge('b1', [caller]);
      await r.conn.destroyBridge('b1');
      await r.conn.destroyBridge('b1'); // gone: not an error
    });

    it('records, and reads and writes channel variables', async function () {
      // Durations are measured in simulated time: a slower clock keeps timer jitter far below a second.
      r.sim.asterisk.clock.speed = 20;
      const id = await inbound(r, { from: '7', to: '8', script: [{ waitFor: 'answer' }, { wait: 400 }, { talk: 1200 }, { dtmf: '#' }] });
      const rec = await r.conn.record({ channelId: id }, { name: 'voicemail-1', maxSilenceSec: 5, terminateOn: '#', beep: true });
      assert.equal(rec.state, 'done');
      assert.equal(rec.talkingSec, 1);
      await r.conn.setVariable(id, 'CUSTOMER', 'c-42');
      assert.equal(await r.conn.getVariable(id, 'CUSTOMER'), 'c-42');
      assert.equal(await r.conn.getVariable(id, 'NOT_SET'), undefined);
      await assert.rejects(r.conn.getVariable('no-channel', 'X'), (err: AriError) => err.kind === 'not-found');
      assert.ok((await r.conn.listSounds({ lang: 'en' })).some((s) => s.id === 'hello-world'));
    });

    it('rings, answers, reads the channel, sends DTMF to the caller and redirects the call', async function () {
      const id = await inbound(r);
      await r.conn.ring(id);
      assert.equal((await r.conn.getChannel(id)).state, 'Ring');
      const up = nextEvent(r.conn, (e) => e.type === 'ChannelStateChange' && e.channel.id === id);
      await r.conn.answer(id);
      await up;
      assert.equal((await r.conn.getChannel(id)).state, 'Up');
      await r.conn.sendDtmf(id, '12#', { betweenMs: 50, durationMs: 80 });
      await assert.rejects(r.conn.sendDtmf(id, 'x9'), (err: AriError) => err.kind === 'bad-request');
      const left = nextEvent(r.conn, (e) => e.type === 'StasisEnd' && e.channel.id === id);
      await r.conn.redirect(id, 'PJSIP/200');
      await left;
      const report = await r.sim.call(id).ended();
      assert.deepEqual(report.heard.map((h) => h.media), ['dtmf:12#']);
      assert.deepEqual(report.transfers.map((t) => [t.kind, t.target]), [['redirect', 'PJSIP/200']]);
      await assert.rejects(r.conn.redirect('gone', 'PJSIP/200'), (err: AriError) => err.kind === 'not-found');
    });

    it('names Asterisk\'s refusal when a channel is not in the application or not up', async function () {
      const id = await inbound(r);
      const left = nextEvent(r.conn, (e) => e.type === 'StasisEnd' && e.channel.id === id);
      await r.conn.continueInDialplan(id, { context: 'default', extension: 's' });
      await left;
      await assert.rejects(r.conn.answer(id), (err: AriError) => {
        assert.equal(err.kind, 'conflict');
        assert.match(err.message, /channels\.answer: Channel not in Stasis application/);
        return true;
      });
    });
  });

  describe('connection faults', function () {
    it('reports a wrong password as auth failed, keeps retrying, never logs the password', async function () {
      const sim = await startSimulator({ password: 'right-secret' });
      const log = new MemoryLogger();
      const statuses: ConnectionStatus[] = [];
      const conn = new AriConnection({ url: sim.url, username: 'asterisk', password: 'Wr0ng-S3cret!', app: 'a', logger: log, authBackoff: { initialMs: 20, maxMs: 40 } });
      conn.onStatus((s) => statuses.push(s));
      conn.start();
      await nextState(conn, 'auth-failed');
      await new Promise<void>((resolve) => {
        const off = conn.onStatus((s) => {
          if (s.state === 'auth-failed' && s.attempt >= 3) {
            off();
            resolve();
          }
        });
      });
      assert.match(conn.status.message, /refused the username or password/);
      await conn.close();
      await sim.close();
      // Nor the Authorization value: the password, only base64-encoded.
      const encoded = basicAuthorization({ username: 'asterisk', password: 'Wr0ng-S3cret!' }).slice('Basic '.length);
      assert.ok(!log.lines.some((l) => l.includes('Wr0ng-S3cret!') || l.includes(encoded)), 'password in a log line');
      assert.ok(!statuses.some((s) => s.message.includes('Wr0ng-S3cret!') || s.message.includes(encoded)), 'password in a status');
      assert.equal(conn.status.state, 'closed');
    });

    it('reports an unreachable Asterisk, then connects once it answers', async function () {
      const probe = await startSimulator();
      const port = probe.port;
      await probe.close();
      const conn = new AriConnection({ url: `http://127.0.0.1:${port}`, username: 'asterisk', password: 'asterisk', app: 'a', backoff: { initialMs: 20, maxMs: 50 } });
      conn.start();
      await nextState(conn, 'unreachable');
      assert.match(conn.status.message, /no answer from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      const sim = await startSimulator({ port });
      await nextState(conn, 'connected');
      await conn.close();
      await sim.close();
    });

    it('reports a server that does not speak ARI as failed, with a hint', async function () {
      const server = http.createServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>Not Found</h1>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const conn = new AriConnection({ url: `http://127.0.0.1:${port}/ari/`, username: 'u', password: 'p', app: 'a', backoff: { initialMs: 20, maxMs: 50 } });
      conn.start();
      await nextState(conn, 'failed');
      assert.match(conn.status.message, /answered HTTP 404; is ARI enabled/);
      await conn.close();
      await new Promise((resolve) => server.close(resolve));
    });

    it('an Asterisk whose ARI answers but whose API documents are missing (rest-api not installed) is told so, not "is ARI enabled?"', async function () {
      // As an Asterisk 22.11 built from source answered when its `make install` stopped before the data files: 500
      // without the rest-api folder, 404 without the files in it (res_ari.c ast_ari_get_docs).
      let status = 500;
      const server = http.createServer((req, res) => {
        if (req.url === '/ari/asterisk/info') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"system":{"version":"22.11.0"}}');
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 500 ? '{"message":"Cannot find rest-api directory"}' : '{"message":"Resource not found"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      // A password that is in no message (the status hides the password wherever it appears).
      const conn = new AriConnection({ url: `http://127.0.0.1:${port}`, username: 'u', password: 'a-secret-word', app: 'a', backoff: { initialMs: 20, maxMs: 50 } });
      conn.start();
      await nextState(conn, 'failed');
      assert.match(conn.status.message, /api-docs\/resources\.json answered HTTP 500 though ARI answers: this Asterisk lacks its API documents, the rest-api JSON files .*"make install"/);
      status = 404;
      await nextState(conn, 'connecting');
      await nextState(conn, 'failed');
      assert.match(conn.status.message, /answered HTTP 404 though ARI answers: this Asterisk lacks its API documents/);
      await conn.close();
      await new Promise((resolve) => server.close(resolve));
    });

    it('refuses a URL with credentials in it or an odd application name', function () {
      assert.throws(() => new AriConnection({ url: 'http://u:p@host:8088', username: 'u', password: 'p', app: 'a' }), /own fields, not in the URL/);
      assert.throws(() => new AriConnection({ url: 'ftp://host', username: 'u', password: 'p', app: 'a' }), /must start with http/);
      assert.throws(() => new AriConnection({ url: 'http://host', username: 'u', password: 'p', app: 'a b' }), /application name/);
    });

    it('survives the WebSocket dropping mid-call: reconnects and reconciles calls, playbacks and lost channels', async function () {
      const r = await rig();
      try {
        const staying = await inbound(r, { from: '1', to: '1' });
        const leaving = await inbound(r, { from: '2', to: '2' });
        await r.conn.answer(staying);
        // A tone plays until stopped: it cannot end before the outage below.
        const playing = r.conn.play({ channelId: staying }, ['tone:ring'], { playbackId: 'during-outage' });
        await nextEvent(r.conn, (e) => e.type === 'PlaybackStarted' && e.playback.id === 'during-outage');
        const lost: TelephonyEvent[] = [];
        r.conn.watchChannel(leaving, (e) => lost.push(e));
        const reconciled = new Promise<Reconciliation>((resolve) => r.conn.onReconciled(resolve));
        // The outage: the socket dies; meanwhile one caller hangs up and the prompt ends, both unseen.
        r.sim.dropWebSockets();
        await nextState(r.conn, 'reconnecting');
        r.sim.call(leaving).hangup();
        r.sim.asterisk.stopPlayback('during-outage');
        const rec = await reconciled;
        assert.deepEqual([rec.restarted, rec.kept, rec.lost], [false, [staying], [leaving]]);
        assert.deepEqual(lost.map((e) => e.type), ['ChannelLost']);
        assert.deepEqual(await playing, { playbackId: 'during-outage', state: 'done', stopped: false, inferred: true });
        // The surviving call still works after the reconnect.
        await r.conn.setVariable(staying, 'AFTER', 'yes');
        assert.equal(r.sim.call(staying).report().variables.AFTER, 'yes');
      } finally {
        await r.close();
      }
    });

    it('reconciles an originated Local channel as one call: its ;2 half, in the application and marked, is not left over from an earlier run', async function () {
      // Asterisk subscribes the originating application to both halves of a Local channel and copies ;1's variables,
      // the instance's mark among them, to ;2 (resource_channels.c, core_unreal.c ast_unreal_call_setup).
      const r = await rig({ conn: { instance: 'node-a' } });
      try {
        r.sim.setNumber('300', { outcome: 'answer', ringMs: 100 });
        const { channel, outcome } = await r.conn.originate({ endpoint: 'Local/300@outbound', appArgs: ['campaign'] });
        assert.equal((await outcome).answered, true);
        const reconciled = new Promise<Reconciliation>((resolve) => r.conn.onReconciled(resolve));
        r.sim.dropWebSockets();
        const rec = await reconciled;
        assert.deepEqual([rec.kept, rec.unclaimed, rec.foreign], [[channel.id], [], []]);
        assert.equal(r.sim.asterisk.report(channel.id)?.ended, undefined, 'the call is still up');
      } finally {
        await r.close();
      }
    });

    it('detects a half-open socket by its missing pongs and reconnects', async function () {
      const r = await rig({ conn: { heartbeatMs: 50 } });
      try {
        r.sim.freezeWebSockets();
        await nextState(r.conn, 'reconnecting');
        await nextState(r.conn, 'connected');
      } finally {
        await r.close();
      }
    });

    it('after Asterisk restarts: every known call is lost, pending playbacks fail, new calls work', async function () {
      const r = await rig();
      try {
        const id = await inbound(r);
        r.sim.asterisk.defineRecording('an-hour', 3_600_000);
        const playing = r.conn.play({ channelId: id }, ['recording:an-hour']);
        await nextEvent(r.conn, (e) => e.type === 'PlaybackStarted');
        const reconciled = new Promise<Reconciliation>((resolve) => r.conn.onReconciled(resolve));
        const lost = nextEvent(r.conn, (e) => e.type === 'ChannelLost', 10_000);
        await r.sim.restart(30);
        const rec = await reconciled;
        assert.equal(rec.restarted, true);
        const event = await lost;
        assert.deepEqual(event, { type: 'ChannelLost', channelId: id, reason: 'asterisk-restarted' });
        const outcome = await playing;
        assert.deepEqual([outcome.state, outcome.stopped, outcome.inferred], ['failed', false, true]);
        assert.match(r.log.lines.join('\n'), /it restarted since the last connection/);
        const next = await inbound(r, { from: '5', to: '5' });
        await r.conn.answer(next);
      } finally {
        await r.close();
      }
    });

    it('keeps two connections with different credentials apart (swagger-client shares one auth setting)', async function () {
      const a = await rig({ sim: { username: 'alice', password: 'alice-pw' } });
      const b = await rig({ sim: { username: 'bob', password: 'bob-pw' } });
      try {
        for (let i = 0; i < 5; i += 1) {
          const [ida, idb] = await Promise.all([inbound(a, { from: `a${i}`, to: '1' }), inbound(b, { from: `b${i}`, to: '1' })]);
          await Promise.all([a.conn.answer(ida), b.conn.answer(idb)]);
          await Promise.all([a.conn.hangup(ida), b.conn.hangup(idb)]);
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('closes promptly: pending waits are cancelled and the state is closed', async function () {
      const r = await rig();
      const id = await inbound(r);
      r.sim.asterisk.defineRecording('an-hour', 3_600_000);
      const playing = r.conn.play({ channelId: id }, ['recording:an-hour']);
      await nextEvent(r.conn, (e) => e.type === 'PlaybackStarted');
      // Promptly: the hour-long playback's wait is cancelled, not waited out (no wall-clock bound: the machine may be busy).
      await r.conn.close();
      await assert.rejects(playing, CancelledError);
      await assert.rejects(r.conn.answer(id), (err: AriError) => err.kind === 'not-connected');
      assert.equal(r.conn.status.state, 'closed');
      await r.sim.close();
    });
  });
});
