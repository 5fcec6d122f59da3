/**
 * The Node-RED editor in a real browser (Debian's Chromium, headless): a
 * real Node-RED with this package and the "Hello IVR" example deployed.
 * The editor loads without script errors, the palette offers the callflow
 * nodes, the workspace shows the deployed flow's tab with its nodes, and
 * closing leaves no process behind. Without /usr/bin/chromium the suite is
 * reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readExamples } from '../../lib/playground/home';
import { chromiumMissing, chromiumProcesses, gotoEditor, openBrowser, startEditor, type BrowserHandle, type EditorHandle } from '../support/browser';

const hello = readExamples().find((e) => e.name === 'Hello IVR');
if (!hello) throw new Error('examples/Hello IVR.json is missing');
const tab = hello.nodes.find((n) => n.type === 'tab') as { id: string; label: string };
const entry = hello.nodes.find((n) => n.type === 'callflow-entry') as { id: string; z: string };

describe('the editor in a real browser', function () {
  // Node-RED starts in 1-3 s, Chromium in 0.5-2 s, the editor loads in 2-3 s.
  this.timeout(60_000);
  let editor: EditorHandle | undefined;
  let browser: BrowserHandle | undefined;

  before(function () {
    const missing = chromiumMissing();
    if (missing === undefined) return;
    // Say why, in the test output, then mark every test of the suite pending.
    console.log(`      SKIPPED: ${missing}`);
    this.skip();
  });

  before(async function () {
    // Both at once; each is kept as soon as it runs, so after() ends it even if the other failed.
    const started = await Promise.allSettled([
      startEditor({ flows: hello.nodes }).then((e) => (editor = e)),
      openBrowser().then((b) => (browser = b)),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    await gotoEditor(browser!.page, editor!.url);
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(`      Node-RED's output:\n${editor?.logs().join('\n') ?? '(not started)'}`);
    console.log(`      the page's script errors:\n${browser?.errors().join('\n') ?? '(no browser)'}`);
  });

  after(async function () {
    await browser?.close();
    await editor?.stop();
  });

  it('loads the editor without script errors', async function () {
    const { page } = browser!;
    assert.match(await page.title(), /Node-RED/);
    await page.locator('#red-ui-header').waitFor();
    assert.deepEqual(browser!.errors(), []);
  });

  it('offers the callflow nodes in the palette, in their own category', async function () {
    const { page } = browser!;
    const node = page.locator('#red-ui-palette-container-callflow .red-ui-palette-node[data-palette-type="callflow-entry"]');
    await node.waitFor();
    assert.equal((await node.locator('.red-ui-palette-label').textContent())?.trim(), 'entry');
    const palette = await page.locator('#red-ui-palette-container-callflow .red-ui-palette-node').all();
    const types = await Promise.all(palette.map((n) => n.getAttribute('data-palette-type')));
    assert.ok(types.includes('callflow-play') && types.includes('callflow-hangup'), types.join(', '));
  });

  it("shows the deployed flow's tab, open, with its nodes", async function () {
    const { page } = browser!;
    const workspaceTab = page.locator(`#red-ui-workspace-tabs li.red-ui-tab[id="red-ui-tab-${tab.id}"]`);
    await workspaceTab.waitFor();
    assert.equal((await workspaceTab.locator('.red-ui-tab-label').textContent())?.trim(), tab.label);
    assert.match((await workspaceTab.getAttribute('class')) ?? '', /\bactive\b/);
    assert.equal(entry.z, tab.id);
    const node = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${entry.id}"]`);
    await node.waitFor();
    assert.match((await node.textContent()) ?? '', /entry: hello/);
  });

  it('closes the browser and stops Node-RED, leaving no process behind', async function () {
    const b = browser!;
    const e = editor!;
    assert.ok(chromiumProcesses(b.dir).length > 0, 'Chromium is not found while open');
    await b.close();
    await e.stop();
    assert.deepEqual(chromiumProcesses(b.dir), []);
    assert.throws(() => process.kill(e.pid, 0), { code: 'ESRCH' });
    assert.equal(fs.existsSync(b.dir) || fs.existsSync(e.dir), false);
  });
});
