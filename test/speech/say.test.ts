/**
 * lib/speech/say.ts: say: prompts and the call variables they say, as text only.
 */
import assert from 'node:assert/strict';
import { SAY_PATTERN, TEXT_MAX, VALUE_MAX, parseSay, renderSay } from '../../lib/speech/say';

const pattern = new RegExp(`^${SAY_PATTERN}$`);

describe('say: prompts (lib/speech/say)', function () {
  it('puts call variables in as text', function () {
    assert.equal(renderSay('say:Hello {vars.name}, you owe {vars.amount} euros.', { name: 'Ann', amount: 12.5 }), 'Hello Ann, you owe 12.5 euros.');
    assert.equal(renderSay('say:{{literal}} {vars.ok}', { ok: true }), '{literal} true');
  });

  it('says nothing for values that are not text, numbers or booleans, and for variables not set (Object.prototype names too)', function () {
    assert.equal(renderSay('say:a {vars.o} b {vars.missing} c {vars.toString} d', { o: { x: 1 } }), 'a b c d');
  });

  it('reads a value as text once: a value holding a placeholder, markup or a URL stays those characters', function () {
    assert.equal(renderSay('say:{vars.v}', { v: '{vars.secret} <speak> sound:http://evil/x' }), '{vars.secret} <speak> sound:http://evil/x');
  });

  it('turns control and bidirectional characters of a value into spaces and cuts long values and texts', function () {
    assert.equal(renderSay('say:[{vars.v}]', { v: 'a\nb\u0000c\u202ed\u0085e' }), '[a b c d e]');
    assert.equal(renderSay('say:{vars.v}', { v: 'x'.repeat(5000) }).length, VALUE_MAX);
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`v${i}`, 'y'.repeat(VALUE_MAX)]));
    assert.equal(renderSay(`say:${Array.from({ length: 10 }, (_, i) => `{vars.v${i}}`).join(' ')}`, many).length, TEXT_MAX);
  });

  it('the pattern takes text, {vars.NAME}, {{ and }}, and refuses lone braces, other placeholders and control characters', function () {
    assert.ok(pattern.test('say:Hello, {vars.name}! {{ok}}'));
    for (const bad of ['say:', 'say:{name}', 'say:a } b', 'say:{vars.}', 'say:line\nbreak', 'say:{vars.a b}']) assert.ok(!pattern.test(bad), bad);
    assert.throws(() => parseSay('say:{name}'), /a \{ at character 1 does not start \{vars\.NAME\}/);
    assert.throws(() => parseSay('say:a }'), /a \} at character 3 closes nothing/);
  });
});
