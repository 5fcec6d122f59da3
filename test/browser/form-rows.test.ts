/**
 * Checkbox rows of the node forms in a real browser (Debian's Chromium,
 * headless) against a real Node-RED running the examples: each checkbox sits
 * on the same line as its label, to the label's left, also when the label's
 * text is longer than the row has room for (it wraps beside the checkbox
 * instead of dropping below it). Every node type's form is also explored:
 * each tab of the form shown, each select set to each of its values, each
 * checkbox ticked and unticked, each list given a row (the rows those reveal
 * or add, e.g. "ends the call" per output, a campaign's retry by cause and
 * weekdays), and every checkbox shown meanwhile must have its text start on
 * its line, to its right, in English and in Chinese (Chinese only where a
 * font has its glyphs, else reported skipped). Without /usr/bin/chromium the
 * suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PACKAGE_ROOT, combineExamples, readExamples } from '../../lib/playground/home';
import { cjkFontMissing, gotoEditorIn, traysAtRest, useEditor } from '../support/browser';

const flows = combineExamples(readExamples());
function first(type: string): { id: string; z?: string } {
  const found = flows.find((n) => n.type === type) as { id: string; z?: string } | undefined;
  if (!found) throw new Error(`no ${type} in the examples`);
  return found;
}

interface RedGlobal {
  RED: {
    nodes: { node(id: string): unknown; getType(type: string): { category?: string } | undefined };
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
 * tray's first field, in the same step), it did not move for two frames, and
 * RED.tray's timers for it have all run (traysAtRest).
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
  await page.waitForFunction(traysAtRest);
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

/** The titles (breadcrumbs) of the edit trays the page shows, the top one last. */
function trayTitles(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ querySelector(s: string): { textContent: string | null } | null }> } };
    return Array.from(g.document.querySelectorAll('#red-ui-editor-stack .red-ui-tray')).map((t) => (t.querySelector('.red-ui-tray-breadcrumbs li:last-child')?.textContent ?? '(no title)').trim());
  });
}

/** Waits until no edit tray is shown; if one stays, the error names it (a cancel that did not take, a tray opened over the form). */
async function noTray(page: Page, after: string): Promise<void> {
  try {
    await page.waitForFunction(() => (globalThis as unknown as Trays).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0);
  } catch (err) {
    throw new Error(`${after}, trays are still open: ${JSON.stringify(await trayTitles(page).catch((e: unknown) => [(e as Error).message]))} (${(err as Error).message.split('\n')[0]})`);
  }
}

/**
 * Closes every edit tray a test left open (it failed halfway), the top one
 * first, through the editor's own RED.tray.close() (as the tray's cancel
 * does), each time waiting until that tray has left the page: the next test
 * starts with none. Returns the titles of those it closed.
 */
async function closeTrays(page: Page): Promise<string[]> {
  const closed: string[] = [];
  // A tray under the top one is out of the page until the top one has gone; a few more than any form nests.
  for (let i = 0; i < 10; i += 1) {
    // Never close a tray RED.tray is still opening or uncovering (see traysAtRest).
    await page.waitForFunction(traysAtRest);
    const title = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { querySelectorAll(s: string): ArrayLike<{ setAttribute(k: string, v: string): void; querySelector(s: string): { textContent: string | null } | null }> };
        RED: { tray: { close(): void } };
      };
      const trays = g.document.querySelectorAll('#red-ui-editor-stack .red-ui-tray');
      const top = trays[trays.length - 1];
      if (!top) return undefined;
      top.setAttribute('data-callflow-test-closing', '');
      g.RED.tray.close();
      return (top.querySelector('.red-ui-tray-breadcrumbs li:last-child')?.textContent ?? '(no title)').trim();
    });
    if (title === undefined) return closed;
    closed.push(title);
    await page.waitForFunction(() => {
      const g = globalThis as unknown as { document: { querySelector(s: string): unknown } };
      return !g.document.querySelector('[data-callflow-test-closing]');
    });
  }
  throw new Error(`edit trays are still open after closing ten: ${JSON.stringify(await trayTitles(page))}`);
}

describe('checkbox rows of the node forms in a real browser', function () {
  this.timeout(90_000);
  const running = useEditor(flows, (e) => e.waitForLog(/ARI .* connected/));

  // Each test opens its form on an editor with no tray open, whatever the test before it left.
  beforeEach(async function () {
    const left = await closeTrays(running().browser.page);
    if (left.length > 0) console.log(`      closed the tray(s) a test before left open: ${left.join(', ')}`);
  });

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

  // A test that fails halfway leaves its form open; the next one must not fail for that (beforeEach closes it).
  it('leaves a form open over another, as a test that fails halfway does', async function () {
    const { page } = running().browser;
    const n = first('callflow-dialer');
    await page.evaluate(({ id, z }) => {
      const red = (globalThis as unknown as RedGlobal).RED;
      if (z) red.workspaces.show(z);
      red.editor.edit(red.nodes.node(id));
    }, n);
    await trayOpen(page);
    await page.locator('#node-input-btn-campaign-edit').click();
    await page.locator('#node-config-dialog-cancel').waitFor();
    await trayOpen(page);
    assert.equal((await trayTitles(page)).length, 1, 'the dialer\'s tray is out of the page while the campaign\'s is shown over it');
  });

  it('starts with no form open, whatever the test before it left', async function () {
    const { page } = running().browser;
    assert.deepEqual(await trayTitles(page), []);
    // The editor takes a new form as usual: its trays were closed through its own API, not removed from the page.
    const n = first('callflow-record');
    const problems = await checkRows(
      page,
      () =>
        page.evaluate(({ id, z }) => {
          const red = (globalThis as unknown as RedGlobal).RED;
          if (z) red.workspaces.show(z);
          red.editor.edit(red.nodes.node(id));
        }, n),
      ['beep'],
      'node-input',
    );
    assert.deepEqual(problems, []);
    await noTray(page, 'after the record form was cancelled');
    assert.deepEqual(running().browser.errors(), []);
  });

  // The forms' texts are translated: a longer one may push a checkbox's text to the next line in one language only.
  for (const lang of ['en-US', 'zh-CN']) {
    describe(`in ${lang}`, function () {
      before(async function () {
        const missing = lang === 'en-US' ? undefined : cjkFontMissing();
        if (missing) {
          console.log(`      SKIPPED: ${missing}`);
          this.skip();
        }
        await gotoEditorIn(running().browser.page, running().editor.url, lang);
      });

      for (const type of packageTypes()) {
        it(`${type}: every checkbox its form shows, once its tabs, selects, checkboxes and lists are tried, is on its text's line`, async function () {
          const { page } = running().browser;
          const n = flows.find((f) => f.type === type) as { id: string; z?: string } | undefined;
          // An example's node, or a new one (a config node only: every flow node type is in an example).
          const opened = await page.evaluate(({ type, id }) => {
            const red = (globalThis as unknown as RedGlobal).RED;
            if (red.nodes.getType(type)?.category === 'config') {
              red.editor.editConfig('', type, id ?? '_ADD_');
              return 'config';
            }
            const node = id ? (red.nodes.node(id) as { z?: string } | undefined) : undefined;
            if (!node) return undefined;
            if (node.z) red.workspaces.show(node.z);
            red.editor.edit(node);
            return 'node';
          }, { type, id: n?.id });
          assert.ok(opened, `no ${type} in the examples to open`);
          // A node with credentials gets its form once the editor has fetched them: the form, then the tray's last move.
          await page.waitForFunction(() => {
            const trays = (globalThis as unknown as Trays).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray') as unknown as ArrayLike<{ querySelector(s: string): unknown }>;
            return !!trays[trays.length - 1]?.querySelector('#dialog-form, #node-config-dialog-edit-form');
          });
          await trayOpen(page);
          const { problems, checkboxes } = await exploreForm(page);
          await page.locator(opened === 'config' ? '#node-config-dialog-cancel' : '#node-dialog-cancel').click();
          await noTray(page, `${type} (${lang}): after its cancel button was clicked`);
          console.log(`      ${type} (${lang}): ${checkboxes} checkbox(es) looked at`);
          assert.deepEqual(problems, [], `${type} (${lang}): checkboxes wrap`);
          assert.deepEqual(running().browser.errors(), []);
        });
      }
    });
  }
});

/** The node types this package registers (package.json "node-red".nodes), without the editor plugin. */
function packageTypes(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  return Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'callflow-editor');
}

/**
 * In the open form (the top tray's): shows each of the form's tabs and, on
 * each, sets every visible select to each of its values, ticks and unticks
 * every visible checkbox and gives every list a row, twice over (a change
 * may reveal more controls). After each step, every visible checkbox must
 * have its text (its label[for], or the label it sits in) begin on the
 * checkbox's line, to its right; a checkbox with no text is a problem too.
 * Returns the problems, each with the step after which it was seen, and
 * how many checkboxes were looked at.
 */
async function exploreForm(page: Page): Promise<{ problems: string[]; checkboxes: number }> {
  return page.evaluate(() => {
    interface Rect { top: number; bottom: number; left: number; right: number; width: number; height: number }
    interface El {
      id: string;
      className: string;
      value: string;
      textContent: string | null;
      childNodes: ArrayLike<unknown>;
      options?: ArrayLike<{ value: string; disabled: boolean }>;
      querySelector(s: string): El | null;
      querySelectorAll(s: string): ArrayLike<El>;
      closest(s: string): El | null;
      getBoundingClientRect(): Rect;
      getClientRects(): ArrayLike<Rect>;
      click(): void;
    }
    interface Range {
      selectNodeContents(n: unknown): void;
      setStartAfter(n: unknown): void;
      setEnd(n: unknown, offset: number): void;
      getClientRects(): ArrayLike<Rect>;
      toString(): string;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<El>; createRange(): Range };
      getComputedStyle(el: El): { visibility: string };
      $: (el: El) => { val(v: string): { trigger(event: string): void }; trigger(event: string): void };
      CSS: { escape(s: string): string };
    };
    const trays = g.document.querySelectorAll('#red-ui-editor-stack .red-ui-tray');
    const form = trays[trays.length - 1]?.querySelector('#dialog-form, #node-config-dialog-edit-form');
    if (!form) return { problems: ['no form is open'], checkboxes: 0 };
    const shown = (el: El): boolean => el.getClientRects().length > 0 && g.getComputedStyle(el).visibility !== 'hidden';
    const all = (selector: string): El[] => Array.from(form.querySelectorAll(selector)).filter(shown);
    // A problem once, with the first step after which it was seen.
    const problems = new Map<string, string>();
    const report = (problem: string, step: string): void => {
      if (!problems.has(problem)) problems.set(problem, `${problem} (${step})`);
    };
    const seen = new Set<El>();

    function check(step: string): void {
      for (const box of all('input[type=checkbox]')) {
        seen.add(box);
        const b = box.getBoundingClientRect();
        const forLabel = box.id ? form?.querySelector(`label[for="${g.CSS.escape(box.id)}"]`) : null;
        const around = box.closest('label');
        const range = g.document.createRange();
        if (forLabel && shown(forLabel)) range.selectNodeContents(forLabel);
        else if (around) {
          range.setStartAfter(box);
          range.setEnd(around, around.childNodes.length);
        }
        const text = range.toString().trim();
        const name = box.id ? `#${box.id}` : `"${text}"${box.value && box.value !== 'on' ? ` (${box.value})` : ''}`;
        const first = Array.from(range.getClientRects()).find((r) => r.width > 0 && r.height > 0);
        if (!text || !first) {
          report(`the checkbox ${name || box.className} has no text beside it`, step);
          continue;
        }
        const middle = b.top + b.height / 2;
        if (middle < first.top || middle > first.bottom) report(`the checkbox ${name} (y ${Math.round(b.top)}-${Math.round(b.bottom)}) is not on the line where its text begins (y ${Math.round(first.top)}-${Math.round(first.bottom)})`, step);
        else if (first.left < b.right - 1) report(`the text of the checkbox ${name} begins at x ${Math.round(first.left)}, not right of it (x ${Math.round(b.left)}-${Math.round(b.right)})`, step);
      }
    }

    const tabs = (): El[] => all('.red-ui-tabs li a');
    check('as the form opens');
    for (let pass = 1; pass <= 2; pass += 1) {
      const tabCount = Math.max(1, tabs().length);
      for (let t = 0; t < tabCount; t += 1) {
        const tab = tabs()[t];
        let where = '';
        if (tab) {
          // Node-RED's tabs switch on mousedown + mouseup; a second switch within 400 ms is taken for a double click
          // (which only resets that timer), so a tab that did not become active is pressed once more.
          for (let tries = 0; tries < 2 && !tab.closest('li')?.className.includes('active'); tries += 1) {
            g.$(tab).trigger('mousedown');
            g.$(tab).trigger('mouseup');
          }
          if (!tab.closest('li')?.className.includes('active')) report(`the tab "${(tab.textContent ?? '').trim()}" could not be shown`, `pass ${pass}`);
          where = `on the tab "${(tab.textContent ?? '').trim()}", `;
          check(`${where}shown`);
        }
        for (const select of all('select')) {
          for (const option of Array.from(select.options ?? [])) {
            if (option.disabled || option.value === '_ADD_') continue;
            g.$(select).val(option.value).trigger('change');
            check(`${where}${select.id ? `#${select.id}` : `select .${select.className}`} set to "${option.value}"`);
          }
        }
        for (const box of all('input[type=checkbox]')) {
          box.click();
          check(`${where}after clicking ${box.id ? `#${box.id}` : 'a checkbox'}`);
          if (shown(box)) box.click();
          check(`${where}after clicking ${box.id ? `#${box.id}` : 'a checkbox'} twice`);
        }
        if (pass === 1) {
          for (const add of all('.red-ui-editableList-addButton, .callflow-campaign-mini-add')) {
            add.click();
            check(`${where}after adding a row with "${(add.textContent ?? '').trim()}"`);
          }
        }
      }
    }
    return { problems: [...problems.values()], checkboxes: seen.size };
  });
}
