/**
 * Media URIs as res/res_stasis_playback.c play_on_channel treats them
 * (commit f0c1c1a7): what each scheme accepts, and what a medium Asterisk
 * cannot play does to the playback's events (docs/simulator.md).
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { sayNumberFiles } from '../../lib/sim/sounds';
import { useRawSimulator, type RawAri, is, type EventLog } from '../support/raw-ari';

type Json = Record<string, unknown>;
const playbackEvents = (events: EventLog, id: string): [unknown, unknown, unknown][] =>
  events.all
    .filter((e) => String(e.type).startsWith('Playback') && (e.playback as Json).id === id)
    .map((e) => [e.type, (e.playback as Json).media_uri, (e.playback as Json).state]);

describe('simulator: media URIs as play_on_channel plays them', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;
  let channelId: string;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  beforeEach(async function () {
    const call = sim.placeCall({ from: '1', to: '2', app: 'app1' });
    await events.next(is('StasisStart', call.id));
    await ari.ok('POST', `/channels/${call.id}/answer`);
    channelId = call.id;
  });

  const started = (id: string, media?: string) => (e: Json): boolean =>
    e.type === 'PlaybackStarted' && (e.playback as Json).id === id && (media === undefined || (e.playback as Json).media_uri === media);
  const finished = (id: string) => (e: Json): boolean => e.type === 'PlaybackFinished' && (e.playback as Json).id === id;

  for (const media of ['recording:no-such-recording', 'video:cat.mp4', 'number:many']) {
    it(`${media} alone: PlaybackStarted and then nothing; the playback is gone and the next one plays`, async function () {
      await ari.ok('POST', `/channels/${channelId}/play/bad`, { media });
      await ari.ok('POST', `/channels/${channelId}/play/next`, { media: 'sound:beep' });
      await events.next(finished('next'));
      assert.deepEqual(playbackEvents(events, 'bad'), [['PlaybackStarted', media, 'playing']]);
      assert.deepEqual((await ari.req('GET', '/playbacks/bad')).status, 404);
    });
  }

  it('a medium it cannot play inside a list: no PlaybackContinuing for it, the next one starts', async function () {
    await ari.ok('POST', `/channels/${channelId}/play/list`, { media: 'sound:beep,recording:no-such-recording,sound:beep' });
    await events.next(finished('list'));
    assert.deepEqual(playbackEvents(events, 'list'), [
      ['PlaybackStarted', 'sound:beep', 'playing'],
      ['PlaybackContinuing', 'sound:beep', 'continuing'],
      ['PlaybackStarted', 'recording:no-such-recording', 'playing'],
      ['PlaybackStarted', 'sound:beep', 'playing'],
      ['PlaybackFinished', 'sound:beep', 'done'],
    ]);
  });

  it('splits a media list as __ast_app_separate_args does: not inside () [] "", quotes and backslashes removed', async function () {
    await ari.ok('POST', `/channels/${channelId}/play/split`, { media: 'characters:(a,b),characters:"c,d",characters:e\\,f' });
    await events.next(finished('split'));
    assert.deepEqual(
      playbackEvents(events, 'split').filter(([type]) => type === 'PlaybackStarted').map(([, media]) => media),
      ['characters:(a,b)', 'characters:c,d', 'characters:e,f'],
    );
  });

  it('number: reads like sscanf("%30d"): blanks and a sign before, anything after ignored', async function () {
    await ari.ok('POST', `/channels/${channelId}/play/n1`, { media: 'number: +12abc' });
    const done = await events.next(finished('n1'));
    assert.equal((done.playback as Json).state, 'done');
  });

  it('number: in English as get_number_str_en names the files', function () {
    assert.deepEqual(sayNumberFiles(0), ['digits/0']);
    assert.deepEqual(sayNumberFiles(-5), ['digits/minus', 'digits/5']);
    assert.deepEqual(sayNumberFiles(113), ['digits/1', 'digits/hundred', 'digits/13']);
    assert.deepEqual(sayNumberFiles(2_001_042), ['digits/2', 'digits/million', 'digits/1', 'digits/thousand', 'digits/40', 'digits/2']);
    // INT_MAX is "too big" for get_number_str_en: nothing is said.
    assert.deepEqual(sayNumberFiles(2_147_483_647), []);
  });

  it('a started tone plays until it is stopped, and can be stopped', async function () {
    await ari.ok('POST', `/channels/${channelId}/play/t`, { media: 'tone:ring' });
    await events.next(started('t'));
    assert.equal((await ari.req('DELETE', '/playbacks/t')).status, 204);
    assert.equal(((await events.next(finished('t'))).playback as Json).state, 'done');
  });
});
