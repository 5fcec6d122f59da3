/**
 * Names that Object.prototype also has ("constructor", "toString", "valueOf", "hasOwnProperty", "__proto__"), given
 * to the simulated Asterisk as variable, function and terminate-key names and as media file extensions: the
 * simulator answers them as Asterisk does, never with what a plain object inherits.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../../lib/sim';
import { measure } from '../../lib/sim/media';
import { useRawSimulator, type RawAri, is, type EventLog } from '../support/raw-ari';

describe('simulator: names that Object.prototype also has', function () {
  let sim: Simulator;
  let ari: RawAri;
  let events: EventLog;

  useRawSimulator((raw) => ({ sim, ari, events } = raw));

  it('takes names that Object.prototype also has as Asterisk does: no such variable, function or terminate key', async function () {
    // res/ari/resource_channels.c ast_ari_channels_get_channel_var: a name ending in ")" goes to ast_func_read2 (500
    // when no function reads it), any other to ast_str_retrieve_variable (404 when unset); ast_ari_channels_record
    // refuses what res/res_stasis_recording.c stasis_app_recording_termination_parse does not know (400).
    const call = sim.placeCall({ from: '+1555', to: '2', app: 'app1' });
    await events.next(is('StasisStart', call.id));
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
      const variable = await ari.req('GET', `/channels/${call.id}/variable`, { variable: name });
      assert.deepEqual([variable.status, variable.body], [404, { message: 'Provided variable was not found' }], name);
      const fn = await ari.req('GET', `/channels/${call.id}/variable`, { variable: `${name}(x)` });
      assert.deepEqual([fn.status, fn.body], [500, { message: 'Unable to read provided function' }], `${name}(x)`);
      const record = await ari.req('POST', `/channels/${call.id}/record`, { name: `m-${name}`, format: 'wav', terminateOn: name });
      assert.deepEqual([record.status, record.body], [400, { message: 'terminateOn invalid' }], `terminateOn ${name}`);
    }
    await ari.ok('POST', `/channels/${call.id}/variable`, { variable: '__proto__', value: 'set' });
    // Its leading "__" marks it inherited: Asterisk reads it back as "proto__" (ast_var_name, main/chanvars.c).
    assert.deepEqual(await ari.ok('GET', `/channels/${call.id}/variable`, { variable: 'proto__' }), { value: 'set' });
    assert.equal((await ari.req('GET', `/channels/${call.id}/variable`, { variable: '__proto__' })).status, 404);
    await ari.ok('POST', `/channels/${call.id}/variable`, { variable: 'constructor', value: 'built' });
    assert.deepEqual(await ari.ok('GET', `/channels/${call.id}/variable`, { variable: 'constructor' }), { value: 'built' });
    assert.deepEqual(Object.entries(call.report().variables), [['__proto__', 'set'], ['constructor', 'built']], 'the call report keeps them as its own');
  });

  it('measures fetched media by its own extensions only: a URL ending in .constructor is of unknown format, not NaN ms', function () {
    const body = Buffer.alloc(8000);
    assert.equal(measure('http://media.example/a.ulaw', '', body), 1000);
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
      assert.equal(measure(`http://media.example/a.${name}`, 'application/octet-stream', body), undefined, name);
      assert.equal(measure(`http://media.example/a.${name}`, 'audio/basic', body), 1000, `${name} (audio/basic)`);
    }
  });
});
