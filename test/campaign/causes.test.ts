/**
 * Failure causes (lib/campaign/causes.ts): an unanswered originate's
 * dialstatus and Q.850 hangup cause, as Asterisk reports them, mapped to
 * the campaign's failure causes. Table-driven over the dial statuses and
 * the causes a SIP trunk produces, then cross-checked with the simulated
 * Asterisk's table of called-number outcomes (docs/simulator.md, "Called
 * numbers": outcome -> SIP response -> cause -> dialstatus).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { causeForSipResponse, causeText, dialStatusForCause, sipResponseForCause } from '../../lib/ari/causes';
import { answeredOutcome, failureCause, unansweredOutcome } from '../../lib/campaign/causes';
import { FAILURE_CAUSES, type FailureCause } from '../../lib/schemas/campaign';

const root = path.resolve(__dirname, '..', '..', '..');

type Unanswered = Parameters<typeof failureCause>[0];
const unanswered = (cause: number, dialStatus?: string, lost?: Unanswered['lost']): Unanswered => ({
  answered: false,
  cause,
  causeText: `cause ${cause}`,
  ...(dialStatus !== undefined ? { dialStatus } : {}),
  ...(lost !== undefined ? { lost } : {}),
});

/**
 * Per Q.850 cause: the failure cause with no final dialstatus (absent or
 * empty), with NOANSWER, and with CHANUNAVAIL. BUSY and CONGESTION decide
 * on their own whatever the cause.
 */
const TABLE: [cause: number, meaning: string, none: FailureCause, noAnswer: FailureCause, chanUnavail: FailureCause][] = [
  [1, 'unallocated number', 'unallocated', 'unallocated', 'unallocated'],
  [3, 'no route to destination', 'unreachable', 'unreachable', 'unreachable'],
  [16, 'normal clearing', 'no-answer', 'no-answer', 'unreachable'],
  [17, 'user busy', 'busy', 'busy', 'unreachable'],
  [18, 'no user responding', 'unreachable', 'unreachable', 'unreachable'],
  [19, 'no answer', 'max-response-exceeded', 'no-answer', 'unreachable'],
  [20, 'subscriber absent', 'unreachable', 'unreachable', 'unreachable'],
  [21, 'call rejected', 'rejected', 'rejected', 'unreachable'],
  [22, 'number changed', 'unallocated', 'unallocated', 'unallocated'],
  [27, 'destination out of order', 'unreachable', 'unreachable', 'unreachable'],
  [28, 'invalid number format', 'unallocated', 'unallocated', 'unallocated'],
  [34, 'circuit congestion', 'congestion', 'congestion', 'unreachable'],
  [38, 'network out of order', 'unreachable', 'unreachable', 'unreachable'],
  [41, 'temporary failure', 'congestion', 'congestion', 'unreachable'],
  [42, 'switching equipment congestion', 'congestion', 'congestion', 'unreachable'],
];

describe('campaign failure causes', function () {
  describe('by dialstatus and hangup cause', function () {
    for (const [cause, meaning, none, noAnswer, chanUnavail] of TABLE) {
      it(`cause ${cause} (${meaning}): none ${none}, NOANSWER ${noAnswer}, CHANUNAVAIL ${chanUnavail}, BUSY busy, CONGESTION congestion`, function () {
        assert.equal(failureCause(unanswered(cause)), none, 'no dialstatus');
        assert.equal(failureCause(unanswered(cause, '')), none, "dialstatus ''");
        assert.equal(failureCause(unanswered(cause, 'NOANSWER')), noAnswer, 'NOANSWER');
        assert.equal(failureCause(unanswered(cause, 'CHANUNAVAIL')), chanUnavail, 'CHANUNAVAIL');
        assert.equal(failureCause(unanswered(cause, 'BUSY')), 'busy', 'BUSY');
        assert.equal(failureCause(unanswered(cause, 'CONGESTION')), 'congestion', 'CONGESTION');
      });
    }

    it('cause 19 after a final NOANSWER is a no answer (the callee said 480, or stopped ringing)', function () {
      assert.equal(failureCause(unanswered(19, 'NOANSWER')), 'no-answer');
    });

    it('cause 19 without a final dialstatus is the max response duration running out (the originate timed out)', function () {
      assert.equal(failureCause(unanswered(19)), 'max-response-exceeded');
      assert.equal(failureCause(unanswered(19, '')), 'max-response-exceeded');
    });

    it('a channel lost to a fault (Asterisk restarted, the connection came back without it) is lost, not a failure cause', function () {
      for (const lost of ['asterisk-restarted', 'connection-lost'] as const) {
        for (const status of [undefined, '', 'NOANSWER', 'BUSY', 'CONGESTION', 'CHANUNAVAIL']) {
          for (const cause of [0, 16, 17, 19, 34]) assert.deepEqual(unansweredOutcome(unanswered(cause, status, lost)), { outcome: 'lost', why: lost }, `${lost} ${cause} ${status}`);
        }
      }
    });

    it('cause 0 (no cause at all) is lost unless Asterisk gave a dial status of its own: dial.c derives NOANSWER from any cause it does not know', function () {
      for (const status of [undefined, '', 'NOANSWER', 'CANCEL']) assert.deepEqual(unansweredOutcome(unanswered(0, status)), { outcome: 'lost', why: 'no-cause' }, String(status));
      assert.deepEqual(unansweredOutcome(unanswered(0, 'BUSY')), { outcome: 'busy' });
      assert.deepEqual(unansweredOutcome(unanswered(0, 'CONGESTION')), { outcome: 'congestion' });
      assert.deepEqual(unansweredOutcome(unanswered(0, 'CHANUNAVAIL')), { outcome: 'unreachable' });
    });

    it("every other unanswered outcome is Asterisk's answer: its failure cause", function () {
      for (const status of [undefined, '', 'NOANSWER', 'BUSY', 'CONGESTION', 'CHANUNAVAIL']) {
        for (let cause = 1; cause <= 127; cause++) assert.deepEqual(unansweredOutcome(unanswered(cause, status)), { outcome: failureCause(unanswered(cause, status)) }, `${cause} ${status}`);
      }
    });

    it('only ever gives a failure cause the policy knows', function () {
      for (const status of [undefined, '', 'NOANSWER', 'BUSY', 'CONGESTION', 'CHANUNAVAIL', 'CANCEL', 'ANSWER']) {
        for (let cause = 0; cause <= 127; cause++) {
          const c = failureCause(unanswered(cause, status));
          assert.ok((FAILURE_CAUSES as readonly string[]).includes(c), `${cause} ${status}: ${c}`);
          assert.notEqual(c, 'originate-failed', 'only the dialer says an originate failed');
        }
      }
    });
  });

  describe('answered calls', function () {
    const end = (by: 'caller' | 'callee' | 'flow' | 'system', reason: 'hangup' | 'left-application' | 'connection-lost' | 'asterisk-restarted' = 'hangup') => ({ by, reason });

    it('a call the customer, the callee of a transfer or the flow ended is answered', function () {
      for (const by of ['caller', 'callee', 'flow'] as const) {
        for (const reason of ['hangup', 'left-application'] as const) {
          assert.deepEqual(answeredOutcome(end(by, reason), undefined, false), { outcome: 'answered' }, `${by} ${reason}`);
          assert.deepEqual(answeredOutcome(end(by, reason), undefined, true), { outcome: 'answered' }, `${by} ${reason}, with a result`);
        }
      }
    });

    it('a call the system ended before the flow set its result is lost, saying why', function () {
      assert.deepEqual(answeredOutcome(end('system', 'asterisk-restarted'), undefined, false), { outcome: 'lost', why: 'asterisk-restarted' });
      assert.deepEqual(answeredOutcome(end('system', 'connection-lost'), undefined, false), { outcome: 'lost', why: 'connection-lost' });
      assert.deepEqual(answeredOutcome(end('system'), undefined, false), { outcome: 'lost', why: 'asterisk-hangup' }, 'a soft hangup nobody here asked for (Asterisk shutting down)');
      assert.deepEqual(answeredOutcome(end('system'), 'element-error: callflow-play p1', false), { outcome: 'lost', why: 'element-error: callflow-play p1' }, 'Node-RED hung it up after a fault');
    });

    it('a call the system ended after the flow set its result reached it: answered, the fault noted', function () {
      assert.deepEqual(answeredOutcome(end('system', 'asterisk-restarted'), undefined, true), { outcome: 'answered', why: 'asterisk-restarted' });
    });
  });

  describe('the simulated Asterisk (docs/simulator.md, "Called numbers")', function () {
    /** What each simulated outcome that fails must come out as. */
    const EXPECTED: Record<string, FailureCause> = {
      busy: 'busy',
      unallocated: 'unallocated',
      rejected: 'rejected',
      congestion: 'congestion',
      unavailable: 'no-answer',
      unreachable: 'unreachable',
    };

    interface Row {
      outcome: string;
      sip: string;
      cause: string;
      dialStatus: string;
    }

    /** The rows of the table: | `outcome` | SIP | cause text | `dialstatus` |. */
    function simulatorTable(): Row[] {
      const text = fs.readFileSync(path.join(root, 'docs', 'simulator.md'), 'utf8');
      const at = text.indexOf('## Called numbers');
      assert.ok(at >= 0, 'docs/simulator.md has a "Called numbers" section');
      const section = text.slice(at, text.indexOf('\n## ', at + 1));
      const rows = section
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
      return rows.map(([outcome = '', sip = '', cause = '', dialStatus = '']) => ({ outcome: /^`([^`]+)`/.exec(outcome)?.[1] ?? outcome, sip, cause, dialStatus }));
    }

    it('documents every outcome the test expects, and no failing outcome it does not', function () {
      const outcomes = simulatorTable().map((r) => r.outcome);
      assert.deepEqual([...outcomes].sort(), ['answer', 'no-answer', ...Object.keys(EXPECTED)].sort());
    });

    for (const [outcome, expected] of Object.entries(EXPECTED)) {
      it(`${outcome} -> ${expected}`, function () {
        const row = simulatorTable().find((r) => r.outcome === outcome);
        assert.ok(row, `the table has ${outcome}`);
        const sip = Number(row.sip);
        const cause = Number(/^\d+/.exec(row.cause)?.[0]);
        const dialStatus = /^`([A-Z]+)`$/.exec(row.dialStatus)?.[1];
        assert.ok(Number.isInteger(sip) && Number.isInteger(cause) && dialStatus, `a parsable row: ${JSON.stringify(row)}`);
        // The documentation says what the simulator does (chan_pjsip's and the dialing API's mappings).
        assert.equal(causeForSipResponse(sip), cause, `SIP ${sip} gives cause ${cause}`);
        assert.equal(dialStatusForCause(cause), dialStatus, `cause ${cause} gives dialstatus ${dialStatus}`);
        assert.equal(failureCause(unanswered(cause, dialStatus)), expected);
      });
    }

    it('the documented rows read as expected: unavailable (480, 19, NOANSWER), unreachable (408, 18), rejected (603, 21), unallocated (404, 1)', function () {
      const rows = new Map(simulatorTable().map((r) => [r.outcome, r]));
      const head = (r: Row | undefined): [number, number] => [Number(r?.sip), Number(/^\d+/.exec(r?.cause ?? '')?.[0])];
      assert.deepEqual(head(rows.get('unavailable')), [480, 19]);
      assert.equal(rows.get('unavailable')?.dialStatus, '`NOANSWER`');
      assert.deepEqual(head(rows.get('unreachable')), [408, 18]);
      assert.deepEqual(head(rows.get('rejected')), [603, 21]);
      assert.deepEqual(head(rows.get('unallocated')), [404, 1]);
      assert.deepEqual(head(rows.get('busy')), [486, 17]);
      assert.deepEqual(head(rows.get('congestion')), [503, 34]);
    });

    it('no-answer: ringing out the caller\'s timeout (cause 19, no dialstatus) is max-response-exceeded; a 480 after ringMs is no-answer', function () {
      const row = simulatorTable().find((r) => r.outcome === 'no-answer');
      assert.ok(row);
      assert.match(row.cause, /^19\b/);
      assert.match(row.dialStatus, /none on timeout/);
      assert.equal(failureCause(unanswered(19)), 'max-response-exceeded');
      const cause = causeForSipResponse(480);
      assert.equal(cause, 19);
      assert.equal(failureCause(unanswered(cause, dialStatusForCause(cause))), 'no-answer');
    });

    it('a trunk answering with other SIP failures maps to a sensible cause', function () {
      const viaSip = (sip: number): FailureCause => {
        const cause = causeForSipResponse(sip);
        return failureCause(unanswered(cause, dialStatusForCause(cause)));
      };
      assert.equal(viaSip(486), 'busy');
      assert.equal(viaSip(600), 'busy');
      assert.equal(viaSip(403), 'rejected');
      assert.equal(viaSip(410), 'unallocated');
      assert.equal(viaSip(484), 'unallocated');
      assert.equal(viaSip(604), 'unallocated');
      assert.equal(viaSip(502), 'unreachable');
      assert.equal(viaSip(500), 'unreachable');
      assert.equal(viaSip(409), 'congestion');
    });
  });
});

describe('ARI cause tables and codes that are not numbers', function () {
  it('answer a cause or SIP code named as an Object.prototype member (from hostile JSON) as unknown, not with Object\'s members', function () {
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
      const code = name as unknown as number;
      assert.equal(causeText(code), 'Unknown', name);
      assert.equal(sipResponseForCause(code), 603, name);
      assert.equal(causeForSipResponse(code), 16, name);
    }
    assert.equal(causeText(17), 'User busy');
  });
});
