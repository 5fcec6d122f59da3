/**
 * The Flow test panel of the "Call flows" sidebar in a real browser (Debian's Chromium, headless) against a real
 * Node-RED running the "Gray release" example: step by step through the official version (the call waits at each
 * element, the result is picked from the list the runtime gives), the path drawn on the canvas with the variables
 * after each step and the outcome; then a JSON test case loaded from a file, whose differing steps are shown.
 * Without /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readExamples } from '../../lib/playground/home';
import { gotoEditorIn, useEditor } from '../support/browser';
import { useTempDir } from '../support/temp-dir';

const example = readExamples().find((e) => e.name === 'Gray release');
if (!example) throw new Error('examples/Gray release.json is missing');

describe('the Flow test panel in a real browser', function () {
  this.timeout(60_000);
  const temp = useTempDir('callflow-flow-test-panel-');
  const running = useEditor(example.nodes, (e) => e.waitForLog(/support v2 released as the gray version/));
  const row = (version: string) => running().browser.page.locator(`.callflow-rel-flow[data-flow="support"] .callflow-rel-version[data-version="${version}"]`);
  const panel = () => row('v1').locator('.callflow-ft');

  async function selection(): Promise<{ tab: string; nodes: string[]; links: string[] }> {
    return running().browser.page.evaluate(() => {
      const RED = (globalThis as unknown as { RED: { workspaces: { active(): string }; view: { selection(): { nodes?: { id: string }[]; links?: { source: { id: string }; target: { id: string } }[] } } } }).RED;
      const sel = RED.view.selection();
      return { tab: RED.workspaces.active(), nodes: (sel.nodes ?? []).map((n) => n.id).sort(), links: (sel.links ?? []).map((l) => `${l.source.id}>${l.target.id}`).sort() };
    });
  }

  it('runs the official version step by step: the results of each element to pick, the path on the canvas, the variables and the outcome', async function () {
    const { page } = running().browser;
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-call-flows-tab'));
    await row('v1').locator('.callflow-rel-state[data-state="official"]').waitFor();
    await row('v1').locator('button[data-action="flow-test"]').click();
    await panel().locator('input.callflow-ft-caller').fill('+15550100');
    await panel().locator('button[data-action="start"]').click();
    // The call waits at the answer node, with the results an answer can have.
    const choice = panel().locator('.callflow-ft-choice[data-node="9b1c0000000012"]');
    await choice.waitFor();
    const options = await choice.locator('select.callflow-ft-result option').all();
    assert.deepEqual(await Promise.all(options.map((o) => o.getAttribute('value'))), ['answered', 'hangup', 'error']);
    await choice.locator('button[data-action="give"]').click();
    const play = panel().locator('.callflow-ft-choice[data-node="9b1c0000000013"]');
    await play.waitFor();
    assert.match((await play.textContent()) ?? '', /The call is at play "greeting v1" \(9b1c0000000013\)/);
    await play.locator('select.callflow-ft-result').selectOption('done');
    await play.locator('button[data-action="give"]').click();
    const hangup = panel().locator('.callflow-ft-choice[data-node="9b1c0000000014"]');
    await hangup.waitFor();
    await hangup.locator('button[data-action="give"]').click();
    const outcome = panel().locator('.callflow-ft-outcome[data-ended="flow"]');
    await outcome.waitFor();
    assert.equal((await outcome.textContent())?.trim(), 'Ended (flow): hangup 9b1c0000000014 ended the call (hangup)');
    const steps = await panel().locator('.callflow-ft-path > li').all();
    assert.deepEqual(await Promise.all(steps.map((s) => s.getAttribute('data-node'))), ['9b1c0000000011', '9b1c0000000012', '9b1c0000000013', '9b1c0000000014']);
    assert.equal((await steps[2]?.locator('span').textContent())?.trim(), 'play "greeting v1" (9b1c0000000013): done -> done, output 1');
    assert.equal((await steps[2]?.locator('pre.callflow-ft-vars').textContent())?.trim(), '{}');
    // On the canvas: v1's tab, its path selected, as the Calls panel draws a call.
    const selected = await selection();
    assert.equal(selected.tab, '9b1c0000000010');
    assert.deepEqual(selected.nodes, ['9b1c0000000011', '9b1c0000000012', '9b1c0000000013', '9b1c0000000014']);
    assert.deepEqual(selected.links, ['9b1c0000000011>9b1c0000000012', '9b1c0000000012>9b1c0000000013', '9b1c0000000013>9b1c0000000014']);
    assert.deepEqual(running().browser.errors(), []);
  });

  it('runs a test case loaded from a file and shows each step that differs, and refuses a file that is not a case', async function () {
    const dir = temp.path;
    // The gray version's case, run against v1: its greeting differs.
    const file = path.join(dir, 'gray.json');
    fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'tests', 'gray-release-gray.json'), file);
    await panel().locator('input.callflow-ft-file').setInputFiles(file);
    const verdict = panel().locator('.callflow-ft-verdict[data-passed="no"]');
    await verdict.waitFor();
    assert.equal((await verdict.textContent())?.trim(), 'The test case failed: Gray release: the gray version (v2) plays its new greeting');
    const differences = await panel().locator('.callflow-ft-differences li').allTextContents();
    assert.deepEqual(differences.slice(0, 2), [
      'step 1: expected "9b1c0000000021", got entry 9b1c0000000011, outcome "routed", output 1',
      'step 2: expected "9b1c0000000022", got answer 9b1c0000000012, result "answered", outcome "answered", output 1',
    ]);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ flow: 'support', results: [{ node: '<img src=x onerror=alert(1)>' }] }));
    await panel().locator('input.callflow-ft-file').setInputFiles(bad);
    // The list still shows the run before until the file is read: wait for the refusal itself.
    const problems = panel().locator('.callflow-ft-problems li');
    await problems.filter({ hasText: 'bad.json is not a flow test case:' }).waitFor();
    assert.deepEqual(await problems.allTextContents(), ['bad.json is not a flow test case:', "results.0.result: is required"]);
    assert.deepEqual(running().browser.errors(), []);
  });

  it('speaks Chinese in a zh-CN editor', async function () {
    const { page } = running().browser;
    await gotoEditorIn(page, running().editor.url, 'zh-CN');
    try {
      await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-call-flows-tab'));
      await row('v1').locator('button[data-action="flow-test"]').click();
      assert.equal((await row('v1').locator('button[data-action="flow-test"]').textContent())?.trim(), '流程测试');
      assert.equal((await panel().locator('div').first().textContent())?.trim(), 'support v1 的流程测试：不会拨打电话；由你选择每个图元的结果。');
      await panel().locator('button[data-action="start"]').click();
      const choice = panel().locator('.callflow-ft-choice[data-node="9b1c0000000012"]');
      await choice.waitFor();
      assert.equal((await choice.locator('div').first().textContent())?.trim(), '呼叫停在 answer 9b1c0000000012。请选择它的结果：');
      assert.deepEqual(running().browser.errors(), []);
    } finally {
      await gotoEditorIn(page, running().editor.url, 'en-US');
    }
  });
});
