/**
 * The list fields of the element forms (prompts, menu options, set assignments, SIP response media, retry prompts) in
 * a real browser (Debian's Chromium, headless) against a real Node-RED running the "IVR menu" and "SIP response"
 * examples: opening a form and pressing Done keeps every list as it was, and a prompt added in the form is saved.
 * Node-RED fills an element whose id is node-input-<property> with the property's value when a form opens and reads
 * it back after oneditsave: a list kept in such an element was overwritten ("[object Object]", or the old list).
 * Without /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { editNode, useEditor } from '../support/browser';

const examples = readExamples().filter((e) => e.name === 'IVR menu' || e.name === 'SIP response');
const nodes = examples.flatMap((e) => e.nodes);
/** Each element with list properties, and those properties. */
const LISTS: Record<string, string[]> = {
  'callflow-menu': ['prompts', 'options', 'labels', 'invalidPrompts', 'timeoutPrompts'],
  'callflow-collect': ['prompts', 'invalidPrompts', 'timeoutPrompts'],
  'callflow-set': ['assignments'],
  'callflow-record': ['prompts'],
  'callflow-response': ['media'],
};
const elements = nodes.filter((n) => Object.hasOwn(LISTS, String(n.type))) as { id: string; type: string }[];

interface RedGlobal {
  RED: { nodes: { node(id: string): Record<string, unknown> | null } };
}

async function save(page: Page): Promise<void> {
  await page.locator('#node-dialog-ok').click();
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0);
}

const lists = (page: Page, id: string, props: string[]): Promise<Record<string, unknown>> =>
  page.evaluate(
    ([nodeId, names]) => {
      const node = (globalThis as unknown as RedGlobal).RED.nodes.node(nodeId) ?? {};
      return Object.fromEntries((names).map((p) => [p, node[p]]));
    },
    [id, props] as const,
  );

describe('the element forms\' lists in a real browser', function () {
  this.timeout(90_000);
  const running = useEditor(nodes, (e) => e.waitForLog(/ARI .* connected/));

  it('keeps every list of every element as it was when a form is opened and closed with Done', async function () {
    const { page } = running().browser;
    assert.equal(elements.length, 5, 'the examples hold a menu, a collect, a set, a record and a SIP response node');
    for (const n of elements) {
      const props = LISTS[n.type] ?? [];
      const before = await lists(page, n.id, props);
      await editNode(page, n.id);
      await save(page);
      assert.deepEqual(await lists(page, n.id, props), before, `${n.type} ${n.id}`);
    }
    assert.deepEqual(running().browser.errors(), []);
  });

  it('saves a prompt added in the collect form', async function () {
    const { page } = running().browser;
    const collect = elements.find((n) => n.type === 'callflow-collect');
    if (!collect) throw new Error('no collect node');
    const before = (await lists(page, collect.id, ['prompts'])).prompts as string[];
    await editNode(page, collect.id);
    const list = page.locator('.red-ui-editableList', { has: page.locator('[id^="node-input-prompts"]') });
    await list.locator('.red-ui-editableList-addButton').click();
    await list.locator('li').last().locator('input[type="text"]').fill('vm-goodbye');
    await save(page);
    assert.deepEqual((await lists(page, collect.id, ['prompts'])).prompts, [...before, 'sound:vm-goodbye']);
  });

  it("keeps an entry's Also from list on Done, and saves a connection added to it", async function () {
    const { page } = running().browser;
    const entry = nodes.find((n) => n.type === 'callflow-entry') as { id: string } | undefined;
    const asterisk = nodes.find((n) => n.type === 'callflow-asterisk') as { id: string } | undefined;
    if (!entry || !asterisk) throw new Error('no entry or connection in the examples');
    await editNode(page, entry.id);
    await save(page);
    assert.deepEqual((await lists(page, entry.id, ['connections'])).connections, [], 'none in the example');
    await editNode(page, entry.id);
    const list = page.locator('.red-ui-editableList', { has: page.locator('#callflow-entry-connections') });
    await list.locator('.red-ui-editableList-addButton').click();
    await list.locator('li').last().locator('select.callflow-entry-connection').selectOption(asterisk.id);
    // A row left on "-" is not saved.
    await list.locator('.red-ui-editableList-addButton').click();
    await save(page);
    assert.deepEqual((await lists(page, entry.id, ['connections'])).connections, [asterisk.id]);
    assert.deepEqual(running().browser.errors(), []);
  });
});
