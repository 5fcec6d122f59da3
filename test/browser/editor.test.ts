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
import { chromiumProcesses, useEditor } from '../support/browser';

const hello = readExamples().find((e) => e.name === 'Hello IVR');
if (!hello) throw new Error('examples/Hello IVR.json is missing');
const tab = hello.nodes.find((n) => n.type === 'tab') as { id: string; label: string };
const entry = hello.nodes.find((n) => n.type === 'callflow-entry') as { id: string; z: string };

describe('the editor in a real browser', function () {
  // Node-RED starts in 1-3 s, Chromium in 0.5-2 s, the editor loads in 2-3 s.
  this.timeout(60_000);
  const running = useEditor(hello.nodes);

  it('loads the editor without script errors', async function () {
    const { page } = running().browser;
    assert.match(await page.title(), /Node-RED/);
    await page.locator('#red-ui-header').waitFor();
    assert.deepEqual(running().browser.errors(), []);
  });

  it('offers the callflow nodes in the palette, in their own category', async function () {
    const { page } = running().browser;
    const node = page.locator('#red-ui-palette-container-callflow .red-ui-palette-node[data-palette-type="callflow-entry"]');
    await node.waitFor();
    assert.equal((await node.locator('.red-ui-palette-label').textContent())?.trim(), 'entry');
    const palette = await page.locator('#red-ui-palette-container-callflow .red-ui-palette-node').all();
    const types = await Promise.all(palette.map((n) => n.getAttribute('data-palette-type')));
    assert.ok(types.includes('callflow-play') && types.includes('callflow-hangup'), types.join(', '));
  });

  it("shows the deployed flow's tab, open, with its nodes", async function () {
    const { page } = running().browser;
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
    const b = running().browser;
    const e = running().editor;
    assert.ok(chromiumProcesses(b.dir).length > 0, 'Chromium is not found while open');
    await b.close();
    await e.stop();
    assert.deepEqual(chromiumProcesses(b.dir), []);
    assert.throws(() => process.kill(e.pid, 0), { code: 'ESRCH' });
    assert.equal(fs.existsSync(b.dir) || fs.existsSync(e.dir), false);
  });
});
