/**
 * The checks a version must pass before release (lib/releases/validate.ts):
 * each problem on its own, first straight through validateVersion, then
 * through ReleaseBook.release, which refuses with 422 and the problems in
 * details.problems, releases nothing and saves no snapshot.
 */
import assert from 'node:assert/strict';
import type { Actor, DeployedVersion } from '../../lib/releases/book';
import type { FlowNode } from '../../lib/releases/nodes';
import { validateVersion, type ValidationInput } from '../../lib/releases/validate';
import { readExamples } from '../../lib/playground/home';
import { rig, type Rig } from '../support/telephony';
import { defaultConfigTypes, deployed, deployedFrom, harness, literal, nid, node, refused, versionNodes, type Harness } from './support';

const alice: Actor = { user: 'alice', editor: 'ed-alice' };
const id = (name: string): string => nid('v1', name);

/** Asks validateVersion about sales v1 as `nodes`; media exist unless listed in `missing`. */
async function check(nodes: FlowNode[], o: { configTypes?: Map<string, string>; missing?: string[]; media?: ValidationInput['mediaExists'] | false } = {}) {
  const input: ValidationInput = { flow: 'sales', version: 'v1', nodes, configTypes: o.configTypes ?? defaultConfigTypes() };
  if (o.media !== false) input.mediaExists = o.media ?? ((uri) => Promise.resolve(!(o.missing ?? []).includes(uri)));
  return validateVersion(input);
}

function without(nodes: FlowNode[], ...ids: string[]): FlowNode[] {
  return nodes.filter((n) => !ids.includes(n.id));
}

describe('release validation', function () {
  describe('validateVersion', function () {
    it('passes a complete version, asking about each sound once, in order', async function () {
      const asked: string[] = [];
      const r = await check(versionNodes('v1'), {
        media: (uri) => {
          asked.push(uri);
          return Promise.resolve(true);
        },
      });
      assert.deepEqual(r, { ok: true, problems: [], notes: [] });
      assert.deepEqual(asked, ['sound:hello-world', 'sound:vm-options']);
    });

    it('notes, without blocking, that media could not be checked when the connection is down', async function () {
      const r = await check(versionNodes('v1'), { media: false });
      assert.deepEqual(r, { ok: true, problems: [], notes: ['media was not checked: the connection is not up'] });
    });

    it('wants an entry for the flow and version on the tab', async function () {
      const expected = 'no callflow-entry node for flow sales version v1 on the tab: add one, or set the flow and version of the entry';
      const missing = await check(without(versionNodes('v1'), id('entry')));
      assert.equal(missing.ok, false);
      assert.equal(missing.problems[0], expected);
      for (const change of [{ version: 'v9' }, { flow: 'support' }, { d: true }]) {
        const nodes = versionNodes('v1');
        Object.assign(node(nodes, id('entry')), change);
        const r = await check(nodes);
        assert.equal(r.problems[0], expected, JSON.stringify(change));
      }
      // Without an entry nothing is reachable, and that is said too.
      assert.ok(missing.problems.includes(`answer (${id('answer')}) cannot be reached from the entry: wire it in, or remove it`));
    });

    it('wants only one entry for the flow and version', async function () {
      const nodes = versionNodes('v1');
      nodes.push({ ...node(nodes, id('entry')), id: id('entry2'), releases: 'r2' });
      const r = await check(nodes, { configTypes: new Map([...defaultConfigTypes(), ['r2', 'callflow-releases']]) });
      assert.deepEqual(r.problems, [`2 callflow-entry nodes claim flow sales version v1 (${id('entry')}, ${id('entry2')}): keep one`]);
      // A disabled second entry is no claim.
      node(nodes, id('entry2')).d = true;
      assert.deepEqual((await check(nodes)).problems, []);
    });

    it('wants every output on the path of a call wired, unless the node marks it (1-based) as ending the call', async function () {
      const unwired = `menu "main menu" (${id('menu')}): output 3 is not wired, so a call leaving there would be hung up; wire it, or mark the output as ending the call`;
      for (const [ends, problems] of [
        [[3], []],
        [['3'], []],
        [[1, 3], []],
        [[], [unwired]],
        [[2], [unwired]],
        [[0], [unwired]],
        [undefined, [unwired]],
        ['3', [unwired]],
      ] as const) {
        const nodes = versionNodes('v1');
        node(nodes, id('menu')).ends = ends;
        assert.deepEqual((await check(nodes)).problems, problems, `ends ${JSON.stringify(ends)}`);
      }
      // The entry's own output too.
      const nodes = versionNodes('v1');
      node(nodes, id('entry')).wires = [[]];
      const r = await check(nodes);
      assert.equal(r.problems[0], `entry (${id('entry')}): output 1 is not wired, so a call leaving there would be hung up; wire it, or mark the output as ending the call`);
    });

    it('does not ask for the wiring of a node no call reaches (it is reported as unreachable instead)', async function () {
      const nodes = versionNodes('v1');
      nodes.push({ id: id('stray'), type: 'callflow-play', z: id('tab'), name: '', prompts: ['sound:beep'], wires: [[]] });
      assert.deepEqual((await check(nodes)).problems, [`play (${id('stray')}) cannot be reached from the entry: wire it in, or remove it`]);
    });

    it('counts what a catch, status, complete or call-end node reaches as reachable (error handling paths)', async function () {
      const nodes = versionNodes('v1');
      nodes.push({ id: id('catch'), type: 'catch', z: id('tab'), name: '', scope: null, wires: [[id('sorry')]] });
      nodes.push({ id: id('sorry'), type: 'callflow-play', z: id('tab'), name: 'sorry', prompts: ['sound:beep'], wires: [[id('hangup')]] });
      assert.deepEqual((await check(nodes)).problems, []);
    });

    it('wants every config node a callflow node names to be deployed, of the right type', async function () {
      const nodes = versionNodes('v1');
      node(nodes, id('entry')).connection = 'a9';
      node(nodes, id('entry')).releases = 'r9';
      node(nodes, id('play')).store = 's9';
      node(nodes, id('transfer')).routing = 'a1';
      node(nodes, id('answer')).store = '';
      // Not a callflow node: its properties are its own business.
      node(nodes, id('lo')).connection = 'nowhere';
      const r = await check(nodes);
      assert.deepEqual(r.problems, [
        `entry (${id('entry')}): its connection (callflow-asterisk a9) is not deployed; choose one in the node's form`,
        `entry (${id('entry')}): its releases (callflow-releases r9) is not deployed; choose one in the node's form`,
        `play "greeting" (${id('play')}): its store (callflow-store s9) is not deployed; choose one in the node's form`,
        `transfer "agent" (${id('transfer')}): its routing (callflow-routing a1) is not deployed; choose one in the node's form`,
      ]);
      // Deployed, of the right types: no problem.
      node(nodes, id('entry')).connection = 'a1';
      node(nodes, id('entry')).releases = 'r1';
      node(nodes, id('play')).store = 's1';
      node(nodes, id('transfer')).routing = 'g1';
      assert.deepEqual((await check(nodes)).problems, []);
    });

    it('wants every sound and recording the prompts name to exist on the Asterisk, and names who uses a missing one', async function () {
      const nodes = versionNodes('v1', { greeting: 'sound:tt-monkeys' });
      node(nodes, id('menu')).prompts = ['sound:vm-options', 'recording:welcome', 'sound:tt-monkeys', 'sound:http://example.com/a.wav'];
      const asked: string[] = [];
      const r = await check(nodes, {
        media: (uri) => {
          asked.push(uri);
          return Promise.resolve(uri === 'sound:vm-options');
        },
      });
      assert.deepEqual(asked, ['recording:welcome', 'sound:tt-monkeys', 'sound:vm-options'], 'each once, URLs not at all');
      assert.deepEqual(r.problems, [
        `menu "main menu" (${id('menu')}): Asterisk has no recording welcome; install it, or change the prompt`,
        `menu "main menu" (${id('menu')}), play "greeting" (${id('play')}): Asterisk has no sound tt-monkeys; install it, or change the prompt`,
      ]);
    });

    it('does not block on media it cannot tell about, and notes the ones it could not ask about', async function () {
      const nodes = versionNodes('v1');
      const r = await check(nodes, {
        media: (uri) => (uri === 'sound:hello-world' ? Promise.resolve(undefined) : Promise.reject(new Error('ARI timed out'))),
      });
      assert.deepEqual(r, { ok: true, problems: [], notes: ['could not ask Asterisk about sound:vm-options: ARI timed out'] });
      // Disabled nodes' media are not asked about.
      const disabled = versionNodes('v1', { greeting: 'sound:nope' });
      disabled.push({ id: id('off'), type: 'callflow-play', z: id('tab'), d: true, prompts: ['sound:also-nope'], wires: [[]] });
      node(disabled, id('play')).prompts = ['sound:hello-world'];
      assert.deepEqual((await check(disabled, { missing: ['sound:also-nope'] })).problems, []);
    });

    it('wants every element reachable from the entry', async function () {
      const nodes = versionNodes('v1');
      node(nodes, id('menu')).wires = [[id('play')], [], []];
      node(nodes, id('menu')).ends = [2, 3];
      const r = await check(nodes);
      // The transfer hangs off the link in, which nothing reaches now; the link nodes are no elements.
      assert.deepEqual(r.problems, [`transfer "agent" (${id('transfer')}) cannot be reached from the entry: wire it in, or remove it`]);
      nodes.push({ id: id('off'), type: 'callflow-hangup', z: id('tab'), d: true, wires: [] });
      assert.deepEqual((await check(nodes)).problems, r.problems, 'a disabled element is not reported');
    });

    it('follows link out -> link in, and link call, as wires', async function () {
      const linked = versionNodes('v1');
      assert.deepEqual((await check(linked)).problems, [], 'the transfer is reached only through the link');
      node(linked, id('lo')).links = [];
      assert.match((await check(linked)).problems.join('\n'), /transfer "agent" .* cannot be reached/);
      const called = versionNodes('v1');
      Object.assign(node(called, id('lo')), { type: 'link call', links: [id('li')], wires: [[id('hangup')]] });
      assert.deepEqual((await check(called)).problems, []);
    });
  });

  describe('through ReleaseBook.release', function () {
    let h: Harness;

    afterEach(async function () {
      await h.close();
    });

    /** Deploys `versions`, asks for the release of sales v1, and checks the 422 carries a problem matching each of `problems`. */
    async function blocked(versions: DeployedVersion[], problems: RegExp[], o: { missing?: string[]; configTypes?: (m: Map<string, string>) => void } = {}): Promise<string[]> {
      h = await harness({ missingMedia: o.missing ?? [] });
      o.configTypes?.(h.configTypes);
      await h.deploy(versions);
      const err = await refused(() => h.book.release('sales', 'v1', { target: 'official', comment: 'try' }, alice), 422, /version v1 of flow sales cannot be released: /);
      const found = err.details.problems ?? [];
      assert.equal(err.details.state, 'unreleased');
      for (const p of problems) assert.ok(found.some((f) => p.test(f)), `a problem matching ${String(p)} in ${JSON.stringify(found)}`);
      for (const f of found) assert.ok(err.message.includes(f), 'the message carries every problem');
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
      assert.deepEqual(await h.book.snapshots('sales'), [], 'no snapshot of a refused release');
      // The gray way is blocked the same way.
      await refused(() => h.book.release('sales', 'v1', { target: 'gray', gray: { share: 10, callers: [] } }, alice), 422);
      return found;
    }

    it('releases a fully valid version, having checked its media on its own connection', async function () {
      h = await harness();
      await h.deploy([deployed('v1')]);
      assert.deepEqual(await h.book.validate('sales', 'v1'), { ok: true, problems: [], notes: [] });
      const v = await h.book.release('sales', 'v1', { target: 'official' }, alice);
      assert.equal(v.state, 'official');
      assert.deepEqual([...new Set(h.mediaAsked)], ['a1']);
    });

    it('blocks a version without its entry', async function () {
      const d = deployed('v1');
      d.nodes = without(d.nodes, id('entry'));
      await blocked([d], [/^no callflow-entry node for flow sales version v1 on the tab/]);
    });

    it('blocks a version two entries on its tab claim', async function () {
      const nodes = versionNodes('v1');
      nodes.push({ ...node(nodes, id('entry')), id: id('entry2'), releases: 'r2' });
      await blocked(deployedFrom(nodes), [literal(`2 callflow-entry nodes claim flow sales version v1 (${id('entry')}, ${id('entry2')}): keep one`)], {
        configTypes: (m) => m.set('r2', 'callflow-releases'),
      });
    });

    it('blocks a version two deployed entries claim (a conflict)', async function () {
      const nodes = [...versionNodes('v1'), ...versionNodes('v1').map((n) => ({ ...n, id: `${n.id}.dup`, z: n.z ? `${n.z}.dup` : undefined }))];
      h = await harness();
      await h.deploy([deployed('v1')]);
      await h.deploy(deployedFrom(nodes));
      assert.deepEqual(await h.book.validate('sales', 'v1'), { ok: false, problems: ['2 entries claim sales v1: it takes no calls'], notes: [] });
      const err = await refused(() => h.book.release('sales', 'v1', { target: 'official' }, alice), 422, /2 entries claim sales v1: it takes no calls/);
      assert.deepEqual(err.details.problems, ['2 entries claim sales v1: it takes no calls']);
      assert.equal(h.book.stateOf('sales', 'v1'), 'unreleased');
    });

    it('blocks an unwired output of a reachable node, and not one the node marks as ending the call', async function () {
      const nodes = versionNodes('v1');
      node(nodes, id('menu')).ends = [];
      await blocked(deployedFrom(nodes), [literal(`menu "main menu" (${id('menu')}): output 3 is not wired`)]);
    });

    for (const [prop, value, type] of [
      ['connection', 'a9', 'callflow-asterisk'],
      ['releases', 'r9', 'callflow-releases'],
      ['store', 's9', 'callflow-store'],
      ['routing', 'g9', 'callflow-routing'],
    ] as const) {
      it(`blocks a ${prop} reference to a config node that is not deployed`, async function () {
        const nodes = versionNodes('v1');
        // The entry must keep naming r1 to belong to this release set; the others may name anything.
        node(nodes, prop === 'connection' || prop === 'releases' ? id('answer') : id('transfer'))[prop] = value;
        await blocked(deployedFrom(nodes), [literal(`its ${prop} (${type} ${value}) is not deployed`)]);
      });
    }

    it('blocks the entry whose connection was removed from the deploy', async function () {
      await blocked([deployed('v1')], [literal(`entry (${id('entry')}): its connection (callflow-asterisk a1) is not deployed`)], { configTypes: (m) => m.delete('a1') });
    });

    it('blocks a sound the media check says is missing', async function () {
      await blocked([deployed('v1', { greeting: 'sound:tt-monkeys' })], [literal(`play "greeting" (${id('play')}): Asterisk has no sound tt-monkeys; install it, or change the prompt`)], { missing: ['sound:tt-monkeys'] });
      assert.ok(h.mediaAsked.length > 0 && h.mediaAsked.every((c) => c === 'a1'));
    });

    it('blocks an element no call can reach', async function () {
      const nodes = versionNodes('v1');
      nodes.push({ id: id('orphan'), type: 'callflow-hangup', z: nid('v1', 'tab'), name: 'orphan', wires: [] });
      await blocked(deployedFrom(nodes), [literal(`hangup "orphan" (${id('orphan')}) cannot be reached from the entry`)]);
    });

    it('counts link out -> link in as reachable (the transfer behind it releases)', async function () {
      h = await harness();
      await h.deploy([deployed('v1')]);
      assert.ok(h.book.deployedVersion('sales', 'v1')?.nodes.some((n) => n.type === 'link in'));
      assert.equal((await h.book.release('sales', 'v1', { target: 'official' }, alice)).state, 'official');
    });

    it('releases once the problems are fixed and deployed', async function () {
      const nodes = versionNodes('v1', { greeting: 'sound:tt-monkeys' });
      node(nodes, id('menu')).ends = [];
      const found = await blocked(deployedFrom(nodes), [/output 3 is not wired/, /no sound tt-monkeys/], { missing: ['sound:tt-monkeys'] });
      assert.equal(found.length, 2);
      await h.deploy([deployed('v1')]);
      assert.equal((await h.book.release('sales', 'v1', { target: 'official' }, alice)).state, 'official');
    });

    it('answers for a version that is not deployed, and notes media it could not check', async function () {
      h = await harness();
      assert.deepEqual(await h.book.validate('sales', 'v1'), { ok: false, problems: ['version v1 of flow sales is not deployed: deploy its tab first'], notes: [] });
      const down = h.openBook({ mediaCheck: () => undefined });
      await down.reconcile([deployed('v1')]);
      assert.deepEqual(await down.validate('sales', 'v1'), { ok: true, problems: [], notes: ['media was not checked: the connection is not up'] });
    });
  });

  describe("on a stock Asterisk's sounds (the simulator's core English catalogue, asked over ARI)", function () {
    let r: Rig;
    before(async function () {
      r = await rig();
    });
    after(async function () {
      await r.close();
    });

    /** The IVR menu example as a release of flow ivr-menu v1, with some nodes' prompts replaced. */
    function ivrMenu(prompts: Record<string, Record<string, string[]>> = {}): ValidationInput {
      const example = readExamples().find((e) => e.name === 'IVR menu');
      if (!example) throw new Error('no IVR menu example');
      const nodes = example.nodes.map((n) => {
        const copy = { ...n, ...(prompts[String(n.name)] ?? {}) } as FlowNode;
        if (copy.type === 'callflow-entry') Object.assign(copy, { version: 'v1', releases: 'r1' });
        return copy;
      });
      const connection = String(nodes.find((n) => n.type === 'callflow-asterisk')?.id);
      return {
        flow: 'ivr-menu',
        version: 'v1',
        nodes,
        configTypes: new Map([
          [connection, 'callflow-asterisk'],
          ['r1', 'callflow-releases'],
        ]),
        mediaExists: (uri) => r.conn.mediaExists(uri),
      };
    }

    it('releases the IVR menu example, whose prompts are all core sounds', async function () {
      assert.deepEqual(await validateVersion(ivrMenu()), { ok: true, problems: [], notes: [] });
    });

    it("refuses the IVR menu's earlier prompts (the optional extra sounds), naming each missing sound and who plays it", async function () {
      // The example as it was before issue 13: prompts from Asterisk's "extra" sound set, which a stock Asterisk lacks.
      const input = ivrMenu({
        welcome: { prompts: ['sound:welcome'] },
        'main menu': {
          prompts: ['sound:to-hear-your-account-balance', 'digits:1', 'sound:to-reach-operator', 'digits:0'],
          invalidPrompts: ['sound:option-is-invalid'],
          timeoutPrompts: ['sound:pls-try-again'],
        },
        'card number': { prompts: ['sound:please-enter-your', 'sound:card-number'], timeoutPrompts: ['sound:pls-try-again'] },
        'say the balance': { prompts: ['sound:account-balance-is'] },
        'agents busy': { prompts: ['sound:all-reps-busy'] },
      });
      const label = (name: string, type: string): string => `${type} "${name}" (${String(input.nodes.find((n) => n.name === name)?.id)})`;
      const result = await validateVersion(input);
      assert.equal(result.ok, false);
      assert.deepEqual(result.problems, [
        `${label('say the balance', 'play')}: Asterisk has no sound account-balance-is; install it, or change the prompt`,
        `${label('agents busy', 'play')}: Asterisk has no sound all-reps-busy; install it, or change the prompt`,
        `${label('card number', 'collect')}: Asterisk has no sound card-number; install it, or change the prompt`,
        `${label('main menu', 'menu')}: Asterisk has no sound option-is-invalid; install it, or change the prompt`,
        `${label('card number', 'collect')}: Asterisk has no sound please-enter-your; install it, or change the prompt`,
        `${label('main menu', 'menu')}, ${label('card number', 'collect')}: Asterisk has no sound pls-try-again; install it, or change the prompt`,
        `${label('main menu', 'menu')}: Asterisk has no sound to-hear-your-account-balance; install it, or change the prompt`,
        `${label('main menu', 'menu')}: Asterisk has no sound to-reach-operator; install it, or change the prompt`,
        `${label('welcome', 'play')}: Asterisk has no sound welcome; install it, or change the prompt`,
      ]);
    });
  });
});
