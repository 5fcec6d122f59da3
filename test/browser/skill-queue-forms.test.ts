/**
 * The forms of the specification's Transfer to Skill Queue in a real browser (Debian's Chromium, headless) against a
 * real Node-RED running the "Skill queue campaign" example: the campaign's Skill queue field (Basics tab) and the
 * transfer node's queue from a variable and its associated data, each checked by the schema the runtime uses. Without
 * /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { trayAtRest, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Skill queue campaign');
if (!example) throw new Error('examples/Skill queue campaign.json is missing');

const flows = example.nodes;
const campaign = flows.find((n) => n.type === 'callflow-campaign') as { id: string; skillQueue: string };
const dialer = flows.find((n) => n.type === 'callflow-dialer') as { id: string };
const transfer = flows.find((n) => n.type === 'callflow-transfer') as { id: string; queue: string; data: string[] };

interface RedGlobal {
  RED: { nodes: { node(id: string): Record<string, unknown> | null } };
}

async function open(page: Page, id: string): Promise<void> {
  await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${id}"] rect.red-ui-flow-node`).dblclick();
}

describe('the skill queue and associated data forms in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor(flows, (e) => e.waitForLog(/ARI .* connected/));

  it("the transfer node's queue takes {vars.name} or {campaign.skillQueue}, not a hostile name; its associated data is saved as a list of variables", async function () {
    const { page } = running().browser;
    assert.deepEqual([transfer.queue, transfer.data], ['{vars.queue}', ['customer', 'name']], "the example's transfer");
    await open(page, transfer.id);
    const queue = page.locator('#node-input-queue');
    const data = page.locator('#callflow-transfer-data');
    await data.waitFor({ state: 'visible' });
    await trayAtRest(page);
    assert.deepEqual([await queue.inputValue(), await data.inputValue()], ['{vars.queue}', 'customer, name']);

    // Node-RED checks a field as keys are typed (keyup), not on fill's input event alone.
    await queue.fill('');
    await queue.pressSequentially('support,,,');
    await page.locator('#node-input-queue.input-error').waitFor();
    await queue.fill('');
    await queue.pressSequentially('{campaign.skillQueue}');
    await page.locator('#node-input-queue:not(.input-error)').waitFor();
    await data.fill('customer order');
    await page.locator('#node-dialog-ok').click();
    await page.locator('#callflow-transfer-data').waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => {
      const n = (globalThis as unknown as RedGlobal).RED.nodes.node(id);
      return { queue: n?.queue, data: n?.data, valid: n?.valid };
    }, transfer.id);
    assert.deepEqual(saved, { queue: '{campaign.skillQueue}', data: ['customer', 'order'], valid: true });
    assert.deepEqual(running().browser.errors(), []);
  });

  it("shows the campaign's skill queue on the Basics tab, and the schema's message for one that is not a queue name", async function () {
    const { page } = running().browser;
    await open(page, dialer.id);
    await page.locator('#node-input-btn-campaign-edit').waitFor();
    await trayAtRest(page);
    await page.waitForFunction((id) => (globalThis as unknown as { $: (s: string) => { val(): unknown } }).$('#node-input-campaign').val() === id, campaign.id);
    await page.locator('#node-input-btn-campaign-edit').click();
    const skill = page.locator('#node-config-input-skillQueue');
    await skill.waitFor({ state: 'visible' });
    await trayAtRest(page);
    assert.equal(await skill.inputValue(), campaign.skillQueue);
    assert.equal(campaign.skillQueue, 'sales');

    await skill.fill('');
    await skill.pressSequentially('support,,,');
    // The problems are checked at each key: "support," is already refused, so wait for the message about the whole value.
    const notQueue = page.locator('#callflow-campaign-problems li', { hasText: 'skillQueue: a queue name: 1 to 80 letters, digits, _ . or -, or empty (none) (got "support,,,")' });
    await notQueue.waitFor();
    assert.match((await notQueue.textContent()) ?? '', /"support,,,"/);
    await skill.fill('sales-vip');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });

    await page.locator('#node-config-dialog-cancel').click();
    await page.locator('#callflow-campaign-tabs').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-cancel').click();
    assert.equal(await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.nodes.node(id)?.skillQueue, campaign.id), 'sales', 'cancel keeps the node as it was');
    assert.deepEqual(running().browser.errors(), []);
  });
});
