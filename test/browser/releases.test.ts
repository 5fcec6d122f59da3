/**
 * The "Call flows" sidebar tab in a real browser (Debian's Chromium,
 * headless) against a real Node-RED running the "Gray release" example:
 * it lists both versions with their states and only the buttons each state
 * allows, releases the gray version as official, and shows the states
 * change (the old official becomes Unreleased). Without /usr/bin/chromium
 * the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import { readExamples } from '../../lib/playground/home';
import { untilInPage, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Gray release');
if (!example) throw new Error('examples/Gray release.json is missing');

describe('the Call flows sidebar in a real browser', function () {
  this.timeout(60_000);
  // The example, with its connection keeping call records in the example's store (the Calls panel lists ended calls).
  const nodes = (example.nodes as { id: string; type: string }[]).map((n) => (n.type === 'callflow-asterisk' ? { ...n, recordStore: 'c0ffee0000000002' } : n));
  const running = useEditor(nodes, (e) => e.waitForLog(/support v2 released as the gray version/));

  const row = (version: string) => running().browser.page.locator(`.callflow-rel-flow[data-flow="support"] .callflow-rel-version[data-version="${version}"]`);
  const buttons = async (version: string): Promise<string[]> => {
    const all = await row(version).locator('.callflow-rel-buttons button[data-op]').all();
    return Promise.all(all.map(async (b) => (await b.getAttribute('data-op')) ?? ''));
  };

  it('lists the flow, its versions and states, and only the buttons each state allows', async function () {
    const { page } = running().browser;
    // Node-RED puts tabs beyond the first few in the sidebar's menu; its action opens the tab as the menu item does.
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-call-flows-tab'));
    await page.locator('#red-ui-tab-callflow-releases.active').waitFor({ state: 'attached' });
    await row('v1').locator('.callflow-rel-state[data-state="official"]').waitFor();
    await row('v2').locator('.callflow-rel-state[data-state="gray"]').waitFor();
    assert.equal((await row('v1').locator('.callflow-rel-state').textContent())?.trim(), 'Official Release');
    assert.deepEqual(await buttons('v1'), ['clone', 'test', 'cancel', 'info']);
    assert.deepEqual(await buttons('v2'), ['clone', 'test', 'release', 'cancel', 'details', 'info']);
    assert.match((await page.locator('.callflow-rel-flow[data-flow="support"] .callflow-rel-gray').textContent()) ?? '', /v2 takes 20% of new calls and callers \+15550199/);
  });

  it('releases the gray version as official: the states change in the sidebar', async function () {
    const { page } = running().browser;
    await row('v2').locator('button[data-op="release"]').click();
    const target = row('v2').locator('select.callflow-rel-target');
    await target.waitFor();
    const options = await target.locator('option').all();
    assert.deepEqual(await Promise.all(options.map((o) => o.getAttribute('value'))), ['official'], 'a gray version can only become official');
    await row('v2').locator('input.callflow-rel-comment').fill('promoted after the gray test');
    // The sidebar redraws itself every 5 seconds while it shows (v1's row is then a new element): the redraw
    // keeps the open form as typed.
    await row('v1').evaluate((el) => (el as unknown as { setAttribute(name: string, value: string): void }).setAttribute('data-before-redraw', ''));
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): object | null } }).document.querySelector('.callflow-rel-flow[data-flow="support"] .callflow-rel-version[data-version="v1"]:not([data-before-redraw])') !== null, undefined, { timeout: 15_000 });
    assert.equal(await row('v2').locator('input.callflow-rel-comment').inputValue(), 'promoted after the gray test');
    await row('v2').locator('button[data-action="confirm-release"]').click();
    await row('v2').locator('.callflow-rel-state[data-state="official"]').waitFor();
    await row('v1').locator('.callflow-rel-state[data-state="unreleased"]').waitFor();
    assert.deepEqual(await buttons('v1'), ['release', 'edit', 'delete']);
    assert.equal(await page.locator('.callflow-rel-flow[data-flow="support"] .callflow-rel-gray').count(), 0, 'no gray version any more');
    assert.deepEqual(running().browser.errors(), []);
  });

  it('shows Type and Is Referenced, and sets the Type of an Unreleased version with Attribute', async function () {
    const { page } = running().browser;
    const refs = page.locator('.callflow-rel-flow[data-flow="support"] .callflow-rel-refs');
    assert.equal(await refs.getAttribute('data-referenced'), 'no');
    assert.equal((await refs.textContent())?.trim(), 'Not referenced');
    assert.equal((await row('v2').locator('.callflow-rel-type').textContent())?.trim(), 'Other flow');
    // An official version has no Attribute button; v1 is Unreleased since the test above.
    assert.equal(await row('v2').locator('button[data-action="attribute"]').count(), 0);
    await row('v1').locator('button[data-action="attribute"]').click();
    await row('v1').locator('select.callflow-rel-type-select').selectOption('exception');
    await row('v1').locator('button[data-action="save-type"]').click();
    await row('v1').locator('.callflow-rel-type[data-type="exception"]').waitFor();
    assert.equal((await row('v1').locator('.callflow-rel-type').textContent())?.trim(), 'Exception handling flow');
    assert.deepEqual(running().browser.errors(), []);
  });

  it('lists a version\'s calls and draws the path of the chosen one on the canvas', async function () {
    const { page } = running().browser;
    // v2 is the official version now (the test above). A call through it, to its end: it is in the call records.
    const placed = await fetch(`${running().editor.url}/callflow/simulator/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from: '+15550123', to: '300', args: ['support'] }),
    });
    assert.equal(placed.status, 201);
    const id = ((await placed.json()) as { id: string }).id;
    await untilInPage(
      page,
      async (callId) => {
        const r = (await (await fetch('callflow/releases/c0ffee0000000003/flows/support/versions/v2/calls')).json()) as { recent: { id: string }[] };
        return r.recent.some((c) => c.id === callId);
      },
      id,
      'the call among v2\'s recent calls',
    );
    await row('v2').locator('button[data-action="calls"]').click();
    const link = row('v2').locator(`.callflow-rel-call-list a[data-call="${id}"]`);
    await link.waitFor();
    assert.match((await link.textContent()) ?? '', /^\+15550123 · .+ · [\d.]+ s · flow hangup$/);
    await link.click();
    const steps = row('v2').locator('.callflow-rel-steps li');
    await steps.first().waitFor();
    assert.deepEqual(await Promise.all((await steps.all()).map((e) => e.getAttribute('data-node'))), ['9b1c0000000021', '9b1c0000000022', '9b1c0000000023', '9b1c0000000024']);
    // On the canvas: v2's tab shows, with the call's nodes selected (and the wires between them).
    const selected = await page.evaluate(() => {
      const RED = (globalThis as unknown as { RED: { workspaces: { active(): string }; view: { selection(): { nodes?: { id: string }[]; links?: { source: { id: string }; target: { id: string } }[] } } } }).RED;
      const sel = RED.view.selection();
      return { tab: RED.workspaces.active(), nodes: (sel.nodes ?? []).map((n) => n.id).sort(), links: (sel.links ?? []).map((l) => `${l.source.id}>${l.target.id}`).sort() };
    });
    assert.equal(selected.tab, '9b1c0000000020');
    assert.deepEqual(selected.nodes, ['9b1c0000000021', '9b1c0000000022', '9b1c0000000023', '9b1c0000000024']);
    assert.deepEqual(selected.links, ['9b1c0000000021>9b1c0000000022', '9b1c0000000022>9b1c0000000023', '9b1c0000000023>9b1c0000000024']);
    // The filter keeps the calls whose caller matches.
    await row('v2').locator('input.callflow-rel-calls-filter').fill('+1999');
    await row('v2').locator('.callflow-rel-call-list li', { hasText: 'No calls to show.' }).waitFor();
    assert.deepEqual(running().browser.errors(), []);
  });

  it('warns when the tab of a version someone else is editing is opened', async function () {
    const { page } = running().browser;
    // Another editor page takes v1 (Unreleased since the release above).
    const edit = await page.evaluate(async () => (await fetch('callflow/releases/c0ffee0000000003/flows/support/versions/v1/edit', { method: 'POST', headers: { 'X-Callflow-Editor': 'another-editor' } })).status);
    assert.equal(edit, 200);
    await page.locator('button[data-action="refresh"]').click();
    await row('v1').locator('.callflow-rel-state[data-state="editing"]').waitFor();
    await page.evaluate(() => (globalThis as unknown as { RED: { workspaces: { show(id: string): void } } }).RED.workspaces.show('9b1c0000000010'));
    const warning = page.locator('.red-ui-notification', { hasText: 'support v1 is being edited by anonymous' });
    await warning.waitFor();
    assert.match((await warning.textContent()) ?? '', /a deploy of your changes to its tab would end their editing/);
    assert.deepEqual(running().browser.errors(), []);
  });

  it('refuses what the state does not allow, with the state in the message (the API answers 409)', async function () {
    const { page } = running().browser;
    // The sidebar offers no Edit on an official version; asking anyway is refused with the state and what it allows.
    const answer = await page.evaluate(async () => {
      const res = await fetch('callflow/releases', { headers: { Accept: 'application/json' } });
      const sets = (await res.json()) as { id: string }[];
      const edit = await fetch(`callflow/releases/${sets[0]?.id ?? ''}/flows/support/versions/v2/edit`, { method: 'POST', headers: { 'X-Callflow-Editor': 'browser-test' } });
      return { status: edit.status, body: (await edit.json()) as { message: string } };
    });
    assert.equal(answer.status, 409);
    assert.match(answer.body.message, /Edit is not allowed: version v2 of flow support is Official Release, which allows Clone, Test, Cancel Release, Query Info/);
    await page.locator('.callflow-rel-flow[data-flow="support"]').waitFor();
  });
});
