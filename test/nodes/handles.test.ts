/**
 * msg.call as a capability: a node acts on a call only when msg.call carries
 * the token its session was made with. A handle made up from a call's id
 * (ids are guessable), one with a wrong token, or one with another call's
 * token is refused by every node that acts on calls, with done(err), the
 * node's status and a warning, and the call it names carries on untouched:
 * no ARI request names its channel, its prompt keeps playing, its trace and
 * variables do not change. Real handles keep working through fan-out, core
 * change nodes and link call.
 */
import assert from 'node:assert/strict';
import { requestsNaming } from '../support/ari-requests';
import { CREDS, TRANSFER, connected, ivrFlow, useSimulator, type CallEndMsg, type CallMsg } from '../support/ivr';
import { NODES, coreNode, hasText, helper, loggedText, nextMessage, node, useNodeRed, waitForStatus } from '../support/node-red';

const changeNode = coreNode('function/15-change.js');
const linkNodes = coreNode('common/60-link.js');

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Handle = Omit<CallMsg['call'], 'token'> & { token?: unknown };

/** The nodes a forged msg.call is sent to, each with no input wire: every node that acts on a call from msg.call. */
const TARGETS: Record<string, object> = {
  an: { type: 'callflow-answer', onError: 'hangup', wires: [['after']] },
  pl: { type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['after']] },
  co: {
    type: 'callflow-collect',
    prompts: ['sound:vm-enter-num-to-call'],
    minDigits: 1,
    maxDigits: 4,
    firstDigitTimeoutSec: 1,
    interDigitTimeoutSec: 1,
    terminator: '#',
    pattern: '',
    retries: 0,
    invalidPrompts: [],
    timeoutPrompts: [],
    variable: 'digits',
    language: '',
    onError: 'hangup',
    wires: [['after'], ['after'], ['after']],
  },
  tr: {
    ...TRANSFER,
    wires: [['after'], ['after']],
  },
  mn: {
    type: 'callflow-menu',
    prompts: ['sound:demo-congrats'],
    options: ['1', '2'],
    labels: ['', ''],
    repeatKey: '',
    timeoutSec: 1,
    retries: 0,
    invalidPrompts: [],
    timeoutPrompts: [],
    language: '',
    onError: 'hangup',
    wires: [['after'], ['after'], ['after'], ['after']],
  },
  rc: {
    type: 'callflow-record',
    prefix: 'voicemail',
    format: 'wav',
    maxDurationSec: 60,
    maxSilenceSec: 0,
    beep: true,
    terminateOn: '#',
    prompts: [],
    variable: 'message',
    language: '',
    onError: 'hangup',
    wires: [['after']],
  },
  rp: { type: 'callflow-response', code: 486, reason: '', media: [], language: '', wires: [] },
  hu: { type: 'callflow-hangup', reason: 'normal', wires: [] },
  st: {
    type: 'callflow-set',
    assignments: [
      { target: 'var', name: 'owned', type: 'str', value: 'yes' },
      { target: 'channel', name: 'OWNED', type: 'str', value: 'yes' },
    ],
    onError: 'hangup',
    wires: [['after']],
  },
  rs: { type: 'callflow-result', result: 'forged', subResult: '', wires: [['after']] },
};

describe('msg.call handles: a forged or stale msg.call is refused', function () {
  this.timeout(20_000);
  useNodeRed();
  const simulator = useSimulator(100);

  async function deploy(): Promise<void> {
    await helper.load(
      NODES,
      ivrFlow(
        simulator(),
        [
          // Every call is held in an endless prompt (tone:ring plays until stopped); its msg.call is copied to "started".
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['hold', 'started']] },
          { id: 'hold', type: 'callflow-play', prompts: ['tone:ring'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['after']] },
          { id: 'started', type: 'helper' },
          { id: 'after', type: 'helper' },
          ...Object.entries(TARGETS).map(([id, n]) => ({ id, ...n })),
          { id: 'end', type: 'callflow-call-end', connection: 'a1', flow: '', wires: [['ended']] },
          { id: 'ended', type: 'helper' },
        ],
        Object.keys(TARGETS),
      ),
      CREDS,
    );
    await connected();
  }

  /** Places a call and resolves with its msg.call once it is held in the endless prompt. */
  async function heldCall(from: string): Promise<{ call: ReturnType<ReturnType<typeof simulator>['placeCall']>; handle: Handle }> {
    const started = nextMessage<CallMsg>(node('started'));
    const call = simulator().placeCall({ from, to: '2' });
    const handle = (await started).call as Handle;
    await call.until('playback-start', 'tone:ring');
    return { call, handle };
  }

  it('gives each call a token of at least 128 random bits in msg.call, different for every call', async function () {
    await deploy();
    const a = await heldCall('100');
    const b = await heldCall('101');
    for (const h of [a.handle, b.handle]) {
      assert.equal(typeof h.token, 'string');
      // base64url: 6 bits a character.
      assert.ok((h.token as string).length * 6 >= 128, `token ${String(h.token).length} characters`);
    }
    assert.notEqual(a.handle.token, b.handle.token);
    assert.ok(!loggedText().includes(String(a.handle.token)), 'the token is never logged');
  });

  for (const [nodeId, settings] of Object.entries(TARGETS)) {
    const type = (settings as { type: string }).type;
    it(`${type} refuses a handle with the right id and no token, a made-up token or another call's token; the call is not disturbed`, async function () {
      await deploy();
      const other = await heldCall('100');
      const target = await heldCall('101');
      const id = target.handle.id;
      const before = target.call.report();
      assert.deepEqual(before.heard.map((h) => [h.media, h.outcome]), [['tone:ring', undefined]]);
      const forgeries: [string, Handle][] = [
        ['no token', { ...structuredClone(target.handle), token: undefined, vars: { owned: 'by me' } }],
        ['a made-up token', { ...structuredClone(target.handle), token: 'A'.repeat(32) }],
        ['a token that is not a string', { ...structuredClone(target.handle), token: 12345 }],
        ["another call's token", { ...structuredClone(target.handle), token: other.handle.token }],
        ['the id alone', { id, connection: 'a1' } as Handle],
      ];
      const requests = requestsNaming(id);
      try {
        for (const [what, forged] of forgeries) {
          const caught = nextMessage<CallMsg>(node('caught'));
          node(nodeId).receive({ call: structuredClone(forged), payload: {} });
          const error = (await caught).error?.message ?? '';
          assert.match(error, new RegExp(`^(Error: )?refused: msg\\.call names call ${escape(id)} but (carries no token|its token is not that call's)`), `${what}: ${error}`);
          assert.ok(!error.includes(String(target.handle.token)) && !error.includes(String(other.handle.token)), 'the error shows no token');
        }
        await waitForStatus(node(nodeId), hasText('callflow.status.refused-call'));
        assert.deepEqual(requests.list(), [], 'no ARI request named the call');
      } finally {
        requests.stop();
      }
      // A warning per refusal, naming the node (Node-RED logs its id and type with each), and no token in the log.
      const warnings = (helper.log().args).map((a) => a[0] as { level?: number; id?: string; type?: string; msg?: unknown }).filter((l) => l.level === 30 && /^refused: msg\.call names call/.test(String(l.msg)));
      assert.deepEqual(warnings.map((w) => [w.id, w.type]), forgeries.map(() => [nodeId, type]));
      for (const token of [target.handle.token, other.handle.token]) assert.ok(!loggedText().includes(String(token)), 'no token in the log');

      // The call carries on: its prompt still plays, nothing else happened to it.
      const after = target.call.report();
      assert.deepEqual(after.heard.map((h) => [h.media, h.outcome]), [['tone:ring', undefined]]);
      assert.equal(after.ended, undefined);
      assert.deepEqual([after.transfers, after.variables], [before.transfers, before.variables]);
      const ended = nextMessage<CallEndMsg>(node('ended'));
      target.call.hangup();
      const report = await ended;
      assert.equal(report.call.id, id);
      assert.deepEqual(report.payload.trace.map((t) => [t.node, t.outcome]), [['e1', 'routed'], ['hold', 'hangup']]);
      assert.deepEqual(report.call.vars, {}, 'no forged variable was taken over');
      assert.equal((report.call as Handle).token, undefined, "the call-end report's msg.call carries no token");
    });
  }
});

describe('msg.call handles: real handles keep working', function () {
  this.timeout(20_000);
  useNodeRed();
  const simulator = useSimulator(100);

  it('through fan-out (cloned msgs), a change node editing msg.call.vars and link call', async function () {
    await helper.load(
      [...NODES, changeNode, linkNodes],
      ivrFlow(
        simulator(),
        [
          // Two wires: Node-RED clones the msg for the second.
          { id: 'e1', type: 'callflow-entry', connection: 'a1', flow: 'main', wires: [['edit', 'copy']] },
          { id: 'copy', type: 'helper' },
          { id: 'edit', type: 'change', rules: [{ t: 'set', p: 'call.vars.tier', pt: 'msg', to: 'gold', tot: 'str' }], wires: [['lc']] },
          { id: 'lc', type: 'link call', links: ['li'], linkType: 'static', timeout: '5', wires: [['pl']] },
          { id: 'li', type: 'link in', links: [], wires: [['st']] },
          { id: 'st', type: 'callflow-set', assignments: [{ target: 'channel', name: 'TIER', type: 'call', value: 'vars.tier' }], onError: 'hangup', wires: [['lo']] },
          { id: 'lo', type: 'link out', mode: 'return', links: [], wires: [] },
          { id: 'pl', type: 'callflow-play', prompts: ['sound:beep'], language: '', bargeIn: false, repeat: 1, answer: true, onError: 'hangup', wires: [['hu']] },
          { id: 'hu', type: 'callflow-hangup', reason: 'normal', wires: [] },
        ],
        ['st', 'pl', 'hu'],
      ),
      CREDS,
    );
    await connected();
    const copy = nextMessage<CallMsg>(node('copy'));
    const report = await simulator().placeCall({ from: '100', to: '2' }).ended();
    assert.equal(typeof ((await copy).call as Handle).token, 'string', 'the cloned msg keeps the token');
    const { CALLFLOW_INSTANCE: _mark, ...set } = report.variables;
    assert.deepEqual(set, { TIER: 'gold' });
    assert.deepEqual(report.heard.map((h) => [h.media, h.outcome]), [['sound:beep', 'done']]);
    assert.equal(report.ended?.by, 'application');
    assert.doesNotMatch(loggedText(), /refused: msg\.call/);
  });
});
