/**
 * The events an application receives about a channel, in Asterisk's order
 * and with Asterisk's fields: originates, created and dialed channels,
 * hangups and their causes, variables, and Local channels. Each case names
 * the Asterisk source it follows (the mirror's commit is in
 * docs/simulator.md, "How faithful it is"). Checked with the raw client, so
 * the adapter under test elsewhere plays no part.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { useRawSimulator, type RawAri, is, type EventLog } from '../support/raw-ari';

type Json = Record<string, unknown>;
const channelOf = (e: Json): Json => e.channel as Json;
/** app_stasis.c's own STASISSTATUS around every Stasis() (its own test below; left out of the other sequences). */
const stasisStatus = (e: Json): boolean => e.type === 'ChannelVarset' && e.variable === 'STASISSTATUS';
/** The events about one channel: type and, for Dial, its status. */
const sequence = (events: EventLog, id: string, withStasisStatus = false): string[] =>
  events.all
    .filter((e) => withStasisStatus || !stasisStatus(e))
    .filter((e) => (e.type === 'Dial' ? (e.peer as Json).id === id : (e.channel as Json | undefined)?.id === id))
    .map((e) => (e.type === 'Dial' ? `Dial ${String(e.dialstatus) || '""'}` : e.type === 'ChannelStateChange' ? `State ${String(channelOf(e).state)}` : String(e.type)));

describe('simulator: channel events as Asterisk sends them', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  describe('originate to PJSIP (resource_channels.c ari_channels_handle_originate_with_id, main/dial.c)', function () {
    it('answered: Dial "", Ringing with Dial RINGING, Up, Dial ANSWER, StasisStart', async function () {
      sim.setNumber('100', { outcome: 'answer', ringMs: 300 });
      const created = await ari.ok<Json>('POST', '/channels/o1', { endpoint: 'PJSIP/100@trunk', app: 'app1', callerId: '"Shop" <+15550100>' });
      // The answer is the snapshot after ast_dial_prerun: AppDial2, and the caller id as caller and connected line.
      assert.deepEqual([created.state, (created.dialplan as Json).app_name, (created.dialplan as Json).app_data], ['Down', 'AppDial2', '(Outgoing Line)']);
      assert.deepEqual([created.caller, created.connected], [{ name: 'Shop', number: '+15550100' }, { name: 'Shop', number: '+15550100' }]);
      assert.match(String(created.protocol_id), /^.{8}-.{4}-.{4}-.{4}-.{12}$/, 'the SIP Call-ID (testsuite originate_to_pjsip_endpoint)');
      await events.next(is('StasisStart', 'o1'));
      assert.deepEqual(sequence(events, 'o1'), ['Dial ""', 'State Ringing', 'Dial RINGING', 'State Up', 'Dial ANSWER', 'StasisStart']);
      const dials = events.all.filter(is('Dial', 'o1'));
      assert.deepEqual(dials.map((e) => e.dialstring), ['100@trunk', '100@trunk', '100@trunk'], 'handle_frame publishes channel->device');
      assert.ok(dials.every((e) => e.caller === undefined), 'an originate has no caller channel');
      assert.equal((channelOf(await events.next(is('StasisStart', 'o1'))).dialplan as Json).app_name, 'Stasis');
    });

    it('busy: ChannelHangupRequest and ChannelDestroyed carry the SIP code as tech_cause', async function () {
      sim.setNumber('101', { outcome: 'busy', ringMs: 200 });
      await ari.ok('POST', '/channels/o2', { endpoint: 'PJSIP/101@trunk', app: 'app1' });
      const destroyed = await events.next(is('ChannelDestroyed', 'o2'));
      assert.deepEqual(sequence(events, 'o2'), ['Dial ""', 'State Ringing', 'Dial RINGING', 'ChannelHangupRequest', 'Dial BUSY', 'ChannelDestroyed']);
      const request = await events.next(is('ChannelHangupRequest', 'o2'));
      assert.deepEqual([request.cause, request.tech_cause, request.soft], [17, 486, undefined]);
      assert.deepEqual([destroyed.cause, destroyed.cause_txt, destroyed.tech_cause], [17, 'User busy', 486]);
    });

    it('no answer in time: ChannelDestroyed 19 with tech_cause 480, no request and no Dial status', async function () {
      sim.setNumber('102', { outcome: 'no-answer' });
      await ari.ok('POST', '/channels/o3', { endpoint: 'PJSIP/102@trunk', app: 'app1', timeout: 1 });
      const destroyed = await events.next(is('ChannelDestroyed', 'o3'));
      assert.deepEqual(sequence(events, 'o3'), ['Dial ""', 'State Ringing', 'Dial RINGING', 'ChannelDestroyed']);
      assert.deepEqual([destroyed.cause, destroyed.tech_cause], [19, 480]);
    });

    it('DELETE after the answer: the request is soft (32); ChannelDestroyed follows StasisEnd (the originate keeps the app subscribed)', async function () {
      sim.setNumber('103', { outcome: 'answer', ringMs: 150 });
      await ari.ok('POST', '/channels/o4', { endpoint: 'PJSIP/103@trunk', app: 'app1' });
      await events.next(is('StasisStart', 'o4'));
      await ari.ok('DELETE', '/channels/o4', { reason: 'busy' });
      const destroyed = await events.next(is('ChannelDestroyed', 'o4'));
      assert.deepEqual(sequence(events, 'o4').slice(-3), ['ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed']);
      const request = await events.next(is('ChannelHangupRequest', 'o4'));
      assert.deepEqual([request.cause, request.soft, request.tech_cause], [32, true, undefined]);
      assert.deepEqual([destroyed.cause, destroyed.tech_cause], [17, 486], 'chan_pjsip_hangup sets hangup_cause2sip(17)');
    });
  });

  describe('continue into the dialplan (res/stasis/app.c subscriptions)', function () {
    it('an originated channel: StasisEnd, then its ChannelDestroyed still comes (the originate\'s subscription stays)', async function () {
      sim.setNumber('110', { outcome: 'answer', ringMs: 150 });
      await ari.ok('POST', '/channels/k1', { endpoint: 'PJSIP/110@trunk', app: 'app1' });
      await events.next(is('StasisStart', 'k1'));
      await ari.req('POST', '/channels/k1/continue', { context: 'default', extension: '2000', priority: 1 });
      await events.next(is('StasisEnd', 'k1'));
      sim.call('k1').hangup();
      await events.next(is('ChannelDestroyed', 'k1'));
      assert.deepEqual(sequence(events, 'k1').slice(-3), ['StasisEnd', 'ChannelHangupRequest', 'ChannelDestroyed']);
    });

    it('STASISSTATUS: "" before StasisStart and SUCCESS after StasisEnd, heard only by an application following the channel', async function () {
      // Seen on Asterisk 22.11 built from releases/22 (apps/app_stasis.c app_exec, lines 102 and 148): an originated
      // channel's application gets ChannelVarset STASISSTATUS "" just before StasisStart and STASISSTATUS SUCCESS after
      // StasisEnd, before ChannelDestroyed; a dialplan call's application is not subscribed at either moment.
      sim.setNumber('200', { outcome: 'answer', ringMs: 0 });
      await ari.ok('POST', '/channels/o-ss', { endpoint: 'PJSIP/200@trunk', app: 'app1' });
      await events.next(is('StasisStart', 'o-ss'));
      await ari.ok('DELETE', '/channels/o-ss');
      await events.next(is('ChannelDestroyed', 'o-ss'));
      const around = events.all.filter((e) => channelOf(e)?.id === 'o-ss' && ['ChannelVarset', 'StasisStart', 'StasisEnd', 'ChannelDestroyed'].includes(String(e.type)));
      assert.deepEqual(around.map((e) => (e.type === 'ChannelVarset' ? `${String(e.variable)}=${String(e.value)}` : e.type)), ['STASISSTATUS=', 'StasisStart', 'StasisEnd', 'STASISSTATUS=SUCCESS', 'ChannelDestroyed']);
      const call = sim.placeCall({ from: '1001', to: '500', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('DELETE', `/channels/${call.id}`);
      await events.next(is('StasisEnd', call.id));
      assert.deepEqual(sequence(events, call.id, true), ['StasisStart', 'ChannelHangupRequest', 'StasisEnd']);
    });

    it('a dialplan call: StasisEnd is the last event the application gets', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/answer`);
      await ari.req('POST', `/channels/${call.id}/continue`);
      await events.next(is('StasisEnd', call.id));
      call.hangup();
      await call.ended();
      // A later call's StasisStart comes over the same socket after anything the hangup sent.
      const marker = sim.placeCall({ from: '3', to: '4', app: 'app1' });
      await events.next(is('StasisStart', marker.id));
      assert.deepEqual(sequence(events, call.id), ['StasisStart', 'State Up', 'StasisEnd']);
    });
  });

  describe('create and dial (ast_ari_channels_create, control.c app_control_dial, bridge_channel.c bridge_handle_trip)', function () {
    it('variables set after the subscription: ChannelCallerId, ChannelConnectedLine, ChannelVarset; then ChannelDialplan Stasis and StasisStart', async function () {
      const created = await ari.ok<Json>('POST', '/channels/create', { endpoint: 'PJSIP/200@trunk', app: 'app1', appArgs: 'transfer,x', channelId: 'c1' }, { variables: { 'CALLERID(num)': '+15550100', 'CONNECTEDLINE(num)': '+15550100', MARK: 'node-1' } });
      assert.equal((created.dialplan as Json).app_name, '', 'the answer is the snapshot before the channel thread runs Stasis');
      const start = await events.next(is('StasisStart', 'c1'));
      assert.deepEqual(sequence(events, 'c1'), ['ChannelCallerId', 'ChannelConnectedLine', 'ChannelVarset', 'ChannelDialplan', 'StasisStart']);
      const dialplan = await events.next(is('ChannelDialplan', 'c1'));
      assert.deepEqual([dialplan.dialplan_app, dialplan.dialplan_app_data], ['Stasis', 'app1,transfer,x']);
      const varset = await events.next(is('ChannelVarset', 'c1'));
      assert.deepEqual([varset.variable, varset.value], ['MARK', 'node-1']);
      assert.deepEqual([channelOf(start).caller, channelOf(start).connected], [{ name: '', number: '+15550100' }, { name: '', number: '+15550100' }]);
      assert.deepEqual(start.args, ['transfer', 'x']);
    });

    it('dial with a caller: the callee gets its connected line; Dial events carry no caller, and the dial string only on the first', async function () {
      sim.setNumber('201', { outcome: 'answer', ringMs: 300 });
      const call = sim.placeCall({ from: '+15550111', to: '2', app: 'app1', callerName: 'Ann' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', '/channels/create', { endpoint: 'PJSIP/201@trunk', app: 'app1', channelId: 'c2' });
      await events.next(is('StasisStart', 'c2'));
      await ari.req('POST', '/channels/c2/dial', { caller: call.id, timeout: 5 });
      await events.next((e) => is('Dial', 'c2')(e) && e.dialstatus === 'ANSWER');
      assert.deepEqual(sequence(events, 'c2').slice(2), ['ChannelConnectedLine', 'Dial ""', 'State Ringing', 'Dial RINGING', 'State Up', 'Dial ANSWER']);
      const connected = await events.next(is('ChannelConnectedLine', 'c2'));
      assert.deepEqual(channelOf(connected).connected, { name: 'Ann', number: '+15550111' });
      assert.equal(sim.asterisk.report('c2')?.from, '+15550111', 'chan_pjsip sends the connected line as the caller the callee sees');
      const dials = events.all.filter(is('Dial', 'c2'));
      assert.deepEqual(dials.map((e) => e.dialstring), ['201@trunk', '', '']);
      assert.ok(dials.every((e) => e.caller === undefined));
      assert.deepEqual(sequence(events, call.id).filter((t) => t.startsWith('Dial')), [], 'the caller is not part of these Dial events');
    });

    it('busy: no Dial status (chan_pjsip queues no BUSY frame), the hangup with the SIP code, StasisEnd, ChannelDestroyed', async function () {
      sim.setNumber('202', { outcome: 'busy', ringMs: 200 });
      await ari.ok('POST', '/channels/create', { endpoint: 'PJSIP/202@trunk', app: 'app1', channelId: 'c3' });
      await events.next(is('StasisStart', 'c3'));
      await ari.req('POST', '/channels/c3/dial', { timeout: 5 });
      const destroyed = await events.next(is('ChannelDestroyed', 'c3'));
      assert.deepEqual(sequence(events, 'c3').slice(2), ['Dial ""', 'State Ringing', 'Dial RINGING', 'ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed']);
      assert.deepEqual([destroyed.cause, destroyed.tech_cause], [17, 486]);
    });

    it('no answer within the dial timeout: a soft hangup request (32), StasisEnd, ChannelDestroyed 19', async function () {
      sim.setNumber('203', { outcome: 'no-answer' });
      await ari.ok('POST', '/channels/create', { endpoint: 'PJSIP/203@trunk', app: 'app1', channelId: 'c4' });
      await events.next(is('StasisStart', 'c4'));
      await ari.req('POST', '/channels/c4/dial', { timeout: 1 });
      const destroyed = await events.next(is('ChannelDestroyed', 'c4'));
      assert.deepEqual(sequence(events, 'c4').slice(2), ['Dial ""', 'State Ringing', 'Dial RINGING', 'ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed']);
      const request = await events.next(is('ChannelHangupRequest', 'c4'));
      assert.deepEqual([request.cause, request.soft], [32, true]);
      assert.deepEqual([destroyed.cause, destroyed.tech_cause], [19, 480]);
    });
  });

  describe('hangups and variables of a call in Stasis', function () {
    it('a BYE without a cause: ChannelHangupRequest has no cause field (ast_queue_hangup)', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ wait: 50 }, { hangup: true, cause: 0 }] });
      const request = await events.next(is('ChannelHangupRequest', call.id));
      assert.equal('cause' in request, false);
      await events.next(is('StasisEnd', call.id));
    });

    it('a far end hanging up busy: the request carries the cause and chan_pjsip\'s SIP code for it', async function () {
      const call = sim.placeCall({ from: '1', to: '2', app: 'app1', script: [{ wait: 50 }, { hangup: true, cause: 17 }] });
      const request = await events.next(is('ChannelHangupRequest', call.id));
      assert.deepEqual([request.cause, request.tech_cause], [17, 486]);
    });

    it('setting CALLERID(num) sends ChannelCallerId, not ChannelVarset (ast_func_write)', async function () {
      const call = sim.placeCall({ from: '+1555', to: '2', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'CALLERID(num)', value: '+1666' });
      await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'PLAIN', value: 'x' });
      await events.next(is('ChannelVarset', call.id));
      assert.deepEqual(sequence(events, call.id), ['StasisStart', 'ChannelCallerId', 'ChannelVarset']);
      const changed = await events.next(is('ChannelCallerId', call.id));
      assert.deepEqual([(channelOf(changed).caller as Json).number, changed.caller_presentation, changed.caller_presentation_txt], ['+1666', 0, 'Presentation Allowed, Not Screened']);
    });
  });

  describe('Local channels (main/core_local.c, main/core_unreal.c)', function () {
    it('originate: two halves, ;1 enters Stasis, the app follows both; the report records ;2 going to the dialplan', async function () {
      sim.setNumber('300', { outcome: 'answer', ringMs: 300 });
      const created = await ari.ok<Json>('POST', '/channels/l1', { endpoint: 'Local/300@outbound', app: 'app1', appArgs: 'campaign', callerId: '+15550100' }, { variables: { MARK: 'node-1' } });
      assert.match(String(created.name), /^Local\/300@outbound-[0-9a-f]{8};1$/);
      assert.equal(created.protocol_id, '', 'a Local channel has no protocol');
      assert.deepEqual([created.state, (created.dialplan as Json).context, (created.dialplan as Json).exten, (created.dialplan as Json).app_name], ['Down', 'outbound', '300', 'AppDial2']);
      const start = await events.next(is('StasisStart', 'l1'));
      assert.deepEqual(start.args, ['campaign']);
      // ;1: no state change on ringing (only ANSWER changes it), Dial events with the Local dial string.
      assert.deepEqual(sequence(events, 'l1'), ['Dial ""', 'Dial RINGING', 'State Up', 'Dial ANSWER', 'StasisStart']);
      assert.deepEqual(events.all.filter(is('Dial', 'l1')).map((e) => e.dialstring), ['300@outbound', '300@outbound', '300@outbound']);
      // ;2 (id "<id>;2"): ;1's variables copied (ChannelVarset), caller and connected line crossed over, then answered.
      assert.deepEqual(sequence(events, 'l1;2'), ['ChannelVarset', 'ChannelCallerId', 'ChannelConnectedLine', 'State Up']);
      const two = channelOf(await events.next(is('ChannelCallerId', 'l1;2')));
      assert.match(String(two.name), /^Local\/300@outbound-[0-9a-f]{8};2$/);
      assert.deepEqual([two.caller, two.connected], [{ name: '', number: '+15550100' }, { name: '', number: '+15550100' }]);
      assert.deepEqual((await ari.ok<Json>('GET', '/applications/app1')).channel_ids, ['l1', 'l1;2']);
      const report = sim.asterisk.report('l1');
      assert.deepEqual([report?.to, report?.transfers.map((t) => `${t.kind} ${t.target}`)], ['300', ['dialplan outbound,300,1']]);
      assert.equal(sim.asterisk.report('l1;2'), undefined, 'the dialplan half is not a call of its own');
    });

    it(';1 bridged with a caller: its connected line becomes the caller, and ;2\'s caller id with it', async function () {
      // Seen on Asterisk 22.11 built from releases/22: main/bridge.c bridge_reconfigured_connected_line_update gives ;1
      // the caller's id as connected line, and main/core_unreal.c unreal_colp_redirect_indicate copies it to ;2's caller.
      sim.setNumber('305', { outcome: 'answer', ringMs: 0 });
      await ari.ok('POST', '/channels/l6', { endpoint: 'Local/305@outbound', app: 'app1', callerId: '"Bob" <5550199>' });
      await events.next(is('StasisStart', 'l6'));
      const call = sim.placeCall({ from: '5550100', callerName: 'Alice', to: '500', app: 'app1' });
      await events.next(is('StasisStart', call.id));
      await ari.ok('POST', '/bridges/bl6', { type: 'mixing' });
      const from = events.all.length;
      await ari.ok('POST', '/bridges/bl6/addChannel', { channel: `${call.id},l6` });
      const two = await events.next(is('ChannelCallerId', 'l6;2'), 5000, from);
      assert.deepEqual(channelOf(two).caller, { name: 'Alice', number: '5550100' });
      assert.deepEqual(channelOf(await events.next(is('ChannelConnectedLine', 'l6'), 5000, from)).connected, { name: 'Alice', number: '5550100' });
      await ari.ok('DELETE', '/channels/l6');
      await ari.ok('DELETE', `/channels/${call.id}`);
    });

    it('the application hangs ;1 up: ;2 is hung up with the cause, both are destroyed', async function () {
      sim.setNumber('301', { outcome: 'answer', ringMs: 150 });
      await ari.ok('POST', '/channels/l2', { endpoint: 'Local/301@outbound/n', app: 'app1', otherChannelId: 'l2-dialplan' });
      await events.next(is('StasisStart', 'l2'));
      await ari.ok('DELETE', '/channels/l2');
      await events.next(is('ChannelDestroyed', 'l2-dialplan'));
      const order = events.all.filter((e) => ['l2', 'l2-dialplan'].includes(String(channelOf(e)?.id)) && e.type !== 'ChannelStateChange' && e.type !== 'ChannelVarset' && e.type !== 'ChannelCallerId');
      // The end of ;2's dialplan (__ast_pbx_run's ast_softhangup(AST_SOFTHANGUP_APPUNLOAD)) adds a request with the flag
      // 16 as cause, soft, before it goes (seen on Asterisk 22.11 built from releases/22).
      assert.deepEqual(order.slice(-6).map((e) => `${String(e.type)} ${String(channelOf(e).id)}${e.soft ? ` soft ${String(e.cause)}` : ''}`), [
        'ChannelHangupRequest l2 soft 32',
        'StasisEnd l2',
        'ChannelHangupRequest l2-dialplan',
        'ChannelDestroyed l2',
        'ChannelHangupRequest l2-dialplan soft 16',
        'ChannelDestroyed l2-dialplan',
      ]);
      const request = await events.next(is('ChannelHangupRequest', 'l2-dialplan'));
      assert.deepEqual([request.cause, request.soft], [16, undefined]);
      const destroyed = await events.next(is('ChannelDestroyed', 'l2'));
      assert.deepEqual([destroyed.cause, destroyed.tech_cause], [16, undefined], 'a Local channel has no SIP code');
    });

    it('the number is busy: ;2\'s dialplan ends with 17, ;1 gets the request, Dial BUSY, ChannelDestroyed', async function () {
      sim.setNumber('302', { outcome: 'busy', ringMs: 150 });
      await ari.ok('POST', '/channels/l3', { endpoint: 'Local/302@outbound', app: 'app1' });
      await events.next(is('ChannelDestroyed', 'l3'));
      assert.deepEqual(sequence(events, 'l3'), ['Dial ""', 'Dial RINGING', 'ChannelHangupRequest', 'Dial BUSY', 'ChannelDestroyed']);
      // Hangup() in the dialplan sends no request of its own; the end of the dialplan does (APPUNLOAD: 16, soft).
      assert.deepEqual(sequence(events, 'l3;2'), ['ChannelHangupRequest', 'ChannelDestroyed']);
      const appUnload = await events.next(is('ChannelHangupRequest', 'l3;2'));
      assert.deepEqual([appUnload.cause, appUnload.soft], [16, true]);
      const destroyed = await events.next(is('ChannelDestroyed', 'l3'));
      assert.deepEqual([destroyed.cause, (await events.next(is('ChannelHangupRequest', 'l3'))).cause], [17, 17]);
      assert.deepEqual(sim.asterisk.report('l3')?.ended?.by, 'callee');
    });

    it('the callee hangs up after answering: ;1 gets the request with the cause before ;2 is gone, then StasisEnd', async function () {
      sim.setNumber('303', { outcome: 'answer', ringMs: 150, script: [{ wait: 100 }, { hangup: true }] });
      await ari.ok('POST', '/channels/l4', { endpoint: 'Local/303@outbound', app: 'app1' });
      await events.next(is('ChannelDestroyed', 'l4'));
      assert.deepEqual(sequence(events, 'l4').slice(-3), ['ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed']);
      const order = events.all.filter((e) => e.type === 'ChannelDestroyed' || e.type === 'ChannelHangupRequest').map((e) => `${String(e.type)} ${String(channelOf(e).id)}`);
      // ;2's dialplan ends first (APPUNLOAD), as Hangup(21) did on Asterisk 22.11 built from releases/22.
      assert.deepEqual(order, ['ChannelHangupRequest l4;2', 'ChannelHangupRequest l4', 'ChannelDestroyed l4;2', 'ChannelDestroyed l4']);
    });

    it('create + dial: only ;1 is followed; no Dial status for a failure (the dial bridge)', async function () {
      sim.setNumber('304', { outcome: 'busy', ringMs: 150 });
      await ari.ok('POST', '/channels/create', { endpoint: 'Local/304@outbound', app: 'app1', channelId: 'l5' });
      await events.next(is('StasisStart', 'l5'));
      await ari.req('POST', '/channels/l5/dial', { timeout: 5 });
      await events.next(is('ChannelDestroyed', 'l5'));
      assert.deepEqual(sequence(events, 'l5'), ['ChannelDialplan', 'StasisStart', 'Dial ""', 'Dial RINGING', 'ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed']);
      assert.deepEqual(sequence(events, 'l5;2'), []);
    });

    it('a Local channel hung up before it was dialed: ;2, whose dialplan never ran, goes without a hangup request', async function () {
      const all = await ari.events('watcher', { subscribeAll: true });
      await ari.ok('POST', '/channels/create', { endpoint: 'Local/306@outbound', app: 'app1', channelId: 'l8' });
      await events.next(is('StasisStart', 'l8'));
      await ari.ok('DELETE', '/channels/l8');
      await all.next(is('ChannelDestroyed', 'l8;2'));
      assert.deepEqual(sequence(all, 'l8;2'), ['ChannelCreated', 'ChannelDestroyed']);
      await all.close();
    });

    it('refuses a taken id for either half (409); without "@" the context is "default"', async function () {
      sim.setNumber('305', { outcome: 'no-answer' });
      await ari.ok('POST', '/channels/l6', { endpoint: 'Local/305@outbound', app: 'app1' });
      const taken = await ari.req('POST', '/channels/l7', { endpoint: 'Local/305', app: 'app1', otherChannelId: 'l6;2' });
      assert.deepEqual([taken.status, taken.body], [409, { message: 'Channel with given unique ID already exists' }]);
      const noContext = await ari.ok<Json>('POST', '/channels', { endpoint: 'Local/305', app: 'app1' });
      assert.equal((noContext.dialplan as Json).context, 'default', 'local_alloc: no "@" means the default context');
    });
  });
});
