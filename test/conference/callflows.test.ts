/**
 * Which conference call flow a call gets and with which properties (lib/conference/callflows.ts), the meeting rooms'
 * codes (rooms.ts), and that every prompt a meeting plays by default is a core sound a stock Asterisk has.
 */
import assert from 'node:assert/strict';
import { DEFAULT_PROPERTIES, ENTRY_TONE, EXIT_TONE, chooseCallFlow, keyClashes, mergeProperties } from '../../lib/conference/callflows';
import { announced, countPrompts } from '../../lib/conference/meeting';
import { MeetingRooms } from '../../lib/conference/rooms';
import { conferenceOverride, meetingsConfig } from '../../lib/schemas/conference';
import { routingTable } from '../../lib/schemas/routing';
import { CompiledRoutes } from '../../lib/routing/table';
import { CORE_SOUNDS_EN } from '../../lib/sim/core-sounds-en';

describe('conference call flows and properties', function () {
  it('chooses the msg\'s call flow, else the node\'s, else the number\'s, the group\'s, the account\'s', function () {
    const routed = { account: { callFlow: 'open' as const }, group: { callFlow: 'secured' as const }, number: { callFlow: 'direct_host' as const } };
    const pick = (r: object, node: object, msg?: object): unknown => {
      const c = chooseCallFlow(r, node, msg, '500');
      return 'dropped' in c ? c.dropped : [c.callFlow, c.level];
    };
    assert.deepEqual(pick(routed, { callFlow: 'open' }, { callFlow: 'direct_participant' }), ['direct_participant', 'msg']);
    assert.deepEqual(pick(routed, { callFlow: 'open' }), ['open', 'node']);
    assert.deepEqual(pick(routed, { callFlow: '' }), ['direct_host', 'number']);
    assert.deepEqual(pick({ ...routed, number: {} }, {}), ['secured', 'group']);
    assert.deepEqual(pick({ account: routed.account }, {}), ['open', 'account']);
    assert.match(String(pick({}, { callFlow: '' })), /no conference call flow for 500/);
  });

  it('merges properties over the defaults, the more specific level last, a level\'s prompts replacing only those it names', function () {
    const p = mergeProperties([{ maxParticipants: 10, prompts: { askCode: ['sound:conf-getconfno'] } }, undefined, { maxParticipants: 4, waitForHost: true }, { prompts: { full: [] } }]);
    assert.equal(p.maxParticipants, 4);
    assert.equal(p.waitForHost, true);
    assert.equal(p.codeAttempts, DEFAULT_PROPERTIES.codeAttempts);
    assert.deepEqual(p.prompts.askCode, ['sound:conf-getconfno']);
    assert.deepEqual(p.prompts.full, [], 'an empty list plays nothing');
    assert.deepEqual(p.prompts.locked, DEFAULT_PROPERTIES.prompts.locked);
    assert.deepEqual(DEFAULT_PROPERTIES.prompts.askCode, ['sound:conf-getpin'], 'the defaults are not changed by a merge');
  });

  it('finds each level\'s conference settings for a dialed number in the routing table', function () {
    const table = routingTable.assert({
      account: { conference: { callFlow: 'open' } },
      groups: [{ name: 'g', numbers: ['60*'], conference: { properties: { maxParticipants: 5 } } }],
      numbers: [{ number: '601', conference: { callFlow: 'secured' } }],
    });
    const routes = new CompiledRoutes(table);
    assert.deepEqual(routes.conference('601'), { account: { callFlow: 'open' }, group: { properties: { maxParticipants: 5 } }, number: { callFlow: 'secured' } });
    assert.deepEqual(routes.conference('700'), { account: { callFlow: 'open' } });
  });

  it('plays only core sounds by default (a stock Asterisk has them), and says counts as ConfBridge does', function () {
    const uris = [...Object.values(DEFAULT_PROPERTIES.prompts).flat(), ENTRY_TONE, EXIT_TONE, ...countPrompts(1), ...countPrompts(5)].filter((u) => u.startsWith('sound:'));
    const missing = uris.map((u) => u.slice('sound:'.length)).filter((id) => !Object.hasOwn(CORE_SOUNDS_EN, id));
    assert.deepEqual(missing, []);
    assert.deepEqual(countPrompts(1), ['sound:conf-onlyone']);
    assert.deepEqual(countPrompts(3), ['sound:conf-thereare', 'number:3', 'sound:conf-otherinparty']);
  });

  it('refuses a code or a room id used twice, naming them, and a code that is not 3 to 16 digits', function () {
    assert.throws(
      () => new MeetingRooms([
        { id: 'a', name: 'A', hostCode: '111', participantCode: '222' },
        { id: 'a', name: 'B', hostCode: '', participantCode: '111' },
      ]),
      /room id "a" is used twice; code 111 leads into room "a" \(host\) and room "a" \(participant\)/,
    );
    const rooms = new MeetingRooms([{ id: 'a', name: 'A', hostCode: '111', participantCode: '222' }]);
    assert.deepEqual([rooms.lookup('111')?.role, rooms.lookup('222')?.role, rooms.lookup('333')], ['host', 'participant', undefined]);
    const bad = meetingsConfig.check({ rooms: [{ id: 'a b', name: 'x', hostCode: '12', participantCode: '12345678901234567' }] });
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.problems, [
      'rooms.0.id: a room id: 1 to 64 letters, digits, _ or - (got "a b")',
      'rooms.0.hostCode: an access code of 3 to 16 digits (empty: none) (got "12")',
      'rooms.0.participantCode: an access code of 3 to 16 digits (got "12345678901234567")',
    ]);
  });

  it('refuses a msg.conference with a media URI that could reach another host\'s files or a made-up setting', function () {
    const r = conferenceOverride.check({ properties: { prompts: { askCode: ['sound:../../etc/passwd'] }, dialOut: true } });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problems.some((p) => p.startsWith('properties.prompts.askCode.0: a media URI')), !r.ok ? r.problems.join('\n') : '');
    assert.ok(!r.ok && r.problems.includes('properties.dialOut: is not a known setting'));
  });

  it('merges keys like prompts, and names two actions on one key', function () {
    const keys = mergeProperties([{ keys: { leave: '*' } }, { keys: { count: '' } }]).keys;
    assert.deepEqual(keys, { mute: '1', count: '', leave: '*', lock: '3', muteAll: '4' });
    assert.deepEqual(keyClashes(keys), []);
    assert.deepEqual(keyClashes(mergeProperties([{ keys: { lock: '1', muteAll: '1' } }]).keys), ['keys: mute and lock are both on 1', 'keys: mute and muteAll are both on 1']);
  });

  it('announces a caller by the digits of their number only, at most 20', function () {
    assert.deepEqual(announced('+1 (555) 0100', ['sound:conf-hasjoin']), ['digits:15550100', 'sound:conf-hasjoin']);
    assert.deepEqual(announced('<script>,sound:../../x', ['sound:conf-hasleft']), ['sound:conf-hasleft']);
    assert.deepEqual(announced('9'.repeat(40), []), [`digits:${'9'.repeat(20)}`]);
  });
});
