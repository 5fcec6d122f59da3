/**
 * A callback URL that holds a secret, in the campaign dialog of a real
 * editor (Debian's Chromium, headless) on a real Node-RED: the flow deploys
 * with a warning naming the field (never the value); the dialog flags the
 * URL on the field as it is typed, and "Move to the secret fields" takes the
 * secrets out of the URL into the credential fields, so that after Update
 * and Deploy flows.json holds no secret any more and the credentials do.
 * Without /usr/bin/chromium the suite is reported as skipped, with the
 * reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readExamples } from '../../lib/playground/home';
import { useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Notification campaign');
if (!example) throw new Error('examples/Notification campaign.json is missing');

const LEGACY_URL = 'https://bob:URL-PASS-SECRET@crm.example.com/hook?campaign=7&token=URL-TOKEN-SECRET';
const flows = example.nodes.map((n) => (n.type === 'callflow-campaign' ? { ...n, callbackUrl: LEGACY_URL, callbackAllowlist: ['crm.example.com'] } : n));
const campaign = flows.find((n) => n.type === 'callflow-campaign') as { id: string };
const dialer = flows.find((n) => n.type === 'callflow-dialer') as { id: string };

describe('a secret in the callback URL, in the campaign dialog of a real browser', function () {
  this.timeout(60_000);
  const running = useEditor(flows, (e) => e.waitForLog(/ARI .* connected/));

  it('is flagged at deploy and on the field as typed, and moved to the credential fields, out of flows.json', async function () {
    const { page } = running().browser;
    const { editor } = running();
    await editor.waitForLog(/callbackUrl holds a secret \(user:password, query parameter "token"\)/);
    assert.ok(!/URL-PASS-SECRET|URL-TOKEN-SECRET/.test(editor.logs().join('\n')), 'the log names the parts, not the values');

    await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${dialer.id}"] rect.red-ui-flow-node`).dblclick();
    await page.locator('#node-input-btn-campaign-edit').click();
    const warning = page.locator('#callflow-campaign-url-secret');
    await warning.waitFor({ state: 'visible' });
    const text = (await page.locator('#callflow-campaign-url-secret-text').textContent()) ?? '';
    assert.match(text, /This URL holds a secret \(user:password, query parameter "token"\)/);
    assert.ok(!/SECRET/.test(text));

    // Live: a clean URL clears the warning, a key typed into it brings it back.
    const url = page.locator('#node-config-input-callbackUrl');
    await url.fill('https://crm.example.com/hook?campaign=7');
    await warning.waitFor({ state: 'hidden' });
    await url.fill(LEGACY_URL);
    await warning.waitFor({ state: 'visible' });

    await page.locator('#callflow-campaign-url-secret-move').click();
    await warning.waitFor({ state: 'hidden' });
    assert.equal(await url.inputValue(), 'https://crm.example.com/hook?campaign=7');
    assert.equal(await page.locator('#node-config-input-callbackAuthorization').inputValue(), `Basic ${Buffer.from('bob:URL-PASS-SECRET').toString('base64')}`);
    assert.equal(await page.locator('#node-config-input-callbackQuery').inputValue(), 'token=URL-TOKEN-SECRET');

    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#callflow-campaign-tabs').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-ok').click();
    const deployed = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/flows');
    await page.locator('#red-ui-header-button-deploy').click();
    assert.equal((await deployed).status(), 200);

    const onDisk = fs.readFileSync(path.join(editor.dir, 'flows.json'), 'utf8');
    assert.ok(!/URL-PASS-SECRET|URL-TOKEN-SECRET/.test(onDisk), 'flows.json holds no secret');
    const saved = (JSON.parse(onDisk) as { id: string; callbackUrl?: string }[]).find((n) => n.id === campaign.id);
    assert.equal(saved?.callbackUrl, 'https://crm.example.com/hook?campaign=7');
    const credentials = JSON.parse(fs.readFileSync(path.join(editor.dir, 'flows_cred.json'), 'utf8')) as Record<string, Record<string, string>>;
    assert.deepEqual(credentials[campaign.id], { callbackAuthorization: `Basic ${Buffer.from('bob:URL-PASS-SECRET').toString('base64')}`, callbackQuery: 'token=URL-TOKEN-SECRET' });
    assert.deepEqual(running().browser.errors(), []);
  });
});
