/**
 * The failed-call notification's templates (lib/campaign/notification.ts): unknown placeholders and stray braces
 * refused with the field named (the campaign's checks, so the form and the deploy say it), the questionnaire setting's
 * rule, and rendering: a customer's field goes in as inert text, whatever it holds.
 */
import assert from 'node:assert/strict';
import { inertValue, notifier, parseTemplate, TEXT_MAX, VALUE_MAX } from '../../lib/campaign/notification';
import type { FinalFailure } from '../../lib/campaign/dialer-port';
import { toTemplate } from '../../lib/campaign/template';
import { checkCampaign } from '../../lib/schemas/campaign';

const BASE = { name: 'notice', connection: 'a1', store: 's1', callerNumbers: ['+861058000000'] };

function problems(changes: Record<string, unknown>): string[] {
  const r = checkCampaign({ ...BASE, ...changes });
  return r.ok ? [] : r.problems;
}

function failure(custom: Record<string, unknown>): FinalFailure {
  return {
    customerId: 'S001',
    number: '+8613900000001',
    attempt: { n: 3, number: '+8613900000001', startedAt: 0, outcome: 'busy' },
    result: { code: 'busy', at: 0 },
    custom,
  };
}

describe('failed-call notification templates', function () {
  it('refuses unknown placeholders and stray braces at the check, naming the field', function () {
    assert.deepEqual(problems({ notifyType: 'sms', notifyText: 'Hello {name}, {number}' }), [
      'notifyText: unknown placeholder {name}: use {customerId}, {number}, {cause}, {result}, {attempts}, {campaign} or {custom.NAME} (a custom field: letters, digits, _ or -), and {{ }} for braces',
    ]);
    assert.match(problems({ notifyType: 'email', notifyTo: '{custom.e mail}', notifyText: 'x' })[0] ?? '', /^notifyTo: unknown placeholder \{custom\.e mail\}/);
    assert.deepEqual(problems({ notifyType: 'sms', notifyText: 'a { b' }), ['notifyText: a { at character 3 has no } after its name (write {{ for a brace)']);
    assert.deepEqual(problems({ notifyType: 'sms', notifyText: 'a } b' }), ['notifyText: a } at character 3 closes nothing (write }} for a brace)']);
    assert.deepEqual(problems({ notifyType: 'sms', notifyText: '' }), ['notifyText: a sms notification needs a text (a template such as "We could not reach you about {campaign}")']);
    assert.deepEqual(problems({ notifyType: 'fax', notifyText: 'x' }), ['notifyType: one of none, sms, email, other (got "fax")']);
    assert.match(problems({ notifyType: 'sms', notifyText: 'x'.repeat(1001) })[0] ?? '', /^notifyText: a text template of at most 1000 characters/);
    assert.match(problems({ notifyType: 'sms', notifyText: 'bell \u0007' })[0] ?? '', /^notifyText: a text template/);
    assert.deepEqual(problems({ notifyType: 'sms', notifyText: '{{literal}} for {custom.name} at {number}:\n{cause} after {attempts} ({result}) {campaign} {customerId}' }), []);
    // A template is checked even while no notification is sent: a wrong one does not wait to be switched on.
    assert.match(problems({ notifyType: 'none', notifyText: '{oops}' })[0] ?? '', /^notifyText: unknown placeholder \{oops\}/);
  });

  it('needs the questionnaire node when the questionnaire setting is not none', function () {
    assert.deepEqual(problems({ questionnaire: 'ivr' }), ['questions: the questionnaire setting ivr needs a questionnaire (a callflow-questions node)']);
    assert.deepEqual(problems({ questionnaire: 'manual-ivr', questions: 'qs' }), []);
    assert.deepEqual(problems({ questionnaire: 'manual' }), ['questionnaire: one of none, ivr, manual-ivr (got "manual")']);
    const r = checkCampaign({ ...BASE, questionnaire: 'ivr', questions: 'qs' });
    assert.ok(r.ok);
    // The questionnaire node is a link to this Node-RED, as the store is: not part of a template; the setting is.
    const template = toTemplate(r.value);
    assert.equal((template.settings as Record<string, unknown>).questions, undefined);
    assert.equal(template.settings.questionnaire, 'ivr');
  });

  it('renders the placeholders; a field holding a placeholder, a formula, control characters or 10,000 characters stays inert text', function () {
    const render = notifier({ name: 'renewals', notifyType: 'sms', notifyTo: '{number}', notifyText: '{custom.name}: {{no}} answer from {number} ({cause}, {attempts} tries, {result}) - {campaign} {custom.missing}|' });
    assert.ok(render);
    assert.deepEqual(render(failure({ name: 'Ann' })), { type: 'sms', to: '+8613900000001', text: 'Ann: {no} answer from +8613900000001 (busy, 3 tries, busy) - renewals |' });
    const hostile = render(failure({ name: '{number} =HYPERLINK("http://x")\u0000\r\n\u202e\u0085' }));
    assert.equal(hostile.text.startsWith('{number} =HYPERLINK("http://x")     : {no}'), true, hostile.text);
    const long = render(failure({ name: 'A'.repeat(10_000) })).text;
    assert.equal(long.startsWith(`${'A'.repeat(VALUE_MAX - 1)}…: `), true);
    assert.deepEqual([inertValue({ a: 1 }), inertValue(null), inertValue(['x']), inertValue(7), inertValue(true), inertValue(Number.NaN)], ['', '', '', '7', 'true', '']);
    // The whole text is bounded too, however many fields a template names.
    const many = notifier({ name: 'n', notifyType: 'other', notifyTo: '{custom.to}', notifyText: '{custom.a}'.repeat(100) });
    const text = many?.(failure({ a: 'B'.repeat(5000), to: '  ann@example.com  ' }));
    assert.equal(text?.text.length, TEXT_MAX);
    assert.equal(text?.to, 'ann@example.com');
    // A custom field named like an Object prototype member is a field the contact does not have.
    assert.equal(notifier({ name: 'n', notifyType: 'sms', notifyTo: '{number}', notifyText: '[{custom.constructor}]' })?.(failure({})).text, '[]');
    assert.equal(notifier({ name: 'n', notifyType: 'none', notifyText: 'x' }), undefined);
  });

  it('gives an SMS one phone number and an e-mail one address: a contact field naming several, or anything else, leaves no recipient', function () {
    const sms = notifier({ name: 'n', notifyType: 'sms', notifyTo: '{custom.phone}', notifyText: 'x' });
    const email = notifier({ name: 'n', notifyType: 'email', notifyTo: '{custom.email}', notifyText: 'x' });
    assert.ok(sms && email);
    const to = (render: typeof sms, value: unknown): string => render(failure({ phone: value, email: value })).to;
    assert.equal(to(sms, '+86 139-0000 (0001)'), '+8613900000001');
    for (const bad of ['+86139, +1555', '139;140', 'call me', '12', '+'.repeat(3), 'tel:+1555']) assert.equal(to(sms, bad), '', bad);
    assert.equal(to(email, 'ann@example.com'), 'ann@example.com');
    for (const bad of ['ann@example.com, eve@evil.example', 'ann@example.com;eve@evil.example', 'Ann <ann@example.com>', 'ann@', '@example.com', 'ann@localhost', 'a b@example.com', `${'a'.repeat(65)}@example.com`]) assert.equal(to(email, bad), '', bad);
  });

  it('reads {{ and }} as braces, and a lone brace after them as a problem', function () {
    assert.deepEqual(parseTemplate('{{'.repeat(500), 'notifyText'), { parts: ['{'.repeat(500)] });
    assert.deepEqual(parseTemplate('{'.repeat(999), 'notifyText'), { problems: ['notifyText: a { at character 999 has no } after its name (write {{ for a brace)'] });
  });
});
