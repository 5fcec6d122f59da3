/**
 * Fuzz: the call nodes in Node-RED, on calls from the simulated Asterisk,
 * given msgs that a hostile flow or caller could shape: prompts, languages,
 * payloads, call variables that reach dial strings and channel variables,
 * and msg.call handles that are forged, broken or not objects. Every input
 * completes exactly once (Complete, or Catch with a clear error), nothing
 * hangs, nothing crashes Node-RED, and Node-RED still takes calls after.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CREDS, connected, ivrFlow, useSimulator, type CallMsg } from '../support/ivr';
import { NODES, helper, nextMessage, node, useNodeRed } from '../support/node-red';
import { clearMessage, hostileString, hostileValue, protoName, runs } from './hostile';

interface Case {
  prompts?: unknown;
  language?: unknown;
  payload: unknown;
  result?: unknown;
  vars: Record<string, unknown>;
  forge?: 'no-call' | 'call-not-object' | 'other-id' | 'other-connection' | 'vars-not-object' | 'hostile-call';
  forged?: unknown;
}

const caseOf: fc.Arbitrary<Case> = fc.record(
  {
    prompts: fc.oneof(fc.array(hostileString, { maxLength: 4 }), hostileValue),
    language: fc.oneof(hostileString, hostileValue),
    payload: hostileValue,
    result: fc.oneof(hostileString, hostileValue),
    vars: fc.dictionary(fc.oneof(fc.constantFrom('dest', 'num', 'note'), protoName), fc.oneof(hostileString, hostileValue), { maxKeys: 4 }),
    forge: fc.constantFrom('no-call', 'call-not-object', 'other-id', 'other-connection', 'vars-not-object', 'hostile-call'),
    forged: fc.oneof(hostileString, hostileValue),
  },
  { requiredKeys: ['payload', 'vars'] },
);

/** The msg a case sends: the real call's msg with hostile parts. */
function hostileMsg(real: CallMsg, c: Case, n: number): Record<string, unknown> {
  const call = structuredClone(real.call) as unknown as Record<string, unknown>;
  call.vars = { ...(call.vars as object), ...c.vars };
  const msg: Record<string, unknown> = { _fuzz: n, topic: 'fuzz', payload: c.payload, call };
  if ('prompts' in c) msg.prompts = c.prompts;
  if ('language' in c) msg.language = c.language;
  if ('result' in c) msg.result = c.result;
  switch (c.forge) {
    case 'no-call':
      delete msg.call;
      break;
    case 'call-not-object':
      msg.call = c.forged;
      break;
    case 'other-id':
      call.id = typeof c.forged === 'string' ? c.forged : `${String(call.id)}x`;
      call.channelId = call.id;
      break;
    case 'other-connection':
      call.connection = c.forged;
      break;
    case 'vars-not-object':
      call.vars = c.forged;
      break;
    case 'hostile-call':
      msg.call = { ...call, ...(c.forged !== null && typeof c.forged === 'object' ? c.forged : { caller: c.forged }) };
      break;
    default:
  }
  return msg;
}

/** Each element under test, with settings that let it finish quickly on any input. */
const ELEMENTS: { id: string; node: Record<string, unknown> }[] = [
  { id: 'answer', node: { type: 'callflow-answer', onError: 'output', outputs: 2 } },
  { id: 'play', node: { type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: true, repeat: 1, answer: true, onError: 'output', outputs: 2 } },
  {
    id: 'collect',
    node: { type: 'callflow-collect', prompts: [], minDigits: 1, maxDigits: 4, firstDigitTimeoutSec: 0.1, interDigitTimeoutSec: 0.1, terminator: '#', pattern: '[0-9]+', retries: 0, invalidPrompts: [], timeoutPrompts: [], variable: 'digits', language: '', onError: 'output', outputs: 4 },
  },
  { id: 'menu', node: { type: 'callflow-menu', prompts: ['sound:beep'], options: ['1', '2'], labels: [], repeatKey: '', timeoutSec: 0.1, retries: 0, invalidPrompts: [], timeoutPrompts: [], language: '', onError: 'output', outputs: 5 } },
  { id: 'transfer-endpoint', node: { type: 'callflow-transfer', kind: 'endpoint', endpoint: 'PJSIP/{vars.dest}', number: '', dialString: 'PJSIP/{number}@trunk', context: '', extension: '', priority: 1, queue: '', queueContext: 'callflow-queues', flow: '', ringTimeoutSec: 5, callerId: '', onError: 'output', outputs: 3 } },
  // A queue a variable names, with hostile variables carried as associated data (__TRANSIN_DATA).
  { id: 'transfer-queue', node: { type: 'callflow-transfer', kind: 'queue', endpoint: '', number: '', dialString: 'PJSIP/{number}@trunk', context: '', extension: '', priority: 1, queue: '{vars.dest}', queueContext: 'callflow-queues', data: ['note', 'num', 'dest', 'constructor'], flow: '', ringTimeoutSec: 5, callerId: '', onError: 'output', outputs: 3 } },
  { id: 'transfer-number', node: { type: 'callflow-transfer', kind: 'number', endpoint: '', number: '{vars.num}', dialString: 'PJSIP/{number}@trunk', context: '', extension: '', priority: 1, queue: '', queueContext: 'callflow-queues', flow: '', ringTimeoutSec: 5, callerId: '', onError: 'output', outputs: 3 } },
  {
    id: 'set',
    node: {
      type: 'callflow-set',
      assignments: [
        { target: 'var', name: 'copied', type: 'msg', value: 'payload' },
        { target: 'channel', name: 'CALLERID(name)', type: 'msg', value: 'payload' },
        { target: 'channel', name: 'NOTE', type: 'call', value: 'vars.note' },
      ],
      onError: 'output',
      outputs: 2,
    },
  },
  { id: 'record', node: { type: 'callflow-record', prefix: 'fuzz', format: 'wav', maxDurationSec: 1, maxSilenceSec: 0, beep: false, terminateOn: 'any', prompts: [], variable: 'recording', language: '', onError: 'output', outputs: 3 } },
  { id: 'response', node: { type: 'callflow-response', code: 486, reason: '', media: [], language: '' } },
  { id: 'hangup', node: { type: 'callflow-hangup', reason: 'normal' } },
  { id: 'result', node: { type: 'callflow-result', result: '', subResult: '' } },
  { id: 'questionnaire', node: { type: 'callflow-questionnaire', questions: 'fq', language: '', onError: 'output', outputs: 3 } },
];

/** The questionnaire the questionnaire node asks: one question of each kind that keys answer, quickly given up. */
const FUZZ_QUESTIONS = {
  id: 'fq',
  type: 'callflow-questions',
  questionnaire: 'fuzz',
  store: '',
  questions: [
    { id: 'ok', kind: 'yesno', prompts: ['sound:beep'], timeoutSec: 0.5, retries: 0 },
    { id: 'mark', kind: 'rating', min: 0, max: 10, prompts: ['sound:beep'], timeoutSec: 0.5, retries: 0 },
  ],
};

describe('fuzz: call nodes given hostile msgs', function () {
  this.timeout(120_000);
  useNodeRed();
  const simulator = useSimulator();

  it('complete every input exactly once, with a clear error when they refuse it, and keep taking calls', async function () {
    const sim = simulator();
    const watched = ELEMENTS.map((e) => e.id);
    await helper.load(
      NODES,
      ivrFlow(
        sim,
        [
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['tap']] },
          { id: 'tap', type: 'helper' },
          { id: 'out', type: 'helper' },
          ...ELEMENTS.map((e) => ({ id: e.id, ...e.node, wires: Array.from({ length: Number(e.node.outputs ?? 1) }, () => ['out']) })),
        ],
        watched,
        { configs: [FUZZ_QUESTIONS] },
      ),
      CREDS,
    );
    await connected();
    const finished = new Map<number, string[]>();
    const note = (n: unknown, how: string): void => {
      if (typeof n === 'number') finished.set(n, [...(finished.get(n) ?? []), how]);
    };
    node('completed').on('input', (m: { _fuzz?: number }) => note(m._fuzz, 'completed'));
    node('caught').on('input', (m: { _fuzz?: number; error?: { message?: unknown } }) => {
      const message = typeof m.error?.message === 'string' ? m.error.message : JSON.stringify(m.error?.message);
      const unclear = clearMessage(message);
      note(m._fuzz, unclear ? `unclear error (${unclear}): ${JSON.stringify(message).slice(0, 300)}` : 'caught');
    });

    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ELEMENTS), caseOf, async (element, c) => {
        n += 1;
        const tapped = nextMessage<CallMsg>(node('tap'));
        const call = sim.placeCall({ from: '+15550100', to: '7000' });
        const real = await tapped;
        const msg = hostileMsg(real, c, n);
        const before = finished.get(n)?.length ?? 0;
        const ends = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${element.id} did not complete input ${n} within 20 s (a hang)`)), 20_000);
          const look = (): void => {
            if ((finished.get(n)?.length ?? 0) > before) {
              clearTimeout(timer);
              resolve();
            }
          };
          node('completed').on('input', look);
          node('caught').on('input', look);
        });
        node(element.id).receive(msg);
        await ends;
        if (!call.report().ended) call.hangup();
        await call.ended();
        const how = finished.get(n) ?? [];
        assert.ok(how.every((h) => h === 'completed' || h === 'caught'), `${element.id}: ${how.join('; ')}`);
      }),
      runs(60),
    );
    // A second completion would have arrived by now (later cases waited on the same nodes).
    for (const [i, how] of finished) assert.equal(how.length, 1, `input ${i} completed ${how.length} times: ${how.join(', ')}`);
    // Node-RED and the connection still work: a new call walks the flow.
    const tapped = nextMessage<CallMsg>(node('tap'));
    sim.placeCall({ from: '+15550100', to: '7000' });
    assert.equal((await tapped).call.flow, 'main');
  });
});
