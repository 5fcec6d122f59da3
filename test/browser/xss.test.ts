/**
 * Hostile text in the editor, in a real browser (Debian's Chromium,
 * headless) against a real Node-RED with this package: node names, a tab's
 * label, a flow name the schema refuses, a version name the API refuses,
 * version comments, the user name of an edit lock (an adminAuth user), a
 * campaign's name, a template's name and a field the campaign schema
 * refuses, each holding script (`<img onerror>`, `"><svg onload>`,
 * `<script>`, and a payload made for an attribute). Each place shows the text
 * as it is, creates no element from it, and runs none of it
 * (`window.__xss` stays undefined). The admin API answers JSON, also to
 * hostile paths and bodies. Without /usr/bin/chromium the suite is reported
 * as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { shownValue } from '../../lib/schemas/validator';
import { useEditor } from '../support/browser';

const IMG = '<img src=x onerror=window.__xss=1>';
const SVG = '"><svg onload=window.__xss=1>';
const SCRIPT = '<script>window.__xss=1</script>';
/** Made to break out of a double-quoted attribute (value="..."), were it pasted into one. */
const ATTR = '" autofocus onfocus="window.__xss=1" x="';
const PAYLOADS = [IMG, SVG, SCRIPT, ATTR];

const gray = readExamples().find((e) => e.name === 'Gray release');
const notice = readExamples().find((e) => e.name === 'Notification campaign');
if (!gray || !notice) throw new Error('examples/Gray release.json or examples/Notification campaign.json is missing');
const exampleCampaign = notice.nodes.find((n) => n.type === 'callflow-campaign');
if (!exampleCampaign) throw new Error("the Notification campaign example has no campaign");
const releaseSet = gray.nodes.find((n) => n.type === 'callflow-releases') as { id: string };
const connection = gray.nodes.find((n) => n.type === 'callflow-asterisk') as { id: string };

// Version v3 of flow "support": its nodes are named with the payloads, and its problems (an output not wired,
// nodes the entry cannot reach) name them, so a release is refused with the names in the message.
const V3 = { tab: 'a55a000000000030', entry: 'a55a000000000031', answer: 'a55a000000000032', play: 'a55a000000000033', hangup: 'a55a000000000034', other: 'a55a000000000035' };
const v3Nodes = [
  { id: V3.tab, type: 'tab', label: `support v3 ${SVG}`, disabled: false },
  { id: V3.entry, type: 'callflow-entry', z: V3.tab, name: '', connection: connection.id, flow: 'support', releases: releaseSet.id, version: 'v3', release: '', grayShare: 0, grayCallers: '', x: 120, y: 80, wires: [[V3.answer]] },
  { id: V3.answer, type: 'callflow-answer', z: V3.tab, name: IMG, onError: 'hangup', outputs: 1, x: 320, y: 80, wires: [[]] },
  { id: V3.play, type: 'callflow-play', z: V3.tab, name: SCRIPT, prompts: ['sound:hello-world'], language: '', bargeIn: false, repeat: '1', answer: true, onError: 'hangup', outputs: 1, x: 320, y: 160, wires: [[V3.hangup]] },
  { id: V3.hangup, type: 'callflow-hangup', z: V3.tab, name: SVG, reason: 'normal', x: 520, y: 160, wires: [] },
  { id: V3.other, type: 'callflow-hangup', z: V3.tab, name: ATTR, reason: 'normal', x: 520, y: 240, wires: [] },
];

// A campaign named with a payload, run by a dialer; a second one whose caller group (a field whose schema refuses
// "<") holds one; and an entry whose flow name (refused by its schema too) holds one.
const C = { tab: 'a55a000000000040', good: 'a55a0000000000c1', bad: 'a55a0000000000c2', dialer: 'a55a000000000041', entry: 'a55a000000000042' };
const { id: _id, type: _type, ...campaignSettings } = exampleCampaign;
const campaignNodes = [
  { id: C.tab, type: 'tab', label: 'campaigns', disabled: false },
  { ...campaignSettings, id: C.good, type: 'callflow-campaign', name: IMG },
  { ...campaignSettings, id: C.bad, type: 'callflow-campaign', name: 'invalid caller group', callerNumbers: [], callerGroup: IMG },
  { id: C.dialer, type: 'callflow-dialer', z: C.tab, name: '', campaign: C.good, x: 160, y: 80, wires: [[], [], []] },
  { id: C.entry, type: 'callflow-entry', z: C.tab, name: '', connection: connection.id, flow: IMG, releases: '', version: '', release: '', grayShare: 0, grayCallers: '', x: 160, y: 180, wires: [[]] },
];

const flows = [...gray.nodes, ...v3Nodes, ...campaignNodes];

// adminAuth: the editor logs in as "admin"; the other user's name is a payload (user names come from settings, or
// from whatever a custom adminAuth strategy is told). That user only calls the API from this process: Node-RED's
// own header shows the logged-in user's name as HTML. The hash is bcrypt of "xss-test" (cost 8), the kind
// `node-red admin hash-pw` prints.
const PASSWORD = 'xss-test';
const HASH = '$2b$08$j.X6.JcyfNyE7VlsWCJryuJ42YNVUXWSE3zR5hzJC12RL7yPGUCxy';
const settings = {
  adminAuth: {
    type: 'credentials',
    users: [
      { username: 'admin', password: HASH, permissions: '*' },
      { username: IMG, password: HASH, permissions: '*' },
    ],
  },
};

/** The little of the DOM the escape test uses (the tests compile without the DOM's types). */
interface Box {
  innerHTML: string;
  textContent: string | null;
  attributes: { length: number };
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelectorAll(selector: string): ArrayLike<Box> & Iterable<Box>;
}

interface Page$ {
  document: { createElement(tag: string): Box };
  __xss?: unknown;
  RED: { actions: { invoke(name: string): void }; events: { emit(name: string, value: unknown): void }; nodes: { node(id: string): unknown }; callflow: { escape(text: string): string } };
}

/** The script of any payload ran. */
async function ran(page: Page): Promise<unknown> {
  return page.evaluate(() => (globalThis as unknown as Page$).__xss);
}

/** What a payload would make if it were parsed as HTML: none of it may be in `where`. */
async function madeElements(where: Locator): Promise<number> {
  return where.locator('img, svg, script, [onerror], [onload], [onfocus], [autofocus]').count();
}

describe('hostile text in the editor, in a real browser', function () {
  this.timeout(90_000);
  const tokens: Record<string, string> = {};
  const running = useEditor(
    flows,
    async (e) => {
      await e.waitForLog(/support v2 released as the gray version/);
      // Tokens for the admin API, as Node-RED's own admin tools get them.
      for (const username of ['admin', IMG]) {
        const res = await fetch(`${e.url}/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password: PASSWORD }),
        });
        assert.equal(res.status, 200, `log in as ${username}`);
        tokens[username] = ((await res.json()) as { access_token: string }).access_token;
      }
    },
    { settings, login: { username: 'admin', password: PASSWORD } },
  );

  /** The admin API as `user`, from this process. */
  const api = (path: string, init: { method?: string; body?: unknown; raw?: string; user?: string; editor?: string } = {}): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${tokens[init.user ?? 'admin'] ?? ''}`, accept: 'application/json' };
    if (init.editor) headers['x-callflow-editor'] = init.editor;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${running().editor.url}${path}`, { method: init.method ?? 'GET', headers, body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)) });
  };
  const versionPath = (version: string, op = ''): string => `/callflow/releases/${releaseSet.id}/flows/support/versions/${encodeURIComponent(version)}${op ? `/${op}` : ''}`;

  const row = (version: string): Locator => running().browser.page.locator(`.callflow-rel-flow[data-flow="support"] .callflow-rel-version[data-version="${version}"]`);
  const notification = (text: string): Locator => running().browser.page.locator('.red-ui-notification', { hasText: text });
  /**
   * Waits for the sidebar's next redraw. It redraws every 5 s and drops a form opened in it meanwhile, so a test
   * that fills a form starts right after a redraw.
   */
  const redrawn = async (): Promise<void> => {
    const flow = running().browser.page.locator('.callflow-rel-flow[data-flow="support"]');
    await flow.evaluate((el: Box) => el.setAttribute('data-drawn-before', ''));
    await running().browser.page.locator('.callflow-rel-flow[data-flow="support"]:not([data-drawn-before])').waitFor();
  };
  const showSidebar = async (): Promise<void> => {
    const { page } = running().browser;
    await page.evaluate(() => (globalThis as unknown as Page$).RED.actions.invoke('callflow:show-call-flows-tab'));
    await page.locator('#red-ui-tab-callflow-releases.active').waitFor({ state: 'attached' });
    await page.locator('#red-ui-sidebar-footer button[data-action="refresh"]').click();
  };

  // Each test ends by checking that no payload ran; a payload that ran in one test is not counted in the next.
  beforeEach(async function () {
    await running().browser.page.evaluate(() => delete (globalThis as unknown as Page$).__xss);
  });
  const noneRan = async (): Promise<void> => {
    assert.equal(await ran(running().browser.page), undefined, 'a payload ran in the editor');
    assert.deepEqual(running().browser.errors(), []);
  };

  it('shows a release refusal that names nodes called with script as text (the finding)', async function () {
    // v3 is New; an edit and an unlock make it Unreleased, which offers Release.
    assert.equal((await api(versionPath('v3', 'edit'), { method: 'POST', editor: 'setup' })).status, 200);
    assert.equal((await api(versionPath('v3', 'unlock'), { method: 'POST', editor: 'setup' })).status, 200);
    await showSidebar();
    await row('v3').locator('.callflow-rel-state[data-state="unreleased"]').waitFor();
    await redrawn();
    await row('v3').locator('button[data-op="release"]').click();
    await row('v3').locator('button[data-action="confirm-release"]').click();

    const refusal = notification('cannot be released');
    await refusal.waitFor();
    assert.equal(await madeElements(refusal), 0, 'the refusal made elements out of node names');
    const shown = (await refusal.textContent()) ?? '';
    assert.ok(shown.includes(`answer "${IMG}" (${V3.answer}): output 1 is not wired`), shown);
    for (const [name, id] of [[SCRIPT, V3.play], [SVG, V3.hangup], [ATTR, V3.other]] as const) {
      assert.ok(shown.includes(`"${name}" (${id}) cannot be reached from the entry`), `${name} in ${shown}`);
    }
    // The problems are listed under the message, one item each, as before.
    assert.equal(await refusal.locator('li').count(), 4);
    // The version's problems, asked for by the sidebar, are text as well.
    await row('v3').locator('.callflow-rel-problems li', { hasText: IMG }).waitFor();
    assert.equal(await madeElements(row('v3')), 0);
    await noneRan();
  });

  it('shows a version name the API refuses as text', async function () {
    await redrawn();
    await row('v1').locator('button[data-op="clone"]').click();
    await row('v1').locator('input.callflow-rel-new-version').fill(ATTR + IMG);
    await row('v1').locator('button[data-action="create"]').click();
    const refusal = notification('a version: 1 to 32 letters');
    await refusal.waitFor();
    assert.equal(await madeElements(refusal), 0);
    assert.ok(((await refusal.textContent()) ?? '').includes(`(got ${shownValue(ATTR + IMG)})`), (await refusal.textContent()) ?? '');
    await noneRan();
  });

  it("shows release comments and the releaser's words as text in the version's info", async function () {
    const comment = `${SVG} ${SCRIPT} ${ATTR}`;
    await redrawn();
    await row('v2').locator('button[data-op="release"]').click();
    await row('v2').locator('input.callflow-rel-comment').fill(comment);
    await row('v2').locator('button[data-action="confirm-release"]').click();
    await notification('v2 released').waitFor();
    await row('v2').locator('.callflow-rel-state[data-state="official"]').waitFor();
    await redrawn();
    await row('v2').locator('button[data-op="info"]').click();
    const panel = row('v2').locator('.callflow-rel-panel');
    await panel.locator('pre').waitFor();
    assert.ok(((await panel.locator('pre').textContent()) ?? '').includes(`(${comment})`), 'the history shows the comment');
    assert.ok(((await panel.locator('li[data-snapshot]').first().textContent()) ?? '').includes(comment), 'the snapshot shows the comment');
    assert.equal(await madeElements(panel), 0);
    await noneRan();
  });

  it('shows the name of a user who holds an edit lock as text, in the version and in the warning', async function () {
    const { page } = running().browser;
    // The other user (named with a payload) edits v3 from another editor page.
    assert.equal((await api(versionPath('v3', 'edit'), { method: 'POST', user: IMG, editor: 'elsewhere' })).status, 200);
    await page.locator('#red-ui-sidebar-footer button[data-action="refresh"]').click();
    const note = row('v3').locator('.callflow-rel-note', { hasText: 'Editing by' });
    await note.waitFor();
    assert.ok(((await note.textContent()) ?? '').includes(`Editing by ${IMG}`), (await note.textContent()) ?? '');
    // A change to v3's tab in this editor: the sidebar warns that someone else is editing it.
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as Page$).RED;
      RED.events.emit('nodes:change', RED.nodes.node(id));
    }, V3.answer);
    const warning = notification('is being edited by');
    await warning.waitFor();
    assert.equal(((await warning.textContent()) ?? '').trim(), `support v3 is being edited by ${IMG}: a deploy of your changes to its tab would end their editing. Ask them first, or Unlock it in the Call flows sidebar.`);
    assert.equal(await madeElements(warning), 0);
    assert.equal((await api(versionPath('v3', 'unlock'), { method: 'POST', user: IMG, editor: 'elsewhere' })).status, 200);
    await noneRan();
  });

  it("shows a campaign's name and an imported template's name as text", async function () {
    const { page } = running().browser;
    // The dialer's label names its campaign (Node-RED draws labels as text).
    const dialer = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${C.dialer}"]`);
    await page.locator(`#red-ui-workspace-tabs li.red-ui-tab[id="red-ui-tab-${C.tab}"] a`).click();
    await dialer.waitFor();
    assert.ok(((await dialer.textContent()) ?? '').includes(`dialer: ${IMG}`));

    const exported = await api(`/callflow/campaigns/${C.good}/template`);
    assert.equal(exported.status, 200);
    const template = (await exported.json()) as { name: string; settings: { name: string } };
    assert.equal(template.name, IMG);
    template.settings.name = `${SCRIPT}${SVG}`;

    await dialer.locator('rect.red-ui-flow-node').dblclick();
    await page.locator('#callflow-dialer-state', { hasText: 'Now: ' }).waitFor();
    await page.locator('#node-input-btn-campaign-edit').click();
    await page.locator('#callflow-campaign-tabs').waitFor();
    assert.equal(await page.locator('#node-config-input-name').inputValue(), IMG);
    await page.locator('#callflow-campaign-file').setInputFiles({ name: 'hostile.template.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(template)) });
    const imported = notification('imported: check the form');
    await imported.waitFor();
    assert.equal(((await imported.textContent()) ?? '').trim(), `Template ${SCRIPT}${SVG} imported: check the form, then Update and deploy.`);
    assert.equal(await madeElements(imported), 0);
    assert.equal(await page.locator('#node-config-input-name').inputValue(), `${SCRIPT}${SVG}`);

    // A template the server refuses: its problems name the value, as text.
    const refused = { ...template, settings: { ...template.settings, callerGroup: IMG } };
    await page.locator('#callflow-campaign-file').setInputFiles({ name: 'refused.template.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(refused)) });
    const refusal = notification('settings.callerGroup');
    await refusal.waitFor();
    assert.ok(((await refusal.textContent()) ?? '').includes(`(got ${shownValue(IMG)})`));
    assert.equal(await madeElements(refusal), 0);
    const listed = page.locator('#callflow-campaign-problems li', { hasText: shownValue(IMG) });
    await listed.waitFor();
    assert.equal(await madeElements(page.locator('#callflow-campaign-problems')), 0);
    // The form checks itself again (its values, which the refused file did not change, are fine): the refusal stays listed.
    const checked = page.waitForResponse((r) => r.url().endsWith('/callflow/campaigns/check'));
    await page.evaluate(() => (globalThis as unknown as { $(s: string): { trigger(e: string): void } }).$('#callflow-campaign-tabs-content').trigger('click'));
    await checked;
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    assert.equal(await listed.count(), 1, 'the refused template\'s problems stay until the next import or an edit');

    await page.locator('#node-config-dialog-cancel').click();
    await page.locator('#callflow-campaign-tabs').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#callflow-dialer-buttons').waitFor({ state: 'detached' });
    await noneRan();
  });

  it('keeps a value a schema refuses as text where Node-RED shows the problems as HTML (config nodes sidebar)', async function () {
    const { page } = running().browser;
    // The entry whose flow name the schema refuses: its label on the canvas is text.
    await page.locator(`#red-ui-workspace-tabs li.red-ui-tab[id="red-ui-tab-${C.tab}"] a`).click();
    await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${C.entry}"]`).waitFor();
    assert.ok(((await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${C.entry}"]`).textContent()) ?? '').includes(`entry: ${IMG}`));
    await page.evaluate(() => (globalThis as unknown as Page$).RED.actions.invoke('core:show-config-tab'));
    const invalid = page.locator('.red-ui-palette-node-config-invalid', { hasText: 'invalid caller group' });
    await invalid.waitFor();
    // Node-RED's tooltip on the red triangle builds HTML from the node's validation messages.
    await invalid.locator('.red-ui-palette-node-annotations').hover();
    const tooltip = page.locator('.red-ui-popover', { hasText: 'callerGroup:' });
    await tooltip.waitFor();
    assert.equal(await madeElements(tooltip), 0, 'the tooltip made elements out of the value');
    assert.ok(((await tooltip.textContent()) ?? '').includes('(got "\\u003cimg src=x onerror=window.__xss=1\\u003e")'), (await tooltip.textContent()) ?? '');
    await page.mouse.move(0, 0);
    await noneRan();
  });

  it('escapes text for HTML in element and attribute context alike (RED.callflow.escape)', async function () {
    const { page } = running().browser;
    const parsed = await page.evaluate((payloads) => {
      const page$ = globalThis as unknown as Page$;
      const escape = (text: string): string => page$.RED.callflow.escape(text);
      return payloads.map((p) => {
        const box = page$.document.createElement('div');
        box.innerHTML = `<p title="${escape(p)}">${escape(p)}</p><p title='${escape(p)}'></p>`;
        const [double, single] = [...box.querySelectorAll('p')];
        return { elements: box.querySelectorAll('*').length, text: double?.textContent, title: double?.getAttribute('title'), single: single?.getAttribute('title'), attributes: double?.attributes.length };
      });
    }, PAYLOADS);
    for (const [i, p] of PAYLOADS.entries()) assert.deepEqual(parsed[i], { elements: 2, text: p, title: p, single: p, attributes: 1 }, p);
  });

  it('answers JSON to hostile paths and bodies, never HTML that echoes them', async function () {
    const hostile = encodeURIComponent(IMG);
    const cases: [string, { method?: string; body?: unknown; raw?: string }, number][] = [
      [`/callflow/releases/${releaseSet.id}/flows/${hostile}/versions/${hostile}/info`, {}, 404],
      [`/callflow/releases/${hostile}/flows/support/versions/v1/info`, {}, 404],
      [versionPath('v1', 'clone'), { method: 'POST', body: { version: IMG } }, 400],
      [versionPath('v1', 'test'), { method: 'POST', body: { endpoint: IMG } }, 400],
      [`/callflow/releases/${releaseSet.id}/flows/support/diff?from=${hostile}&to=snapshot:${hostile}`, {}, 404],
      [`/callflow/campaigns/${hostile}/start`, { method: 'POST' }, 404],
      [`/callflow/campaigns/${C.good}/${hostile}`, { method: 'POST' }, 404],
      ['/callflow/campaigns/template/check', { method: 'POST', body: { format: IMG, version: 1, name: IMG, settings: {} } }, 422],
      ['/callflow/campaigns/check', { method: 'POST', body: { name: IMG, callerGroup: IMG } }, 200],
      [`/callflow/simulator/calls/${hostile}`, {}, 404],
    ];
    for (const [path, init, status] of cases) {
      const res = await api(path, init);
      const body = await res.text();
      assert.equal(res.status, status, `${path}: ${body}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${path} answers ${res.headers.get('content-type') ?? 'no content type'}`);
      assert.doesNotThrow(() => JSON.parse(body), `${path} answers JSON`);
    }
    // A body that is not JSON never reaches the package: Node-RED's body parser, in the editor API's own app, refuses
    // it with Express's HTML error page (a route or error handler of RED.httpAdmin, a sub-app, never sees the
    // error). That page escapes what it shows: none of the body's markup comes back.
    for (const raw of [`{"version": "${SCRIPT}${IMG}`, `<${IMG}>`]) {
      const broken = await api(versionPath('v1', 'clone'), { method: 'POST', raw });
      const answer = await broken.text();
      assert.equal(broken.status, 400, answer);
      assert.doesNotMatch(answer, /<script|<img|<svg/i, answer);
    }
  });
});
