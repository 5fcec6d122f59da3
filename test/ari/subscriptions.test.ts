/**
 * Who hears which event (lib/ari/subscriptions.ts): the application's listeners hear every event, a channel's
 * watchers hear the events that name that channel wherever the event names it, a throwing listener does not keep the
 * event from the others, and a listener removed while an event is delivered still hears that event but not the next.
 */
import assert from 'node:assert/strict';
import type { ChannelWatcher, TelephonyEvent } from '../../lib/ari/port';
import { Subscriptions, channelIdsOf } from '../../lib/ari/subscriptions';
import type { Channel } from '../../lib/ari/types';
import { MemoryLogger } from '../support/telephony';

const channel = (id: string): Channel => ({ id }) as Channel;
const dtmf = (id: string, digit: string): TelephonyEvent => ({ type: 'ChannelDtmfReceived', digit, duration_ms: 100, channel: channel(id) }) as TelephonyEvent;
const dial = (caller: string, peer: string): TelephonyEvent => ({ type: 'Dial', caller: channel(caller), peer: channel(peer), dialstatus: 'RINGING' }) as TelephonyEvent;
const playbackOn = (id: string): TelephonyEvent =>
  ({ type: 'PlaybackFinished', playback: { id: 'p1', media_uri: 'sound:beep', target_uri: `channel:${id}`, state: 'done' } }) as TelephonyEvent;

describe('ARI subscriptions', function () {
  it('finds every channel an event names: its channel, a dial\'s caller and peer, a playback\'s target, a lost channel', function () {
    assert.equal(channelIdsOf(dtmf('a', '1')), 'a');
    assert.deepEqual(new Set(channelIdsOf(dial('a', 'b'))), new Set(['a', 'b']));
    assert.equal(channelIdsOf(playbackOn('c')), 'c');
    assert.equal(channelIdsOf({ type: 'ChannelLost', channelId: 'd', reason: 'connection-lost' }), 'd');
    const bridgePlayback = { type: 'PlaybackFinished', playback: { id: 'p2', media_uri: 'sound:beep', target_uri: 'bridge:b1', state: 'done' } } as TelephonyEvent;
    assert.equal(channelIdsOf(bridgePlayback), undefined);
  });

  it('gives the application every event and each channel\'s watchers the events naming that channel', function () {
    const subs = new Subscriptions(new MemoryLogger());
    const app: string[] = [];
    const a: string[] = [];
    const b: string[] = [];
    subs.onEvent((e) => app.push(e.type));
    subs.watchChannel('a', (e) => a.push(e.type));
    subs.watchChannel('b', (e) => b.push(e.type));
    subs.deliver(dtmf('a', '5'));
    subs.deliver(dial('a', 'b'));
    subs.deliver(playbackOn('b'));
    assert.deepEqual(app, ['ChannelDtmfReceived', 'Dial', 'PlaybackFinished']);
    assert.deepEqual(a, ['ChannelDtmfReceived', 'Dial']);
    assert.deepEqual(b, ['Dial', 'PlaybackFinished']);
  });

  it('logs a listener that throws and still delivers the event to the others', function () {
    const log = new MemoryLogger();
    const subs = new Subscriptions(log);
    const heard: string[] = [];
    subs.onEvent(() => {
      throw new Error('broken listener');
    });
    subs.onEvent((e) => heard.push(`app ${e.type}`));
    subs.watchChannel('a', () => {
      throw new Error('broken watcher');
    });
    subs.watchChannel('a', (e) => heard.push(`watcher ${e.type}`));
    subs.deliver(dtmf('a', '1'));
    assert.deepEqual(heard, ['app ChannelDtmfReceived', 'watcher ChannelDtmfReceived']);
    assert.equal(log.lines.filter((l) => l.startsWith('error a listener failed on ChannelDtmfReceived')).length, 2);
    assert.ok(log.lines.some((l) => l.includes('broken watcher')));
  });

  it('lets a listener removed during an event hear that event but not the next, and ends a channel\'s watchers', function () {
    const subs = new Subscriptions(new MemoryLogger());
    const heard: string[] = [];
    let removeSecond = (): void => undefined;
    subs.watchChannel('a', (e) => {
      heard.push(`first ${(e as { digit: string }).digit}`);
      removeSecond();
    });
    removeSecond = subs.watchChannel('a', (e) => heard.push(`second ${(e as { digit: string }).digit}`));
    subs.deliver(dtmf('a', '1'));
    subs.deliver(dtmf('a', '2'));
    assert.deepEqual(heard, ['first 1', 'second 1', 'first 2']);
    assert.equal(subs.watchedChannels, 1);
    subs.endChannel('a');
    assert.equal(subs.watchedChannels, 0);
    subs.deliver(dtmf('a', '3'));
    assert.deepEqual(heard, ['first 1', 'second 1', 'first 2']);
  });

  it('gives a watcher object (a key reader) its channel\'s events until removed, once however often it is added', function () {
    const log = new MemoryLogger();
    const subs = new Subscriptions(log);
    const heard: string[] = [];
    const watcher: ChannelWatcher = { onChannelEvent: (e) => heard.push(`${e.type} ${(e as { digit?: string }).digit ?? ''}`) };
    const broken: ChannelWatcher = {
      onChannelEvent: () => {
        throw new Error('broken watcher object');
      },
    };
    subs.add('a', broken);
    subs.add('a', watcher);
    subs.add('a', watcher);
    subs.deliver(dtmf('a', '1'));
    subs.deliver(dtmf('b', '2'));
    subs.deliver(playbackOn('a'));
    assert.deepEqual(heard, ['ChannelDtmfReceived 1', 'PlaybackFinished ']);
    assert.equal(log.lines.filter((l) => l.includes('broken watcher object')).length, 2);
    subs.remove('a', broken);
    subs.remove('a', watcher);
    subs.remove('a', watcher);
    assert.equal(subs.watchedChannels, 0);
    subs.deliver(dtmf('a', '3'));
    assert.deepEqual(heard, ['ChannelDtmfReceived 1', 'PlaybackFinished ']);
  });
});
