/**
 * Checkbox rows of the node forms in a real browser (Debian's Chromium,
 * headless) against a real Node-RED running the examples: each checkbox sits
 * on the same line as its label, to the label's left, also when the label's
 * text is longer than the row has room for (it wraps beside the checkbox
 * instead of dropping below it). Without /usr/bin/chromium the suite is
 * reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { combineExamples, readExamples } from '../../lib/playground/home';
import { useEditor } from '../support/browser';

const flows = combineExamples(readExamples());
function first(type: string): { id: string; z?: string } {
  const found = flows.find((n) => n.type === type) as { id: string; z?: string } | undefined;
  if (!found) throw new Error(`no ${type} in the examples`);
  return found;
}

interface RedGlobal {
  RED: {
    nodes: { node(id: string): unknown };
    editor: { edit(node: unknown): void; editConfig(name: string, type: string, id: string): void };
    workspaces: { show(id: string): void };
  };
  $: (selector: string) => { val(v: string): { trigger(event: string): void } };
}

interface Box { x: number; y: number; width: number; height: number }

/** The top edit tray, as the page lays it out (the tests are compiled without the DOM's types). */
interface Trays {
  document: {
    querySelectorAll(selector: string): ArrayLike<{ contains(other: unknown): boolean; getBoundingClientRect(): { x: number; width: number } }>;
    activeElement: unknown;
  };
  getComputedStyle(el: unknown): { right: string };
  requestAnimationFrame(callback: () => void): void;
}

/**
 * Resolves once the top edit tray has finished opening: it slid in (its right
 * edge at 0), Node-RED has given it its final width (it then focuses the
 * tray's first field, in the same step) and it did not move for two frames.
 */
async function trayOpen(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const g = globalThis as unknown as Trays;
        const trays = g.document.querySelectorAll('#red-ui-editor-stack .red-ui-tray');
        const tray = trays[trays.length - 1];
        if (!tray || g.getComputedStyle(tray).right !== '0px' || !tray.contains(g.document.activeElement)) {
          resolve(false);
          return;
        }
        const a = tray.getBoundingClientRect();
        g.requestAnimationFrame(() =>
          g.requestAnimationFrame(() => {
            const b = tray.getBoundingClientRect();
            resolve(a.x === b.x && a.width === b.width);
          }),
        );
      }),
  );
}

/** The checkbox's box and its label's (label[for=id]), read in one layout pass so a tray still sliding moves both alike. */
async function boxes(page: Page, id: string): Promise<{ box: Box; label: Box }> {
  const found = await page.evaluate((elementId) => {
    const g = globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): Box } | null } };
    const box = g.document.querySelector(`input#${elementId}`)?.getBoundingClientRect();
    const label = g.document.querySelector(`label[for="${elementId}"]`)?.getBoundingClientRect();
    return box && label ? { box: { x: box.x, y: box.y, width: box.width, height: box.height }, label: { x: label.x, y: label.y, width: label.width, height: label.height } } : undefined;
  }, id);
  assert.ok(found, `#${id} or its label is not shown`);
  return found;
}

/** Opens a node's edit dialog (a config node's with `config`), checks the rows, and cancels it. */
async function checkRows(page: Page, open: () => Promise<void>, ids: string[], prefix: 'node-input' | 'node-config-input'): Promise<string[]> {
  await open();
  await trayOpen(page);
  const problems: string[] = [];
  for (const field of ids) {
    const id = `${prefix}-${field}`;
    await page.locator(`input#${id}`).waitFor();
    const { box, label } = await boxes(page, id);
    const middle = box.y + box.height / 2;
    if (middle < label.y || middle > label.y + label.height) problems.push(`${id}: the checkbox (y ${Math.round(box.y)}-${Math.round(box.y + box.height)}) is not on its label's line (y ${Math.round(label.y)}-${Math.round(label.y + label.height)})`);
    if (label.x < box.x + box.width - 1) problems.push(`${id}: the label (x ${Math.round(label.x)}) does not start right of the checkbox (x ${Math.round(box.x)}-${Math.round(box.x + box.width)})`);
  }
  const cancel = prefix === 'node-config-input' ? '#node-config-dialog-cancel' : '#node-dialog-cancel';
  await page.locator(cancel).click();
  await page.locator(`input#${prefix}-${ids[0] ?? ''}`).waitFor({ state: 'detached' });
  return problems;
}

describe('checkbox rows of the node forms in a real browser', function () {
  this.timeout(90_000);
  const running = useEditor(flows, (e) => e.waitForLog(/ARI .* connected/));

  const nodes: { type: string; fields: string[] }[] = [
    { type: 'callflow-play', fields: ['bargeIn', 'answer'] },
    { type: 'callflow-record', fields: ['beep'] },
    { type: 'callflow-report', fields: ['mask'] },
  ];
  for (const { type, fields } of nodes) {
    it(`${type}: each checkbox is on its label's line (${fields.join(', ')})`, async function () {
      const { page } = running().browser;
      const n = first(type);
      const problems = await checkRows(
        page,
        () =>
          page.evaluate(({ id, z }) => {
            const red = (globalThis as unknown as RedGlobal).RED;
            if (z) red.workspaces.show(z);
            red.editor.edit(red.nodes.node(id));
          }, n),
        fields,
        'node-input',
      );
      assert.deepEqual(problems, []);
      assert.deepEqual(running().browser.errors(), []);
    });
  }

  it("callflow-asterisk: the simulator's checkbox is on its label's line", async function () {
    const { page } = running().browser;
    const n = first('callflow-asterisk');
    const problems = await checkRows(page, () => page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.editor.editConfig('', 'callflow-asterisk', id), n.id), ['useSimulator'], 'node-config-input');
    assert.deepEqual(problems, []);
  });

  it("callflow-store (MongoDB): TLS, invalid certificates and journal are each on their label's line", async function () {
    const { page } = running().browser;
    const n = first('callflow-store');
    const problems = await checkRows(
      page,
      async () => {
        await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.editor.editConfig('', 'callflow-store', id), n.id);
        await page.locator('#node-config-input-backend').waitFor();
        await page.locator('#node-config-input-backend').selectOption('mongodb');
      },
      ['tls', 'tlsAllowInvalidCertificates', 'journal'],
      'node-config-input',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(running().browser.errors(), []);
  });
});
