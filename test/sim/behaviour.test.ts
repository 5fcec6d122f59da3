/**
 * The simulated Asterisk behaves as Asterisk does on the wire: event order,
 * subscriptions, statuses and messages (sources in docs/simulator.md).
 * Checked with a minimal raw client, independent of the adapter.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Simulator } from '../../lib/sim';
import { RawAri, useRawSimulator, is, type EventLog } from '../support/raw-ari';

type Json = Record<string, unknown>;
const channelOf = (e: Json): Json => e.channel as Json;

describe('simulator: behaviour on the wire', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw), { readOnlyUsers: { viewer: 'look' } });

  describe('HTTP layer', function () {
    it('answers with Cache-Control no-cache, no-store and a Server header; an unknown endpoint technology in Asterisk\'s words', async function () {
      // Seen on Asterisk 22.11 built from releases/22: every ARI answer, 204 included, has "Cache-Control: no-cache,
      // no-store" and "Server: Asterisk/<version>" (main/http.c ast_http_send); GET /endpoints/Local answers 404
      // "No Endpoints found - invalid tech Local" (resource_endpoints.c ast_ari_endpoints_list_by_tech).
      const list = await ari.req('GET', '/channels');
      assert.equal(list.headers.get('cache-control'), 'no-cache, no-store');
      assert.match(String(list.headers.get('server')), /^Asterisk\/22\./);
      const local = await ari.req('GET', '/endpoints/Local');
      assert.deepEqual([local.status, local.body, local.headers.get('cache-control')], [404, { message: 'No Endpoints found - invalid tech Local' }, 'no-cache, no-store']);
    });

    it('refuses a wrong password with 401, the realm and Asterisk\'s body', async function () {
      const r = await new RawAri(sim.url, 'asterisk', 'wrong').req('GET', '/channels');
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="Asterisk REST Interface"');
      assert.deepEqual(r.body, { message: 'Authentication required' });
    });

    it('accepts api_key=user:password instead of Basic auth', async function () {
      const url = `${sim.url}/ari/asterisk/ping?api_key=asterisk:asterisk`;
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as Json).ping, 'pong');
    });

    it('lets a read-only user GET but not POST', async function () {
      const viewer = new RawAri(sim.url, 'viewer', 'look');
      assert.equal((await viewer.req('GET', '/channels')).status, 200);
      const r = await viewer.req('POST', '/bridges');
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, { message: 'Write access denied' });
    });

    it('answers unknown paths, wrong methods and trailing slashes as Asterisk does', async function () {
      assert.deepEqual((await ari.req('GET', '/nothing')).body, { message: 'Resource not found' });
      const wrong = await ari.req('PUT', '/channels');
      assert.equal(wrong.status, 405);
      assert.deepEqual(wrong.body, { message: 'Invalid method' });
      assert.equal(wrong.headers.get('allow'), 'OPTIONS,GET,POST');
      const slash = await ari.req('GET', '/channels/');
      assert.equal(slash.status, 404);
      assert.match(String((slash.body as Json).message), /do not end with a slash/);
      // The suggestion drops every trailing slash (by hand: /\/+$/ backtracked quadratically on a run of slashes).
      assert.equal(((await ari.req('GET', '/channels///')).body as Json).message, 'ARI URLs do not end with a slash. Try /ari/channels');
      const run = `/channels${'/'.repeat(4000)}x/`;
      assert.equal(((await ari.req('GET', run)).body as Json).message, `ARI URLs do not end with a slash. Try /ari${run.slice(0, -1)}`);
    });

    it('serves the documents with the caller\'s Host as basePath', async function () {
      // fetch may not set Host; node:http may.
      const doc = await new Promise<Json>((resolve, reject) => {
        const req = http.get(`${sim.url}/ari/api-docs/channels.json`, { headers: { Host: 'pbx.example:8088', Authorization: ari.auth } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(JSON.parse(text) as Json));
        });
        req.on('error', reject);
      });
      assert.equal(doc.basePath, 'http://pbx.example:8088/ari');
      assert.equal(doc.swaggerVersion, '1.1');
      assert.equal(doc.resourcePath, '/api-docs/channels.{format}');
      const listing = await ari.ok<{ apis: { path: string }[] }>('GET', '/api-docs/resources.json');
      assert.equal(listing.apis[0]?.path, '/api-docs/asterisk.{format}');
      assert.equal(listing.apis.length, 11);
    });

    it('refuses an events WebSocket without app (HTML 400) or with a wrong password (401)', async function () {
      const { default: WebSocket } = await import('ws');
      const status = (url: string, headers: Record<string, string>): Promise<number> =>
        new Promise((resolve) => {
          const ws = new WebSocket(url, { headers });
          ws.on('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            ws.terminate();
          });
          ws.on('open', () => {
            resolve(101);
            ws.close();
          });
          ws.on('error', () => undefined);
        });
      const base = sim.url.replace('http', 'ws');
      assert.equal(await status(`${base}/ari/events`, { Authorization: ari.auth }), 400);
      assert.equal(await status(`${base}/ari/events?app=x`, { Authorization: new RawAri(sim.url, 'asterisk', 'bad').auth }), 401);
    });
  });

  describe('inbound calls', function () {
    it('starts with StasisStart (no ChannelCreated), in state Ring, with the dialplan and args', async function () {
      const call = sim.placeCall({ from: '+15550100', to: '2000', app: 'app1', args: ['sales', 'vip'], callerName: 'Ann' });
      const start = await events.next(is('StasisStart', call.id));
      assert.equal(events.all[0]?.type, 'StasisStart');
      assert.deepEqual(start.args, ['sales', 'vip']);
      const ch = channelOf(start);
      assert.equal(ch.state, 'Ring');
      assert.deepEqual(ch.caller, { name: 'Ann', number: '+15550100' });
      assert.deepEqual(ch.dialplan, { context: 'from-external', exten: '2000', priority: 1, app_name: 'Stasis', app_data: 'app1,sales,vip' });
      assert.match(String(ch.name), /^PJSIP\/trunk-[0-9a-f]{8}$/);
      assert.match(String(ch.creationtime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
      assert.equal(start.application, 'app1');
      assert.equal(typeof start.asterisk_id, 'string');
    });

    it('shows ChannelCreated and ChannelDestroyed only to an application subscribed to everything', async function () {
      const all = await ari.events('watcher', { subscribeAll: true });
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ hangup: true }] });
      await all.next(is('ChannelCreated', call.id));
      await all.next(is('ChannelDestroyed', call.id));
      await events.next(is('StasisEnd', call.id));
      assert.deepEqual(events.typesFor(call.id).filter((t) => t === 'ChannelCreated' || t === 'ChannelDestroyed'), []);
      await all.close();
    });

    it('on DELETE: HangupRequest (soft, flag 32), StasisEnd, and no ChannelDestroyed for a dialplan call', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      assert.equal((await ari.req('POST', `/channels/${call.id}/answer`)).status, 204);
      await events.next(is('ChannelStateChange', call.id));
      assert.equal((await ari.req('DELETE', `/channels/${call.id}`, { reason: 'normal' })).status, 204);
      const report = await call.ended();
      await events.next(is('StasisEnd', call.id));
      const request = await events.next(is('ChannelHangupRequest', call.id));
      assert.equal(request.cause, 32);
      assert.equal(request.soft, true);
      assert.deepEqual(events.typesFor(call.id), ['StasisStart', 'ChannelStateChange', 'ChannelHangupRequest', 'StasisEnd']);
      assert.deepEqual([report.ended?.cause, report.ended?.causeText, report.ended?.by], [16, 'Normal Clearing', 'application']);
    });

    it('when the caller hangs up: HangupRequest with the cause (not soft), then StasisEnd', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ wait: 100 }, { hangup: true }] });
      await events.next(is('StasisEnd', call.id));
      const request = await events.next(is('ChannelHangupRequest', call.id));
      assert.equal(request.cause, 16);
      assert.equal(request.soft, undefined);
      assert.equal((await call.ended()).ended?.by, 'caller');
    });

    it('turns the hangup cause of an unanswered call into the SIP response the caller gets', async function () {
      const cases: [Record<string, string>, number][] = [
        [{ reason: 'busy' }, 486],
        [{ reason_code: '1' }, 404],
        [{ reason_code: '19' }, 480],
        [{ reason: 'congestion' }, 503],
        [{ reason_code: '21' }, 403],
        [{ reason: 'normal' }, 603],
      ];
      for (const [query, sip] of cases) {
        const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
        await events.next(is('StasisStart', call.id));
        assert.equal((await ari.req('DELETE', `/channels/${call.id}`, query)).status, 204);
        assert.equal((await call.ended()).ended?.sipResponse, sip, JSON.stringify(query));
      }
    });

    it('refuses bad hangup reasons with Asterisk\'s messages', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      const bad = await ari.req('DELETE', `/channels/${call.id}`, { reason: 'angry' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { message: 'Invalid reason for hangup reason provided' });
      const both = await ari.req('DELETE', `/channels/${call.id}`, { reason: 'busy', reason_code: '17' });
      assert.deepEqual(both.body, { message: "The reason and reason_code can't both be specified" });
    });

    it('sends DTMF the caller presses, with its duration', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ dtmf: '4#', duration: 120 }] });
      const first = await events.next(is('ChannelDtmfReceived', call.id));
      const second = await events.next((e) => is('ChannelDtmfReceived', call.id)(e) && e.digit === '#');
      assert.deepEqual([first.digit, first.duration_ms, second.digit], ['4', 120, '#']);
      assert.deepEqual(sim.call(call.id).report().pressed.map((p) => p.digit), ['4', '#']);
    });

    it('fails the call when no WebSocket serves its application', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'nobody-home' });
      const report = await call.ended();
      assert.equal(report.ended?.by, 'system');
      assert.match(report.ended?.note ?? '', /nobody-home.*not registered/);
    });
  });

  describe('playback', function () {
    async function answered(): Promise<string> {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      return call.id;
    }

    it('plays a list: Started, Continuing (with the media just finished), Started, Finished done', async function () {
      const id = await answered();
      const r = await ari.req('POST', `/channels/${id}/play/pb1`, { media: 'sound:beep,digits:12' });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('location'), '/ari/playbacks/pb1');
      assert.deepEqual(r.body, { id: 'pb1', media_uri: 'sound:beep', next_media_uri: 'digits:12', target_uri: `channel:${id}`, language: 'en', state: 'queued' });
      const finished = await events.next(is('PlaybackFinished', id));
      const playbackEvents = events.all.filter((e) => String(e.type).startsWith('Playback')).map((e) => [e.type, (e.playback as Json).media_uri, (e.playback as Json).state]);
      assert.deepEqual(playbackEvents, [
        ['PlaybackStarted', 'sound:beep', 'playing'],
        ['PlaybackContinuing', 'sound:beep', 'continuing'],
        ['PlaybackStarted', 'digits:12', 'playing'],
        ['PlaybackFinished', 'digits:12', 'done'],
      ]);
      assert.equal((finished.playback as Json).state, 'done');
      assert.deepEqual(sim.call(id).report().heard.map((h) => [h.media, h.outcome]), [['sound:beep', 'done'], ['digits:12', 'done']]);
    });

    it('reports a stopped playback as done, and a missing sound as failed', async function () {
      const id = await answered();
      // An hour-long recording: a sound of a few seconds lasts milliseconds at 500x, which a busy machine can outlast
      // before the stop arrives (then the stop finds no playback: 404).
      sim.asterisk.defineRecording('an-hour-to-stop', 3_600_000);
      await ari.ok('POST', `/channels/${id}/play/long`, { media: 'recording:an-hour-to-stop' });
      await events.next(is('PlaybackStarted', id));
      assert.equal((await ari.req('DELETE', '/playbacks/long')).status, 204);
      const stopped = await events.next((e) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'long');
      assert.equal((stopped.playback as Json).state, 'done');
      await ari.ok('POST', `/channels/${id}/play/missing`, { media: 'sound:no-such-file' });
      const failed = await events.next((e) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'missing');
      assert.equal((failed.playback as Json).state, 'failed');
      assert.deepEqual(sim.call(id).report().heard.map((h) => h.outcome), ['stopped', 'failed']);
      assert.equal((await ari.req('DELETE', '/playbacks/long')).status, 404);
    });

    it('fails a tone: with a component other than tonezone=, as ast_control_tone does', async function () {
      const id = await answered();
      await ari.ok('POST', `/channels/${id}/play/t1`, { media: 'tone:ring;volume=10' });
      const failed = await events.next((e) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 't1');
      assert.equal((failed.playback as Json).state, 'failed');
      await ari.ok('POST', `/channels/${id}/play/t2`, { media: 'tone:ring;tonezone=fr' });
      await events.next((e) => e.type === 'PlaybackStarted' && (e.playback as Json).id === 't2');
      assert.equal((await ari.req('DELETE', '/playbacks/t2')).status, 204);
    });

    it('queues a second playback behind the first; stopping it while queued finishes it without a start', async function () {
      const id = await answered();
      // An hour of sound (7 s at 500x): the first is still playing while the second is stopped, however busy the machine.
      sim.asterisk.defineRecording('an-hour', 3_600_000);
      await ari.ok('POST', `/channels/${id}/play/first`, { media: 'recording:an-hour' });
      await ari.ok('POST', `/channels/${id}/play/second`, { media: 'sound:beep' });
      await events.next((e) => e.type === 'PlaybackStarted' && (e.playback as Json).id === 'first');
      await ari.ok('DELETE', '/playbacks/second');
      await ari.ok('DELETE', '/playbacks/first');
      await events.next((e) => e.type === 'PlaybackFinished' && (e.playback as Json).id === 'second');
      const ids = events.all.filter((e) => String(e.type).startsWith('Playback')).map((e) => `${String(e.type)}:${String((e.playback as Json).id)}`);
      assert.deepEqual(ids, ['PlaybackStarted:first', 'PlaybackFinished:first', 'PlaybackFinished:second']);
    });

    it('needs the channel in Stasis (409) and not still ringing out (412)', async function () {
      assert.deepEqual((await ari.req('POST', '/channels/nope/play', { media: 'sound:beep' })).body, { message: 'Channel not found' });
      sim.setNumber('555', { outcome: 'no-answer' });
      await ari.ok('POST', '/channels/create', { endpoint: 'PJSIP/555@trunk', app: 'app1', channelId: 'out1' });
      await events.next(is('StasisStart', 'out1'));
      const r = await ari.req('POST', '/channels/out1/play', { media: 'sound:beep' });
      assert.equal(r.status, 412);
      assert.deepEqual(r.body, { message: 'Channel in invalid state' });
    });
  });

  describe('outbound calls', function () {
    const outcome = async (number: string, behaviour: Parameters<Simulator['setNumber']>[1], timeout = 5): Promise<string[]> => {
      sim.setNumber(number, behaviour);
      const id = `o-${number}`;
      await ari.ok('POST', `/channels/${id}`, { endpoint: `PJSIP/${number}@trunk`, app: 'app1', appArgs: 'campaign,7', timeout });
      await events.next((e) => (e.type === 'ChannelDestroyed' || e.type === 'StasisStart') && channelOf(e).id === id);
      return events.typesFor(id);
    };

    // main/dial.c handle_frame reports the callee's ringing as Dial RINGING for an originate too.
    it('answered: Dial "", Ringing, Dial RINGING, Up, Dial ANSWER, then StasisStart with appArgs', async function () {
      const types = await outcome('100', { outcome: 'answer', ringMs: 200 });
      // app_stasis.c sets STASISSTATUS "" just before StasisStart (seen on Asterisk 22.11 built from releases/22).
      assert.deepEqual(types, ['Dial', 'ChannelStateChange', 'Dial', 'ChannelStateChange', 'Dial', 'ChannelVarset', 'StasisStart']);
      const dials = events.all.filter(is('Dial', 'o-100')).map((e) => e.dialstatus);
      assert.deepEqual(dials, ['', 'RINGING', 'ANSWER']);
      assert.deepEqual((await events.next(is('StasisStart', 'o-100'))).args, ['campaign', '7']);
    });

    const failures: [string, Parameters<Simulator['setNumber']>[1], number, string, string][] = [
      ['busy', { outcome: 'busy' }, 17, 'User busy', 'BUSY'],
      ['unallocated (404)', { outcome: 'unallocated' }, 1, 'Unallocated (unassigned) number', 'NOANSWER'],
      ['rejected (603)', { outcome: 'rejected' }, 21, 'Call Rejected', 'NOANSWER'],
      ['congestion (503)', { outcome: 'congestion' }, 34, 'Circuit/channel congestion', 'CONGESTION'],
      ['unavailable (480)', { outcome: 'unavailable' }, 19, 'User alerting, no answer', 'NOANSWER'],
      ['unreachable (408)', { outcome: 'unreachable' }, 18, 'No user responding', 'NOANSWER'],
      ['explicit SIP 486', { outcome: 'rejected', sipCode: 486 }, 17, 'User busy', 'BUSY'],
    ];
    failures.forEach(([name, behaviour, cause, text, dialstatus], i) => {
      it(`${name}: HangupRequest ${cause}, Dial ${dialstatus}, ChannelDestroyed "${text}", never StasisStart`, async function () {
        const number = String(600 + i);
        const types = await outcome(number, { ...behaviour, ringMs: 150 });
        assert.deepEqual(types, ['Dial', 'ChannelStateChange', 'Dial', 'ChannelHangupRequest', 'Dial', 'ChannelDestroyed']);
        const destroyed = await events.next(is('ChannelDestroyed', `o-${number}`));
        assert.deepEqual([destroyed.cause, destroyed.cause_txt], [cause, text]);
        assert.equal(events.all.filter(is('Dial', `o-${number}`)).pop()?.dialstatus, dialstatus);
      });
    });

    it('no answer within the timeout: no Dial status, ChannelDestroyed 19', async function () {
      const types = await outcome('700', { outcome: 'no-answer' }, 1);
      assert.deepEqual(types, ['Dial', 'ChannelStateChange', 'Dial', 'ChannelDestroyed']);
      const destroyed = await events.next(is('ChannelDestroyed', 'o-700'));
      assert.deepEqual([destroyed.cause, destroyed.cause_txt], [19, 'User alerting, no answer']);
    });

    it('refuses a reused channel id (409) and a missing endpoint (400)', async function () {
      sim.setNumber('800', { outcome: 'no-answer' });
      await ari.ok('POST', '/channels/dup', { endpoint: 'PJSIP/800@trunk', app: 'app1' });
      const again = await ari.req('POST', '/channels/dup', { endpoint: 'PJSIP/800@trunk', app: 'app1' });
      assert.equal(again.status, 409);
      const none = await ari.req('POST', '/channels', { app: 'app1' });
      assert.deepEqual([none.status, none.body], [400, { message: 'Endpoint must be specified' }]);
      const tech = await ari.req('POST', '/channels', { endpoint: 'DAHDI/1', app: 'app1' });
      assert.deepEqual([tech.status, tech.body], [500, { error: 'Allocation failed' }]);
    });

    it('reads the endpoint as chan_pjsip does: a SIP URI after the endpoint is dialed, a name no endpoint could have is not', async function () {
      sim.setNumber('+19005550100', { outcome: 'no-answer' });
      await ari.ok('POST', '/channels/uri', { endpoint: 'PJSIP/trunk/sip:+19005550100@evil.example.com', app: 'app1' });
      const leg = sim.asterisk.reportList().find((r) => r.id === 'uri');
      assert.deepEqual([leg?.channelName.replace(/-[0-9a-f]+$/, ''), leg?.to], ['PJSIP/trunk', '+19005550100'], 'the URI\'s user, through the endpoint trunk');
      for (const endpoint of ['PJSIP/100&PJSIP/200', 'PJSIP/trunk/tel:+19005550100', 'PJSIP/trunk/aor-nobody-has', 'PJSIP/100@', 'PJSIP/"100"']) {
        const r = await ari.req('POST', '/channels', { endpoint, app: 'app1' });
        assert.deepEqual([r.status, r.body], [500, { error: 'Allocation failed' }], endpoint);
      }
      assert.deepEqual(sim.asterisk.reportList().filter((r) => r.direction === 'outbound').map((r) => r.id), ['uri']);
    });

    it('create + dial: StasisStart at once, then Dial "", RINGING, ANSWER', async function () {
      sim.setNumber('900', { outcome: 'answer', ringMs: 200 });
      await ari.ok('POST', '/channels/create', { endpoint: 'PJSIP/900@trunk', app: 'app1', channelId: 'c900' });
      await events.next(is('StasisStart', 'c900'));
      assert.equal((await ari.req('POST', '/channels/c900/dial', { timeout: 5 })).status, 204);
      await events.next((e) => is('Dial', 'c900')(e) && e.dialstatus === 'ANSWER');
      assert.deepEqual(events.all.filter(is('Dial', 'c900')).map((e) => e.dialstatus), ['', 'RINGING', 'ANSWER']);
      const again = await ari.req('POST', '/channels/c900/dial');
      assert.deepEqual([again.status, again.body], [409, { message: "Channel is not in the 'Down' state" }]);
    });
  });

  describe('bridges, recordings, variables, applications', function () {
    it('bridges two channels: ChannelEnteredBridge each; BridgeDestroyed only to a subscribed app', async function () {
      const a = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      const b = sim.placeCall({ from: '3', to: '4', app: 'app1' });
      await events.next(is('StasisStart', b.id));
      const bridge = await ari.ok<Json>('POST', '/bridges', { type: 'mixing', bridgeId: 'br1' });
      assert.deepEqual([bridge.id, bridge.bridge_type, bridge.bridge_class, bridge.channels], ['br1', 'mixing', 'stasis', []]);
      // Seen on Asterisk 22.11 built from releases/22: a Stasis bridge's video mode is "talker" (res_stasis.c
      // stasis_app_bridge_create starts from AST_BRIDGE_VIDEO_MODE_TALKER_SRC); video_sfu / video_single change it.
      assert.equal(bridge.video_mode, 'talker');
      assert.equal((await ari.ok<Json>('POST', '/bridges', { type: 'mixing,video_sfu', bridgeId: 'br-sfu' })).video_mode, 'sfu');
      assert.equal((await ari.ok<Json>('POST', '/bridges', { type: 'mixing,video_sfu,video_single', bridgeId: 'br-single' })).video_mode, 'single');
      // Seen on Asterisk 22.11 built from releases/22: a type list with neither mixing nor holding makes no bridge.
      const weird = await ari.req('POST', '/bridges', { type: 'weird' });
      assert.deepEqual([weird.status, weird.body], [500, { message: "Unable to create bridge. Possible duplicate bridge id '(null)'" }]);
      const weirdId = await ari.req('POST', '/bridges/br-weird', { type: 'dtmf_events' });
      assert.deepEqual([weirdId.status, weirdId.body], [500, { message: 'Unable to create bridge' }]);
      assert.equal((await ari.ok<Json>('POST', '/bridges', { type: '', bridgeId: 'br-empty' })).bridge_type, 'mixing', 'an empty type is mixing');
      assert.equal((await ari.req('POST', '/bridges/br1/addChannel', { channel: `${a.id},${b.id}` })).status, 204);
      const entered = await events.next((e) => e.type === 'ChannelEnteredBridge' && channelOf(e).id === b.id);
      assert.deepEqual((entered.bridge as Json).channels, [a.id, b.id]);
      assert.deepEqual(sim.call(b.id).report().transfers.map((t) => [t.kind, t.target, t.with]), [['bridge', 'br1', [a.id]]]);
      assert.equal(events.all.filter(is('BridgeCreated')).length, 0, 'no BridgeCreated without a subscription');
      // Membership subscribes the app to the bridge only while its channels are in it; the channels
      // leave first on destroy, so only an explicit subscription hears BridgeDestroyed (as in Asterisk).
      await ari.ok('POST', '/applications/app1/subscription', { eventSource: 'bridge:br1' });
      await ari.ok('DELETE', '/bridges/br1');
      await events.next(is('BridgeDestroyed'));
      assert.equal(events.all.filter((e) => e.type === 'ChannelLeftBridge').length, 2);
      const missing = await ari.req('POST', '/bridges/br1/addChannel', { channel: a.id });
      assert.deepEqual([missing.status, missing.body], [404, { message: 'Bridge not found' }]);
    });

    it('bridge peers: BRIDGEPEER (and a PJSIP peer\'s Call-ID), the connected line of two parties; cleared on leaving', async function () {
      // Seen on Asterisk 22.11 built from releases/22 (Local channels; main/bridge.c set_bridge_peer_vars and
      // bridge_reconfigured_connected_line_update, main/bridge_channel.c bridge_channel_internal_pull).
      const a = sim.placeCall({ from: '1001', callerName: 'Ann', to: '2', app: 'app1' });
      const b = sim.placeCall({ from: '1002', callerName: 'Bob', to: '2', app: 'app1' });
      const c = sim.placeCall({ from: '1003', to: '2', app: 'app1' });
      await events.next(is('StasisStart', c.id));
      const json = (id: string): Promise<Json> => ari.ok<Json>('GET', `/channels/${id}`);
      const [ja, jb, jc] = [await json(a.id), await json(b.id), await json(c.id)];
      await ari.ok('POST', '/bridges', { type: 'mixing', bridgeId: 'bp' });
      const from = events.all.length;
      const show = (e: Json): string => `${String(channelOf(e).id)} ${String(e.type)}${e.type === 'ChannelVarset' ? ` ${String(e.variable)}=${String(e.value)}` : ''}${e.type === 'ChannelConnectedLine' ? ` ${JSON.stringify(channelOf(e).connected)}` : ''}`;
      const since = (n: number): string[] => events.all.slice(n).map(show);
      assert.equal((await ari.req('POST', '/bridges/bp/addChannel', { channel: `${a.id},${b.id}` })).status, 204);
      await events.next(is('ChannelConnectedLine', b.id), 5000, from);
      assert.deepEqual(since(from), [
        `${a.id} ChannelEnteredBridge`,
        `${b.id} ChannelEnteredBridge`,
        `${a.id} ChannelVarset BRIDGEPEER=${String(jb.name)}`,
        `${a.id} ChannelVarset BRIDGEPVTCALLID=${String(jb.protocol_id)}`,
        `${b.id} ChannelVarset BRIDGEPEER=${String(ja.name)}`,
        `${b.id} ChannelVarset BRIDGEPVTCALLID=${String(ja.protocol_id)}`,
        `${a.id} ChannelConnectedLine {"name":"Bob","number":"1002"}`,
        `${b.id} ChannelConnectedLine {"name":"Ann","number":"1001"}`,
      ]);
      // A third: each gets the names of the others, no Call-ID; the one whose join made the bridge softmix comes first
      // in the bridge's list (seen on Asterisk 22.11: c2, c0, c1 after c0, c1, c2 joined).
      const third = events.all.length;
      assert.equal((await ari.req('POST', '/bridges/bp/addChannel', { channel: c.id })).status, 204);
      await events.next((e) => is('ChannelVarset', b.id)(e) && e.variable === 'BRIDGEPVTCALLID', 5000, third);
      assert.deepEqual(since(third), [
        `${c.id} ChannelEnteredBridge`,
        `${c.id} ChannelVarset BRIDGEPEER=${String(ja.name)},${String(jb.name)}`,
        `${a.id} ChannelVarset BRIDGEPEER=${String(jc.name)},${String(jb.name)}`,
        `${a.id} ChannelVarset BRIDGEPVTCALLID=`,
        `${b.id} ChannelVarset BRIDGEPEER=${String(jc.name)},${String(ja.name)}`,
        `${b.id} ChannelVarset BRIDGEPVTCALLID=`,
      ]);
      // Leaving clears the leaver's, before ChannelLeftBridge; the two left are peers again.
      const leave = events.all.length;
      assert.equal((await ari.req('POST', '/bridges/bp/removeChannel', { channel: c.id })).status, 204);
      await events.next(is('ChannelVarset', b.id), 5000, leave);
      assert.deepEqual(since(leave).slice(0, 4), [
        `${c.id} ChannelVarset BRIDGEPEER=`,
        `${c.id} ChannelLeftBridge`,
        `${a.id} ChannelVarset BRIDGEPEER=${String(jb.name)}`,
        `${a.id} ChannelVarset BRIDGEPVTCALLID=${String(jb.protocol_id)}`,
      ]);
      assert.equal((await ari.ok<{ value: string }>('GET', `/channels/${a.id}/variable`, { variable: 'BRIDGEPEER' })).value, jb.name);
    });

    it('a member that hangs up in a bridge leaves its application subscribed to it: BridgeDestroyed comes', async function () {
      // Seen on Asterisk 22.11 built from releases/22 (res_stasis.c stasis_app_exec's bridge subscription, undone only
      // on a turn of its loop a hung-up channel never takes); members removed with removeChannel leave none.
      const a = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      const b = sim.placeCall({ from: '3', to: '4', app: 'app1' });
      await events.next(is('StasisStart', b.id));
      await ari.ok('POST', '/bridges', { type: 'mixing', bridgeId: 'br-left' });
      await ari.ok('POST', '/bridges', { type: 'mixing', bridgeId: 'br-hung' });
      assert.equal((await ari.req('POST', '/bridges/br-left/addChannel', { channel: a.id })).status, 204);
      assert.equal((await ari.req('POST', '/bridges/br-hung/addChannel', { channel: b.id })).status, 204);
      await events.next((e) => e.type === 'ChannelEnteredBridge' && channelOf(e).id === b.id);
      assert.equal((await ari.req('POST', '/bridges/br-left/removeChannel', { channel: a.id })).status, 204);
      await events.next((e) => e.type === 'ChannelLeftBridge' && channelOf(e).id === a.id);
      b.hangup(16);
      await events.next(is('StasisEnd', b.id));
      assert.deepEqual((await ari.ok<Json>('GET', '/applications/app1')).bridge_ids, ['br-hung']);
      await ari.ok('DELETE', '/bridges/br-left');
      await ari.ok('DELETE', '/bridges/br-hung');
      const destroyed = await events.next(is('BridgeDestroyed'));
      assert.equal((destroyed.bridge as Json).id, 'br-hung');
      assert.deepEqual(events.all.filter(is('BridgeDestroyed')).map((e) => (e.bridge as Json).id), ['br-hung'], 'none for the bridge left by removeChannel');
    });

    it('records: beep, talking and silence, stopped by maxSilenceSeconds', async function () {
      // Durations are measured in simulated time, at a speed that keeps what could vary far below the margins below.
      sim.asterisk.clock.speed = 10;
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ waitFor: 'answer' }, { wait: 1000 }, { talk: 2000 }] });
      await events.next(is('StasisStart', call.id));
      const r = await ari.req('POST', `/channels/${call.id}/record`, { name: 'msg1', format: 'wav', maxSilenceSeconds: 2, beep: true });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('location'), '/ari/recordings/live/msg1');
      await events.next(is('RecordingStarted', call.id));
      const done = await events.next(is('RecordingFinished', call.id));
      const rec = done.recording as Json;
      assert.equal(rec.state, 'done');
      // 4.57 s recorded: from the beep's end (0.43 s after the answer) to 2 s of silence after the talk (1 s to 3 s).
      // __ast_play_and_record reports 4 s less that silence but 200 ms (1 s): 3 s; as talk, 4 s less all silence (2.57 s)
      // but 200 ms (2 s): 2 s; see recordedDurations. The caller keeps its own timeline, so a late timer moves nothing;
      // only the moment the simulator answered and the one the script saw may differ, by far less than the 0.37 s
      // either way these figures leave.
      assert.deepEqual([rec.duration, rec.talking_duration], [3, 2]);
      assert.equal(rec.silence_duration, (rec.duration as number) - (rec.talking_duration as number));
      assert.deepEqual(await ari.ok('GET', '/recordings/stored/msg1'), { name: 'msg1', format: 'wav' });
      const again = await ari.req('POST', `/channels/${call.id}/record`, { name: 'msg1', format: 'wav' });
      assert.equal(again.status, 409);
      const format = await ari.req('POST', `/channels/${call.id}/record`, { name: 'msg2', format: 'mp9' });
      assert.deepEqual([format.status, format.body], [422, { message: 'specified format is unknown on this system' }]);
    });

    it('records: RecordingStarted and the state "recording" come before the beep, the audio after it', async function () {
      // Seen on Asterisk 22.11 built from releases/22: RecordingStarted 3 ms after the request, and GET
      // /recordings/live says "recording" while the beep plays (res_stasis_recording.c record_file sets the state,
      // then ast_play_and_record_full beeps). At this speed the beep lasts minutes: nothing here waits for it.
      sim.asterisk.clock.speed = 0.001;
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      assert.equal((await ari.req('POST', `/channels/${call.id}/record`, { name: 'during-beep', format: 'wav', beep: true })).status, 201);
      const started = await events.next(is('RecordingStarted', call.id));
      assert.equal((started.recording as Json).state, 'recording');
      assert.equal((await ari.ok<Json>('GET', '/recordings/live/during-beep')).state, 'recording');
      assert.equal((await ari.req('POST', '/recordings/live/during-beep/pause')).status, 204, 'pausable during the beep');
      assert.equal((await ari.req('POST', '/recordings/live/during-beep/stop')).status, 204);
      const done = await events.next(is('RecordingFinished', call.id));
      assert.equal((done.recording as Json).duration, 0, 'nothing was recorded during the beep');
    });

    it('sends playback and live recording JSON with its keys in Asterisk\'s order', async function () {
      // Seen on Asterisk 22.11 built from releases/22: id, media_uri, next_media_uri, target_uri, language, state;
      // name, format, state, target_uri (stasis_app_recording_to_json).
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      const r = await ari.req('POST', `/channels/${call.id}/play`, { media: 'sound:beep,sound:beep' });
      assert.deepEqual(Object.keys(r.body as Json), ['id', 'media_uri', 'next_media_uri', 'target_uri', 'language', 'state']);
      await ari.ok('DELETE', `/playbacks/${String((r.body as Json).id)}`);
      const rec = await ari.req('POST', `/channels/${call.id}/record`, { name: 'keys', format: 'wav' });
      assert.deepEqual(Object.keys(rec.body as Json), ['name', 'format', 'state', 'target_uri']);
    });

    it('stops a recording on the terminate key', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ waitFor: 'answer' }, { talk: 1000 }, { dtmf: '#' }] });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/record`, { name: 'msg3', format: 'wav', terminateOn: '#' });
      const done = await events.next(is('RecordingFinished', call.id));
      assert.equal((done.recording as Json).state, 'done');
      assert.equal((done.recording as Json).talking_duration, undefined);
    });

    it("keeps a script's steps to their lengths when the machine runs the simulator's timers late", async function () {
      // A simulated party acts on its own schedule: each step counts from when the one before it was due. A busy
      // machine running a timer late must neither stretch the talk nor move the key that ends the recording.
      sim.asterisk.clock.speed = 20;
      const call = sim.placeCall({ from: '7', to: '8', app: 'app1', script: [{ waitFor: 'answer' }, { wait: 400 }, { talk: 1200 }, { dtmf: '#' }] });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/record`, { name: 'late', format: 'wav', maxSilenceSeconds: 5, terminateOn: '#', beep: true });
      await events.next(is('RecordingStarted', call.id));
      // Hold the event loop, as a busy machine would: 150 ms are 3 simulated seconds at 20x, so the script's next timer is late.
      const until = performance.now() + 150;
      while (performance.now() < until);
      const done = (await events.next(is('RecordingFinished', call.id))).recording as Json;
      // From the beep's end (0.43 s after the answer) to the key (1.7 s after it): 1.27 s written, of which 1.2 s talk.
      assert.deepEqual([done.duration, done.talking_duration, done.silence_duration], [1, 1, 0]);
    });

    it('records no more than maxDurationSeconds, even when its timer fires late', async function () {
      // __ast_play_and_record (main/app.c) stops writing once the recording reaches its maximum: whatever a busy
      // machine does to the simulator's timers, the file and RecordingFinished say at most that.
      sim.asterisk.clock.speed = 500;
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ waitFor: 'answer' }, { talk: 60_000 }] });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/record`, { name: 'capped', format: 'wav', maxDurationSeconds: 1 });
      await events.next(is('RecordingStarted', call.id));
      // Hold the event loop, as a busy machine would: 20 ms are 10 simulated seconds at 500x, so the 1 s timer is late.
      const until = performance.now() + 20;
      while (performance.now() < until);
      const done = await events.next(is('RecordingFinished', call.id));
      assert.equal((done.recording as Json).duration, 1);
      // The stored file: a WAV of 8 kHz 16-bit mono, 16,000 bytes a second after its 44-byte header.
      const file = sim.asterisk.storedRecordingFile('capped').body;
      assert.ok(file.length <= 44 + 16_000, `a file of ${file.length} bytes`);
    });

    it('stops a recording at maxSilenceSeconds of silence, even when its timer fires late', async function () {
      // Asterisk stops writing when the silence reaches the limit; a late timer must not add silence to the file, nor
      // take more than the limit off the reported length.
      sim.asterisk.clock.speed = 500;
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ waitFor: 'answer' }] });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/record`, { name: 'quiet', format: 'wav', maxSilenceSeconds: 2 });
      await events.next(is('RecordingStarted', call.id));
      // Hold the event loop, as a busy machine would: 20 ms are 10 simulated seconds at 500x.
      const until = performance.now() + 20;
      while (performance.now() < until);
      const done = await events.next(is('RecordingFinished', call.id));
      assert.equal((done.recording as Json).duration, 1, '2 s of silence, less the silence it ended in but 200 ms');
      const file = sim.asterisk.storedRecordingFile('quiet').body;
      assert.ok(file.length <= 44 + 2 * 16_000, `a file of ${file.length} bytes: 2 s at most`);
    });

    it('sets and reads channel variables (ChannelVarset) and functions', async function () {
      const call = sim.placeCall({ from: '+1555', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'ORDER', value: '42' });
      const set = await events.next(is('ChannelVarset', call.id));
      assert.deepEqual([set.variable, set.value], ['ORDER', '42']);
      assert.deepEqual(await ari.ok('GET', `/channels/${call.id}/variable`, { variable: 'ORDER' }), { value: '42' });
      assert.deepEqual(await ari.ok('GET', `/channels/${call.id}/variable`, { variable: 'CALLERID(num)' }), { value: '+1555' });
      const missing = await ari.req('GET', `/channels/${call.id}/variable`, { variable: 'NOPE' });
      assert.deepEqual([missing.status, missing.body], [404, { message: 'Provided variable was not found' }]);
      const none = await ari.req('POST', `/channels/${call.id}/variable`, {});
      assert.deepEqual([none.status, none.body], [400, { message: 'Variable name is required' }]);
    });

    it('keeps inheritable variables by their full names, read without the underscores, and reports those a call carried into the dialplan', async function () {
      const call = sim.placeCall({ from: '+1555', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: '__TRANSIN_DATA', value: 'customer=K001' });
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: '_QUEUE', value: 'sales' });
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'QUEUE', value: 'vip' });
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'PLAIN', value: 'x' });
      // ast_str_retrieve_variable compares the name asked with ast_var_name (underscores dropped): TRANSIN_DATA, not __TRANSIN_DATA.
      assert.deepEqual(await ari.ok('GET', `/channels/${call.id}/variable`, { variable: 'TRANSIN_DATA' }), { value: 'customer=K001' });
      assert.equal((await ari.req('GET', `/channels/${call.id}/variable`, { variable: '__TRANSIN_DATA' })).status, 404);
      // pbx_builtin_setvar_helper replaces the variable of the same name without underscores: QUEUE is no longer inherited.
      assert.deepEqual(await ari.ok('GET', `/channels/${call.id}/variable`, { variable: 'QUEUE' }), { value: 'vip' });
      await ari.ok('POST', `/channels/${call.id}/continue`, { context: 'callflow-queues', extension: 'sales', priority: 1 });
      await events.next(is('StasisEnd', call.id));
      assert.deepEqual(
        call.report().transfers.map((t) => [t.kind, t.target, t.variables]),
        [['dialplan', 'callflow-queues,sales,1', { __TRANSIN_DATA: 'customer=K001' }]],
      );
    });

    it('lists the channels an application follows; the old socket gets ApplicationReplaced', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      assert.deepEqual((await ari.ok<Json>('GET', '/applications/app1')).channel_ids, [call.id]);
      const second = await ari.events('app1');
      const replaced = await events.next(is('ApplicationReplaced'));
      assert.equal(replaced.application, 'app1');
      // app_update packs a timestamp since Asterisk commit e2eb19b363 (2019, "Added timestamp as a requirement for all ARI events").
      assert.match(String(replaced.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/);
      assert.equal(replaced.asterisk_id, sim.asterisk.asteriskId);
      await ari.ok('POST', `/channels/${call.id}/answer`);
      await second.next(is('ChannelStateChange', call.id));
      assert.equal(events.all.filter(is('ChannelStateChange', call.id)).length, 0);
      await second.close();
      assert.deepEqual((await ari.req('GET', '/applications/unknown')).body, { message: 'Application not found' });
    });
  });

  describe('faults', function () {
    it('keeps calls in Stasis when the socket drops, and drops (not queues) their events', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      const closed = new Promise((r) => events.ws.once('close', r));
      sim.dropWebSockets();
      await closed;
      await ari.ok('POST', `/channels/${call.id}/answer`);
      const again = await ari.events('app1');
      assert.deepEqual((await ari.ok<Json>('GET', '/applications/app1')).channel_ids, [call.id]);
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'X', value: '1' });
      const varset = await again.next(is('ChannelVarset', call.id));
      assert.equal(channelOf(varset).state, 'Up');
      assert.equal(again.all.filter(is('ChannelStateChange')).length, 0);
      await again.close();
    });

    it('restarts: calls are gone, the startup time changes, ARI answers again', async function () {
      const before = await ari.ok<{ status: { startup_time: string } }>('GET', '/asterisk/info', { only: 'status' });
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await sim.restart(20);
      assert.deepEqual(await ari.ok('GET', '/channels'), []);
      const after = await ari.ok<{ status: { startup_time: string } }>('GET', '/asterisk/info', { only: 'status' });
      assert.notEqual(after.status.startup_time, before.status.startup_time);
      assert.deepEqual([(await call.ended()).ended?.by, (await call.ended()).ended?.note], ['system', 'Asterisk restarted']);
    });
  });
});
