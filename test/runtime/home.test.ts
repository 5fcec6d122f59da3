/**
 * The user directory `npm start` prepares: first start, a directory from an
 * older version (new examples are added, the user's flows kept), and an
 * example the user deleted (not forced back).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES_CONNECTION, EXAMPLES_STORE, combineExamples, examplesAt, prepareHome, readExamples, type ExampleFlow } from '../../lib/playground/home';
import { useTempDir } from '../support/temp-dir';

type Flow = Record<string, unknown>[];

describe('npm start: the user directory', function () {
  const temp = useTempDir('callflow-home-');
  let examples: ExampleFlow[];
  const flowsFile = (): string => path.join(temp.path, 'flows.json');
  const read = (): Flow => JSON.parse(fs.readFileSync(flowsFile(), 'utf8')) as Flow;
  const tabs = (flows: Flow): string[] => flows.filter((n) => n.type === 'tab').map((n) => String(n.label));
  const start = (): ReturnType<typeof prepareHome> => prepareHome({ dir: temp.path, port: 0, flows: combineExamples(examples), examples });

  beforeEach(function () {
    examples = readExamples();
  });

  it('writes every example on the first start', function () {
    const home = start();
    assert.deepEqual(home.added, []);
    assert.deepEqual(home.missing, []);
    assert.deepEqual(tabs(read()), tabs(combineExamples(examples)));
    assert.ok(fs.existsSync(home.settings));
  });

  it("keeps call records: the examples' connection names the examples' store, so ended calls show in the Call flows sidebar", function () {
    start();
    const flows = read();
    const connection = flows.find((n) => n.id === EXAMPLES_CONNECTION);
    assert.equal(connection?.type, 'callflow-asterisk');
    assert.equal(connection?.recordStore, EXAMPLES_STORE);
    assert.equal(flows.find((n) => n.id === EXAMPLES_STORE)?.type, 'callflow-store');
    const alone = examples.find((e) => e.name === 'IVR menu');
    assert.ok(alone);
    assert.equal(combineExamples([alone]).find((n) => n.id === EXAMPLES_CONNECTION)?.recordStore, undefined, 'without the store, no records');
    assert.equal(alone.nodes.find((n) => n.id === EXAMPLES_CONNECTION)?.recordStore, undefined, 'the example file itself is left as it is');
  });

  it("names the Node-RED of another PORT where the examples name their own (the robot's stand-in services), leaving the files as they are", function () {
    const robot = examples.find((e) => e.name === 'Intelligent robot');
    assert.ok(robot);
    const property = (flows: ExampleFlow[], type: string, key: string): unknown => flows.find((e) => e.name === 'Intelligent robot')?.nodes.find((n) => n.type === type)?.[key];
    const moved = examplesAt(examples, 18801);
    assert.equal(property(moved, 'callflow-speech', 'sttBaseUrl'), 'http://127.0.0.1:18801/callflow-demo');
    assert.equal(property(moved, 'callflow-bot', 'url'), 'http://127.0.0.1:18801/callflow-demo/bot');
    assert.equal(property(examples, 'callflow-bot', 'url'), 'http://127.0.0.1:1880/callflow-demo/bot', 'the examples read are not changed');
    assert.equal(examplesAt(examples, 1880), examples);
    assert.ok(!JSON.stringify(moved.map((e) => e.nodes)).includes('127.0.0.1:1880/'), 'no property names port 1880 any more');
    assert.throws(() => examplesAt(examples, Number('x')), /PORT must be a TCP port \(1-65535\), got NaN/);
  });

  it('adds the examples a directory from an older version never had, keeping the user flows and a copy of the old file', function () {
    const hello = examples.find((e) => e.name === 'Hello IVR');
    assert.ok(hello);
    const helloTab = String(hello.nodes.find((n) => n.type === 'tab')?.id);
    // An older start wrote only Hello IVR; the user then renamed a node and added a tab of their own.
    const old: Flow = [
      ...hello.nodes.map((n) => (n.type === 'callflow-play' ? { ...n, name: 'my greeting' } : n)),
      { id: 'mine', type: 'tab', label: 'My flow' },
    ];
    fs.mkdirSync(temp.path, { recursive: true });
    fs.writeFileSync(flowsFile(), JSON.stringify(old));

    const home = start();
    const others = examples.filter((e) => e !== hello).map((e) => e.name);
    assert.deepEqual(home.added, others);
    assert.deepEqual(home.missing, []);
    const flows = read();
    // An example may have several tabs (Gray release: one per version).
    const otherTabs = examples.filter((e) => e !== hello).flatMap((e) => e.nodes.filter((n) => n.type === 'tab').map((n) => n.label));
    assert.deepEqual(tabs(flows), ['Hello IVR', 'My flow', ...otherTabs]);
    assert.equal(flows.filter((n) => n.z === helloTab && n.type === 'callflow-play')[0]?.name, 'my greeting', 'the user edit is kept');
    const ids = flows.map((n) => String(n.id));
    assert.equal(new Set(ids).size, ids.length, 'the shared connection is kept once');
    assert.deepEqual(JSON.parse(fs.readFileSync(`${flowsFile()}.before-examples`, 'utf8')), old);

    // The next start changes nothing.
    const again = start();
    assert.deepEqual(again.added, []);
    assert.equal(read().length, flows.length);
  });

  it('does not bring back an example the user deleted, and says it is missing', function () {
    start();
    const flows = read();
    const menu = examples.find((e) => e.name === 'IVR menu');
    const menuTab = String(menu?.nodes.find((n) => n.type === 'tab')?.id);
    fs.writeFileSync(flowsFile(), JSON.stringify(flows.filter((n) => n.id !== menuTab && n.z !== menuTab)));

    const home = start();
    assert.deepEqual(home.added, []);
    assert.deepEqual(home.missing, ['IVR menu']);
    assert.ok(!tabs(read()).includes('IVR menu'));
  });
});
