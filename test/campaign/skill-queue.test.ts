/**
 * The specification's "Transfer to Skill Queue" without a call: the campaign's skill queue setting, the transfer
 * node's queue sources ({vars.name}, {campaign.skillQueue}) and its associated data, as the schemas and lib/ivr
 * check and build them. Over the wire: test/nodes/transfer-queue.test.ts and the "Skill queue campaign" example.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DialStringError } from '../../lib/ari/dialstring';
import { associatedData, encodeValue, TRANSIN_VARIABLE } from '../../lib/ivr/associated-data';
import { queueName } from '../../lib/ivr/transfer';
import { checkCampaign, campaignTemplate } from '../../lib/schemas/campaign';
import { transferConfig } from '../../lib/schemas/elements';
import { toTemplate } from '../../lib/campaign/template';

const BASE = { name: 'sales', connection: 'a1', store: 's1', callerNumbers: ['+861058000000'] };
/** What a queue name taken from a call must never be: each would reach the dialplan as more than one queue's extension. */
const HOSTILE = ['support,,,', 'Local/', '../', 'sales\nexten', 'q'.repeat(200), 'sales&PJSIP/200', '${SHELL(id)}', 'sales)', ' sales', ''];

describe('skill queue and associated data', function () {
  describe("the campaign's skill queue", function () {
    it('is optional (empty by default, as in settings stored before it existed) and kept by templates', function () {
      const r = checkCampaign(BASE);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.value.skillQueue, '');
      const s = checkCampaign({ ...BASE, skillQueue: 'sales-vip' });
      assert.ok(s.ok, JSON.stringify(s));
      assert.equal(s.value.skillQueue, 'sales-vip');
      const template = toTemplate(s.value);
      assert.equal(template.settings.skillQueue, 'sales-vip');
      assert.ok(campaignTemplate.check(template).ok);
    });

    it('refuses what is not a queue name, naming the field and the value', function () {
      // A form's strings are trimmed (" sales" is "sales"): what is left must be a queue name.
      for (const value of HOSTILE.filter((v) => v.trim() === v && v !== '')) {
        const r = checkCampaign({ ...BASE, skillQueue: value });
        assert.ok(!r.ok, value);
        assert.ok(
          r.problems.some((p) => p.startsWith('skillQueue: a queue name: 1 to 80 letters, digits, _ . or -, or empty (none) (got ')),
          `${JSON.stringify(value)}: ${JSON.stringify(r.problems)}`,
        );
      }
    });
  });

  describe("the transfer node's queue", function () {
    const transfer = (changes: Record<string, unknown>) => transferConfig.checkForm({ kind: 'queue', queue: 'support', ...changes });

    it('is a name, {vars.name} or {campaign.skillQueue}; the associated data is a list of call variable names', function () {
      for (const queue of ['support', '{vars.queue}', '{vars._q1}', '{campaign.skillQueue}']) {
        const r = transfer({ queue });
        assert.ok(r.ok, `${queue}: ${JSON.stringify(r)}`);
      }
      const r = transfer({ data: ['customer', 'order'] });
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.value.data, ['customer', 'order']);
      const none = transfer({});
      assert.deepEqual(none.ok ? none.value.data : none.problems, [], 'no data by default (flows saved before it existed)');
    });

    it('refuses other placeholders, text around one, and data that is not variable names', function () {
      for (const queue of ['{vars.}', '{vars.a-b}', '{campaign.name}', '{caller}', 'x{vars.q}', 'support,,,', '../']) {
        const r = transfer({ queue });
        assert.ok(!r.ok && r.problems.some((p) => p.startsWith('queue: a queue name (1 to 80 letters, digits, _ . or -), {vars.name} or {campaign.skillQueue}')), `${queue}: ${JSON.stringify(r)}`);
      }
      for (const data of [['a b'], ['x', 'x'], ['${X}'], Array.from({ length: 21 }, (_, i) => `v${i}`)]) {
        const r = transfer({ data });
        assert.ok(!r.ok && r.problems.some((p) => p.startsWith('data')), `${JSON.stringify(data)}: ${JSON.stringify(r)}`);
      }
    });
  });

  describe('the queue a call goes to (queueName)', function () {
    const call = (vars: Record<string, unknown>, campaign?: { name: string; skillQueue?: string }) =>
      ({ vars, campaign: campaign && { id: 'c1', customerId: 'C1', attempt: 1, number: '+8613800000001', ...campaign } }) as Parameters<typeof queueName>[1];

    it('reads a call variable or the campaign skill queue; a literal stays as written', function () {
      assert.equal(queueName('support', call({})), 'support');
      assert.equal(queueName('{vars.queue}', call({ queue: 'sales' })), 'sales');
      assert.equal(queueName('{vars.queue}', call({ queue: 42 })), '42');
      assert.equal(queueName('{campaign.skillQueue}', call({}, { name: 'renewals', skillQueue: 'sales-vip' })), 'sales-vip');
    });

    it('refuses a hostile value from a variable, naming the variable and the value', function () {
      for (const value of HOSTILE) {
        assert.throws(
          () => queueName('{vars.queue}', call({ queue: value })),
          (err: unknown) =>
            err instanceof DialStringError &&
            err.field === 'queue' &&
            (value === ''
              ? err.message === 'queue: {vars.queue}: the call variable queue is empty or not set, so there is no queue to transfer to'
              : err.message.startsWith(`queue: the queue name from the call variable queue ({vars.queue}), ${JSON.stringify(value).slice(0, 76)}`)),
          JSON.stringify(value),
        );
      }
      assert.throws(() => queueName('{vars.queue}', call({ queue: { name: 'sales' } })), /queue: the queue name from the call variable queue \(\{vars\.queue\}\), "\{\\"name\\":\\"sales\\"\}", is not a queue name/);
    });

    it('refuses a value naming one of the dialplan\'s special extensions (a caller may have keyed it in)', function () {
      for (const value of ['s', 'h', 'i', 't', 'T', 'e', 'a', 'o', 'failed', 'fax', 'talk']) {
        assert.throws(() => queueName('{vars.queue}', call({ queue: value })), new RegExp(`, "${value}", is one of Asterisk's special extensions`), value);
      }
      assert.equal(queueName('{vars.queue}', call({ queue: 'sales-h' })), 'sales-h');
    });

    it('says what is missing: a variable the call does not have (an Object.prototype name too), a call no campaign placed, a campaign without a skill queue', function () {
      assert.throws(() => queueName('{vars.constructor}', call({})), /^DialStringError: queue: \{vars\.constructor\}: the call variable constructor is empty or not set/);
      assert.throws(() => queueName('{campaign.skillQueue}', call({})), /queue: \{campaign\.skillQueue\}: this call has no skill queue to transfer to \(it is not a call a campaign placed\)/);
      assert.throws(() => queueName('{campaign.skillQueue}', call({}, { name: 'renewals' })), /\(its campaign "renewals" sets no skill queue\)/);
    });
  });

  describe('associated data (TRANSIN_DATA)', function () {
    it('is name=value pairs in the order listed, values percent-encoded, a missing variable empty', function () {
      assert.equal(TRANSIN_VARIABLE, '__TRANSIN_DATA');
      const data = associatedData(['customer', 'order', 'missing', 'toString'], { customer: 'Li Wei, VIP', order: 'A-1001', n: 1 });
      assert.equal(data, 'customer=Li%20Wei%2C%20VIP&order=A-1001&missing=&toString=');
      assert.equal(associatedData(['n', 'o'], { n: 7, o: { a: 1 } }), 'n=7&o=%7B%22a%22%3A1%7D');
    });

    it('holds only A-Z a-z 0-9 _ . - % = & whatever the values, and each value decodes back to the text', function () {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
          const data = associatedData(['a', 'b'], { a, b: b.replace(/[\uD800-\uDFFF]/g, '') });
          assert.match(data, /^[A-Za-z0-9_.%=&-]*$/);
          const [pa, pb] = data.split('&').map((pair) => decodeURIComponent(pair.slice(pair.indexOf('=') + 1)));
          assert.equal(pa, a);
          assert.equal(pb, b.replace(/[\uD800-\uDFFF]/g, ''));
        }),
      );
      for (const [text, encoded] of [
        ['${SHELL(rm -rf /)}', '%24%7BSHELL%28rm%20-rf%20%2F%29%7D'],
        ['$[1+1]', '%24%5B1%2B1%5D'],
        ["a\r\nb|c;d'e\"f!~*", 'a%0D%0Ab%7Cc%3Bd%27e%22f%21%7E%2A'],
      ] as const) {
        assert.equal(encodeValue(text), encoded);
      }
    });

    it('refuses more than a channel variable holds, naming the size, and text UTF-8 cannot hold; nothing is cut', function () {
      assert.throws(
        () => associatedData(['note'], { note: '中'.repeat(120) }),
        /^RangeError: data: the associated data of note is 1085 characters once encoded, more than the 1024 a channel variable may hold; carry fewer or shorter variables$/,
      );
      assert.equal(associatedData(['note'], { note: 'x'.repeat(1019) }).length, 1024);
      assert.throws(() => associatedData(['note'], { note: 'a\uD800b' }), /^RangeError: data: the variable note holds text that is not valid Unicode/);
    });
  });
});
