/**
 * The http ivr node's form in a real browser (Debian's Chromium, headless) against a real Node-RED running the
 * "HTTP IVR" example: return outputs added and reordered keep their wires (portMap), "on error: continue" adds a
 * port, headers and the allowlist are saved, the signing secret and the headers' values go to the credentials and never
 * into flows.json,
 * a bad URL or header name is shown on its field, and the labels load in en-US and zh-CN. Without
 * /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { editNode, gotoEditorIn, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'HTTP IVR');
if (!example) throw new Error('examples/HTTP IVR.json is missing');
const ivr = example.nodes.find((n) => n.type === 'callflow-http-ivr') as { id: string; z: string; wires: string[][] };
const [agentTarget, errorTarget] = ivr.wires.map((w) => w[0]) as [string, string];
// A second node, as an author may have left it: one return output, errors hang up.
const second = { ...ivr, id: '4e7b1c2d3a5f0e01', name: 'second', returns: ['agent'], onError: 'hangup', outputs: 1, x: 340, y: 520, wires: [[agentTarget]] };
const SECRET = 'SIGNING-SECRET-4e7b';

interface RedGlobal {
  RED: {
    nodes: {
      node(id: string): Record<string, unknown> | null;
      filterLinks(filter: { source: unknown }): { sourcePort: number; target: { id: string } }[];
    };
  };
}

async function save(page: Page): Promise<void> {
  await page.locator('#node-dialog-ok').click();
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0);
}

/** The node's returns and output count, and its wires as [port, target]. */
const wiring = (page: Page, id: string): Promise<{ returns: unknown; outputs: unknown; links: [number, string][] }> =>
  page.evaluate((nodeId) => {
    const red = (globalThis as unknown as RedGlobal).RED;
    const node = red.nodes.node(nodeId) ?? {};
    const links = red.nodes.filterLinks({ source: node }).map((l) => [Number(l.sourcePort), l.target.id] as [number, string]).sort((a, b) => a[0] - b[0]);
    return { returns: node.returns, outputs: node.outputs, links };
  }, id);

/** The "add" button of the editable list that holds `list`. */
const addButton = (page: Page, list: string) => page.locator('.red-ui-editableList', { has: page.locator(list) }).locator('.red-ui-editableList-addButton');

describe('the http ivr form in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor([...example.nodes, second], (e) => e.waitForLog(/ARI .* connected/));

  it('a return output added and moved first: the wires stay with their outputs (agent, then the error output)', async function () {
    const { page } = running().browser;
    assert.deepEqual(await wiring(page, ivr.id), { returns: ['agent'], outputs: 2, links: [[0, agentTarget], [1, errorTarget]] });
    await editNode(page, ivr.id, '#node-input-url');
    await addButton(page, '#node-input-returns-list').click();
    await page.locator('#node-input-returns-list .callflow-http-ivr-return').last().fill('survey');
    // As a drag of the row's handle leaves it (jQuery UI's sortable moves the <li>): the new row first.
    await page.evaluate(() => {
      const $ = (globalThis as unknown as { $: (s: string) => { children(): { first(): unknown; last(): { insertBefore(x: unknown): void } } } }).$;
      const rows = $('#node-input-returns-list').children();
      rows.last().insertBefore(rows.first());
    });
    await save(page);
    assert.deepEqual(await wiring(page, ivr.id), { returns: ['survey', 'agent'], outputs: 3, links: [[1, agentTarget], [2, errorTarget]] });
    assert.deepEqual(running().browser.errors(), []);
  });

  it('"on error: continue" adds the error output after the return outputs, and the return output keeps its wire', async function () {
    const { page } = running().browser;
    assert.deepEqual(await wiring(page, second.id), { returns: ['agent'], outputs: 1, links: [[0, agentTarget]] });
    await editNode(page, second.id, '#node-input-url');
    await page.locator('#node-input-onError').selectOption('output');
    await save(page);
    assert.deepEqual(await wiring(page, second.id), { returns: ['agent'], outputs: 2, links: [[0, agentTarget]] });
    assert.equal((await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.nodes.node(id)?.onError, second.id)), 'output');
  });

  it('shows a bad URL and a bad header name as invalid; saves headers and the allowlist; keeps the secret out of flows.json', async function () {
    const { page } = running().browser;
    const { editor } = running();
    await editNode(page, second.id, '#node-input-url');
    const url = page.locator('#node-input-url');
    await url.fill('ftp://app.example.com/ivr');
    await url.blur();
    await page.locator('#node-input-url.input-error').waitFor();
    await url.fill('https://app.example.com/ivr');
    await url.blur();
    await page.locator('#node-input-url:not(.input-error)').waitFor();

    await addButton(page, '#node-input-headers-list').click();
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-name').last().fill('X-Api Key');
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-value').last().fill('key-1');
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-value').last().blur();
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-name.input-error').waitFor();
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-name').last().fill('X-Api-Key');
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-name').last().blur();
    await page.locator('#node-input-headers-list .callflow-http-ivr-header-name.input-error').waitFor({ state: 'detached' });

    await page.locator('#node-input-allowlist-text').fill('app.example.com\n10.0.0.0/8');
    await page.locator('#node-input-secret').fill(SECRET);
    await save(page);
    const saved = await page.evaluate((id) => {
      const n = (globalThis as unknown as RedGlobal).RED.nodes.node(id) ?? {};
      return JSON.parse(JSON.stringify({ url: n.url, headers: n.headers, allowlist: n.allowlist, valid: n.valid })) as Record<string, unknown>;
    }, second.id);
    assert.deepEqual(saved, { url: 'https://app.example.com/ivr', headers: [{ name: 'X-Api-Key' }], allowlist: ['app.example.com', '10.0.0.0/8'], valid: true });

    const deployed = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/flows');
    await page.locator('#red-ui-header-button-deploy').click();
    assert.equal((await deployed).status(), 200);
    const onDisk = fs.readFileSync(path.join(editor.dir, 'flows.json'), 'utf8');
    assert.ok(!onDisk.includes(SECRET), 'flows.json holds no secret');
    assert.ok(!onDisk.includes('key-1'), 'flows.json holds no header value');
    const node = (JSON.parse(onDisk) as { id: string }[]).find((n) => n.id === second.id) as Record<string, unknown>;
    assert.deepEqual([node.url, node.headers, node.allowlist], ['https://app.example.com/ivr', [{ name: 'X-Api-Key' }], ['app.example.com', '10.0.0.0/8']]);
    const credentials = JSON.parse(fs.readFileSync(path.join(editor.dir, 'flows_cred.json'), 'utf8')) as Record<string, Record<string, string>>;
    assert.deepEqual(credentials[second.id], { secret: SECRET, headerValues: '["key-1"]' });

    // Opened again, the form shows the header's value (from the credentials).
    await editNode(page, second.id, '#node-input-url');
    assert.equal(await page.locator('#node-input-headers-list .callflow-http-ivr-header-value').last().inputValue(), 'key-1');
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#node-input-url').waitFor({ state: 'detached' });
    assert.deepEqual(running().browser.errors(), []);
  });

  for (const lang of ['en-US', 'zh-CN']) {
    it(`labels the form in ${lang}`, async function () {
      const { page } = running().browser;
      const { editor } = running();
      const strings = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../../locales', lang, 'http-ivr.json'), 'utf8')) as Record<string, { label: Record<string, string> }>)['callflow-http-ivr'];
      await gotoEditorIn(page, editor.url, lang);
      await editNode(page, ivr.id, '#node-input-url');
      const label = (field: string) => page.locator(`label[for="node-input-${field}"] span`).first().textContent();
      assert.deepEqual([await label('url'), await label('secret'), await label('allowlist-text'), await label('maxRequests')], [strings?.label.url, strings?.label.secret, strings?.label.allowlist, strings?.label.maxRequests]);
      const text = (await page.locator('#red-ui-editor-stack .red-ui-tray').last().innerText()) ?? '';
      assert.ok(!/callflow-http-ivr\./.test(text), `no untranslated key in the form: ${text.match(/callflow-http-ivr\.\S+/)?.[0] ?? ''}`);
      await page.locator('#node-dialog-cancel').click();
      await page.locator('#node-input-url').waitFor({ state: 'detached' });
    });
  }
});
