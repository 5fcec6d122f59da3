/**
 * The collect node's pattern in a real browser (Debian's Chromium, headless)
 * against a real Node-RED running the "IVR menu" example: the runtime
 * judges a pattern with RE2, the engine that runs it (POST
 * /callflow/patterns/check), and the form shows its reason on the field; a
 * node whose pattern RE2 refuses is marked invalid on the canvas. Without
 * /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import { readExamples } from '../../lib/playground/home';
import { trayAtRest, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'IVR menu');
if (!example) throw new Error('examples/IVR menu.json is missing');
const collect = example.nodes.find((n) => n.type === 'callflow-collect') as { id: string; z: string; pattern: string };
// A second collect node, as a flow file might bring it: a backreference, which RE2 cannot run.
const refused = { ...collect, id: '7e57ba5e00000001', name: 'repeated digit', pattern: '(\\d)\\1', x: 200, y: 600, wires: [[], [], []] };
// Patterns named as Object.prototype members: literals RE2 takes. The form's bookkeeping must not answer them with
// what a plain object inherits (asking["constructor"] was Object, and the node was marked invalid with a TypeError).
// Not "__proto__": Node-RED's own editor (4.1, search.js indexProperty) files every property value of every node in
// a plain object, index[value][node.id], so such a value writes node ids onto Object.prototype of the whole page.
const protoNamed = ['constructor', 'toString', 'valueOf', 'constructor'].map((pattern, i) => ({ ...collect, id: `7e57ba5e0000010${i}`, name: `literal ${pattern}`, pattern, x: 200 + 150 * i, y: 700, wires: [[], [], []] }));

interface RedGlobal {
  RED: { nodes: { node(id: string): { valid?: boolean; validationErrors?: string[] } | null } };
}

describe('the collect pattern in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor([...example.nodes, refused, ...protoNamed], (e) => e.waitForLog(/ARI .* connected/));

  it('marks a node whose pattern RE2 refuses as invalid on the canvas, once the runtime has answered', async function () {
    const { page } = running().browser;
    await page.waitForFunction((id) => (globalThis as unknown as RedGlobal).RED.nodes.node(id)?.valid === false, refused.id);
    const errors = await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.nodes.node(id)?.validationErrors ?? [], refused.id);
    assert.deepEqual(errors, ['pattern: "(\\\\d)\\\\1" is not accepted: invalid escape sequence: `\\1` (backreferences are not supported)']);
    assert.equal(await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.nodes.node(id)?.valid, collect.id), true, "the example's own pattern is accepted");
    assert.deepEqual(running().browser.errors(), []);
  });

  it('accepts patterns named as Object.prototype members (constructor, toString, valueOf), before and after the runtime answers', async function () {
    const { page } = running().browser;
    const state = (): Promise<{ valid?: boolean; errors?: string[] }[]> =>
      page.evaluate((ids) => ids.map((id) => {
        const n = (globalThis as unknown as RedGlobal).RED.nodes.node(id);
        return { valid: n?.valid, errors: n?.validationErrors ?? [] };
      }), protoNamed.map((n) => n.id));
    const ok = protoNamed.map(() => ({ valid: true, errors: [] }));
    assert.deepEqual(await state(), ok);
    // Once every verdict is in (the runtime answers each pattern once), still valid.
    await page.waitForFunction(() => (globalThis as unknown as { $: { active: number } }).$.active === 0);
    assert.deepEqual(await state(), ok);
    assert.deepEqual(running().browser.errors(), []);
  });

  it("shows RE2's reason on the pattern field as one types, and takes (\\d+)+", async function () {
    const { page } = running().browser;
    await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${collect.id}"] rect.red-ui-flow-node`).dblclick();
    const field = page.locator('#node-input-pattern');
    await field.waitFor();
    // Node-RED resizes a tray and moves the focus in timers after it shows it: type once they have run.
    await trayAtRest(page);
    assert.equal(await field.inputValue(), collect.pattern);

    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/callflow/patterns/check') && (r.request().postData() ?? '').includes('(?=1)'));
    await field.fill('');
    await field.pressSequentially('(?=1)\\d+');
    assert.equal(await field.inputValue(), '(?=1)\\d+', 'every key typed reached the field');
    assert.equal((await answered).status(), 200);
    await page.locator('#node-input-pattern.input-error').waitFor();
    const reason = 'pattern: "(?=1)\\\\d+" is not accepted: invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not supported)';
    const popover = page.locator('.red-ui-popover', { hasText: reason });
    // The reason shows while the pointer is over the field. The form validates again when the node's verdicts settle,
    // and a tooltip made again does not open under a pointer that is already there: move away and back, as a user would.
    for (let attempt = 1; ; attempt += 1) {
      await page.mouse.move(0, 0);
      await field.hover();
      try {
        await popover.waitFor({ timeout: 10_000 });
        break;
      } catch (err) {
        if (attempt === 3) {
          const shown = await page.evaluate(() => {
            const $ = (globalThis as unknown as { $: (s: string) => { toArray(): { textContent: string | null }[] } }).$;
            return $('.red-ui-popover').toArray().map((e) => e.textContent);
          });
          const cls = await field.getAttribute('class');
          throw new Error(`${(err as Error).message}\nthe field: ${JSON.stringify(await field.inputValue())} class=${JSON.stringify(cls)}; popovers shown: ${JSON.stringify(shown)}`);
        }
      }
    }

    // What froze V8 for 95 s is harmless on RE2: accepted.
    await field.fill('');
    await field.pressSequentially('(\\d+)+');
    await page.locator('#node-input-pattern:not(.input-error)').waitFor();

    await page.locator('#node-dialog-cancel').click();
    await field.waitFor({ state: 'detached' });
    assert.deepEqual(running().browser.errors(), []);
  });
});
