/**
 * The campaign's editor in a real browser (Debian's Chromium, headless)
 * against a real Node-RED running the "Notification campaign" example, with
 * its built-in simulated Asterisk and embedded store (as `npm start` runs
 * it): the callflow-campaign dialog, opened from the dialer's, shows its five
 * tabs, the schema's message on an invalid value, calls at a time above
 * the connection's channels refused with the limit, and the runtime's
 * message on a start after the end; the dialer's buttons start and suspend the task, and
 * what the state does not allow is refused with the reason (the admin API
 * answers 409). Without /usr/bin/chromium the suite is reported as skipped,
 * with the reason.
 */
import assert from 'node:assert/strict';
import type { Page, Request } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { trayAtRest, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Notification campaign');
if (!example) throw new Error('examples/Notification campaign.json is missing');

const flows = example.nodes;
const campaign = flows.find((n) => n.type === 'callflow-campaign') as { id: string; name: string };
const dialer = flows.find((n) => n.type === 'callflow-dialer') as { id: string; campaign: string };
if (dialer.campaign !== campaign.id) throw new Error("the example's dialer does not run its campaign");

interface RedGlobal {
  RED: { nodes: { node(id: string): unknown } };
}

/** The deployed campaign as the admin API lists it. */
async function listed(url: string): Promise<{ id: string; name: string; state: string }> {
  const res = await fetch(`${url}/callflow/campaigns`, { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200);
  const list = (await res.json()) as { id: string; name: string; state: string }[];
  const mine = list.find((c) => c.id === campaign.id);
  assert.ok(mine, `the campaign ${campaign.id} is not listed: ${JSON.stringify(list)}`);
  return mine;
}

/** Opens the dialer's edit dialog with a double click on the node, and waits until it has read the task's state. */
async function editDialer(page: Page): Promise<void> {
  await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${dialer.id}"] rect.red-ui-flow-node`).dblclick();
  await page.locator('#callflow-dialer-buttons button[data-op="start"]').waitFor();
  await page.locator('#callflow-dialer-state', { hasText: 'Now: ' }).waitFor();
  // The buttons act on the campaign chosen in the form's config select, which Node-RED fills in as the tray settles
  // (until then it reads "_ADD_", and a click does nothing: a CI run once clicked start in that moment).
  await trayAtRest(page);
  await page.waitForFunction((id) => (globalThis as unknown as { $: (s: string) => { val(): unknown } }).$('#node-input-campaign').val() === id, campaign.id);
}

describe('the campaign editor and the dialer buttons in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor(flows, (e) => e.waitForLog(/ARI .* connected/));

  it('shows the campaign dialog in five tabs, and the schema message on an invalid value', async function () {
    const { page } = running().browser;
    await editDialer(page);
    assert.equal(await page.locator('#node-input-campaign').inputValue(), campaign.id, 'the dialer shows its campaign');
    await page.locator('#node-input-btn-campaign-edit').click();

    const tabs = page.locator('#callflow-campaign-tabs li.red-ui-tab');
    await tabs.first().waitFor();
    // Node-RED resizes a tray and moves the focus in timers after it shows it: type once they have run.
    await trayAtRest(page);
    // Node-RED's tabs take a second click within 400 ms as a double click (which switches nothing) and forget it
    // then: a click that leaves the tab inactive is made again, and the next one switches.
    const openTab = async (label: string): Promise<void> => {
      const tab = tabs.filter({ hasText: label });
      for (let i = 0; i < 3 && !/\bactive\b/.test((await tab.getAttribute('class')) ?? ''); i += 1) await tab.locator('a').click();
      await page.locator('#callflow-campaign-tabs li.red-ui-tab.active', { hasText: label }).waitFor();
    };
    assert.deepEqual((await tabs.locator('.red-ui-tab-label').allTextContents()).map((t) => t.trim()), ['Basics', 'Calling hours', 'Task strategy', 'Call strategy', 'Result policy']);

    // A field of each tab, shown when its tab is chosen, with the node's value.
    const fields: [string, string, string][] = [
      ['Basics', '#node-config-input-name', campaign.name],
      ['Calling hours', '#node-config-input-timezone', 'Asia/Shanghai'],
      ['Task strategy', '#node-config-input-maxResponseSec', '20'],
      ['Call strategy', '#callflow-campaign-orderBy', 'none'],
      ['Result policy', '#callflow-campaign-policyMode', 'global'],
    ];
    for (const [tab, selector, value] of fields) {
      await openTab(tab);
      const field = page.locator(selector);
      await field.waitFor({ state: 'visible' });
      assert.equal(await field.inputValue(), value, `${selector} on the ${tab} tab`);
    }
    assert.equal(await page.locator('#callflow-campaign-problems-box').isVisible(), false, 'the example has no problems');

    // Interval 0: the schema's message under the tabs, and the field marked invalid with it.
    await openTab('Task strategy');
    const interval = page.locator('#node-config-input-intervalSec');
    await interval.fill('');
    await interval.pressSequentially('0');
    const message = 'intervalSec: whole seconds from 1 to 9999 (got 0)';
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'visible' });
    await page.locator('#callflow-campaign-problems li', { hasText: message }).waitFor();
    assert.deepEqual(await page.locator('#callflow-campaign-problems li').allTextContents(), [message]);
    await page.locator('#node-config-input-intervalSec.input-error').waitFor();
    await interval.hover();
    await page.locator('.red-ui-popover', { hasText: message }).waitFor();

    // Back to a valid value: the message goes, and so does the mark.
    await interval.fill('');
    await interval.pressSequentially('3');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });
    await page.locator('#node-config-input-intervalSec:not(.input-error)').waitFor();

    // Calls at a time above the connection's 100 channels: refused, naming the limit, in the words of the deploy check.
    const calls = page.locator('#node-config-input-callsAtATime');
    await calls.fill('');
    await calls.pressSequentially('101');
    const over = "callsAtATime: 101 calls at a time exceed the channel limit of the Asterisk connection, 100 channels (the specification: the number cannot exceed the channels); lower it, or raise the connection's channels";
    await page.locator('#callflow-campaign-problems li', { hasText: over }).waitFor();
    assert.deepEqual(await page.locator('#callflow-campaign-problems li').allTextContents(), [over]);
    await page.locator('#node-config-input-callsAtATime.input-error').waitFor();
    await calls.fill('');
    await calls.pressSequentially('3');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });
    await page.locator('#node-config-input-callsAtATime:not(.input-error)').waitFor();

    // The associated business result, on the Result policy tab: empty by default, a code or nothing.
    await openTab('Result policy');
    const business = page.locator('#node-config-input-businessResult');
    await business.waitFor({ state: 'visible' });
    assert.equal(await business.inputValue(), '');
    await business.pressSequentially('a b');
    // Checked at each key: "a " is already refused, so wait for the message about the whole value.
    const notCode = page.locator('#callflow-campaign-problems li', { hasText: 'businessResult: a result code: 1 to 64 letters, digits, _ . : or -, or empty (any result) (got "a b")' });
    await notCode.waitFor();
    assert.match(await notCode.textContent() ?? '', /"a b"/);
    await business.fill('sale');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });

    // The failure notice, on the same tab: the example's SMS template, and an unknown placeholder refused in the
    // runtime's words (asked of the admin API as the form changes), naming the field.
    assert.equal(await page.locator('#node-config-input-notifyType').inputValue(), 'sms');
    const notice = page.locator('#node-config-input-notifyText');
    await notice.waitFor({ state: 'visible' });
    assert.match(await notice.inputValue(), /^\{custom\.name\}, we tried to call you/);
    await notice.fill('Dear {name}');
    const unknown = 'notifyText: unknown placeholder {name}: use {customerId}, {number}, {cause}, {result}, {attempts}, {campaign} or {custom.NAME} (a custom field: letters, digits, _ or -), and {{ }} for braces';
    await page.locator('#callflow-campaign-problems li', { hasText: unknown }).waitFor();
    await notice.fill('Dear {custom.name}');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });
    await page.locator('#node-config-input-notifyType').selectOption('none');
    await notice.waitFor({ state: 'hidden' });
    // The questionnaire: none in this example, so its questions node is not asked for; choosing IVR asks for it.
    assert.equal(await page.locator('#node-config-input-questionnaire').inputValue(), 'none');
    await page.locator('#node-config-input-questions').waitFor({ state: 'hidden' });
    await page.locator('#node-config-input-questionnaire').selectOption('ivr');
    await page.locator('#node-config-input-questions').waitFor({ state: 'visible' });
    await page.locator('#callflow-campaign-problems li', { hasText: 'questions: the questionnaire setting ivr needs a questionnaire (a callflow-questions node)' }).waitFor();
    await page.locator('#node-config-input-questionnaire').selectOption('none');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });

    // Recording calls, on the Basics tab under its label: off by default; ticking it is a valid setting.
    await openTab('Basics');
    const record = page.locator('#node-config-input-recordCalls');
    await record.waitFor({ state: 'visible' });
    await page.locator('label[for="node-config-input-recordCalls"]', { hasText: 'Record calls' }).waitFor();
    assert.equal(await record.isChecked(), false);
    await record.check();
    assert.equal(await page.locator('#callflow-campaign-problems-box').isVisible(), false);

    // The start after the end: the runtime's rule (asked of the admin API as the form changes) in the same list.
    await page.locator('#node-config-input-startAt').fill('2030-01-02T09:00');
    await page.locator('#node-config-input-endAt').fill('2030-01-01T18:00');
    const startEnd = 'startAt: the start (2030-01-02T09:00) is after the end (2030-01-01T18:00)';
    await page.locator('#callflow-campaign-problems li', { hasText: startEnd }).waitFor();
    assert.deepEqual(await page.locator('#callflow-campaign-problems li').allTextContents(), [startEnd]);

    await page.locator('#node-config-dialog-cancel').click();
    await page.locator('#callflow-campaign-tabs').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#callflow-dialer-buttons').waitFor({ state: 'detached' });
    assert.equal(
      await page.evaluate((id) => ((globalThis as unknown as RedGlobal).RED.nodes.node(id) as { intervalSec: unknown }).intervalSec, campaign.id),
      3,
      'cancel keeps the node as it was',
    );
    assert.deepEqual(running().browser.errors(), []);
  });

  it('edits the trunk group as a list: a row per connection, its weight checked by the schema, calls at a time checked against the rows\' limits', async function () {
    const { page } = running().browser;
    await editDialer(page);
    await page.locator('#node-input-btn-campaign-edit').click();
    await page.locator('#callflow-campaign-tabs li.red-ui-tab').first().waitFor();
    await trayAtRest(page);
    const list = page.locator('#callflow-campaign-connections');
    await page.locator('label', { hasText: 'Trunk group' }).waitFor({ state: 'visible' });
    assert.equal(await list.locator('li').count(), 0, 'the example dials through its one connection: no trunk group');
    // The list's add button (Node-RED's editableList) makes a row; its select offers the workspace's connections.
    await page.locator('.red-ui-editableList', { has: list }).locator('.red-ui-editableList-addButton').click();
    const row = list.locator('li').first();
    const asterisk = flows.find((n) => n.type === 'callflow-asterisk') as { id: string };
    await row.locator('select.callflow-campaign-trunk').selectOption(asterisk.id);
    const weight = row.locator('input.callflow-campaign-trunk-weight');
    await weight.fill('0');
    await weight.dispatchEvent('change');
    await page.locator('#callflow-campaign-problems li', { hasText: 'connections.0.weight: a weight from 1 to 100 (got 0)' }).waitFor();
    await weight.fill('2');
    await weight.dispatchEvent('change');
    // Gone once both checks (the form's schema and the runtime's, asked of the admin API) have seen weight 2.
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });
    // At most 2 calls of the task on it: the example's 3 calls at a time exceed the group's 2 channels.
    const max = row.locator('input.callflow-campaign-trunk-max');
    await max.fill('2');
    await max.dispatchEvent('change');
    const over = "callsAtATime: 3 calls at a time exceed the channel limit of the Asterisk connection, 2 channels (the specification: the number cannot exceed the channels); lower it, or raise the connection's channels";
    await page.locator('#callflow-campaign-problems li', { hasText: over }).waitFor();
    assert.deepEqual(await page.locator('#callflow-campaign-problems li').allTextContents(), [over]);
    await max.fill('0');
    await max.dispatchEvent('change');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });
    await page.locator('#node-config-dialog-cancel').click();
    await page.locator('#callflow-campaign-tabs').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-cancel').click();
    assert.deepEqual(running().browser.errors(), []);
  });

  it("starts and suspends the task with the dialer's buttons, and shows the refusal of what the state does not allow", async function () {
    const { page } = running().browser;
    const { url } = running().editor;
    assert.equal((await listed(url)).state, 'draft');
    await editDialer(page);
    const state = page.locator('#callflow-dialer-state');
    const answer = page.locator('#callflow-dialer-answer');
    assert.match((await state.textContent()) ?? '', /^Now: draft · dialed 0, answered 0, failed 0, left 0/);

    // The request and its answer are awaited apart: a click that sent nothing and an answer that did not come fail
    // each with what the form showed then (the button's state, the answer line, the trays open).
    const press = async (op: string, status: number): Promise<void> => {
      const mine = (r: Request): boolean => r.method() === 'POST' && r.url().endsWith(`/callflow/campaigns/${campaign.id}/${op}`);
      const sent = page.waitForRequest(mine).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      const answered = page.waitForResponse((r) => mine(r.request())).then(
        (r) => r,
        (err: unknown) => err as Error,
      );
      const button = page.locator(`#callflow-dialer-buttons button[data-op="${op}"]`);
      await button.click();
      const shown = async (): Promise<string> =>
        `the button is ${(await button.isDisabled()) ? 'disabled' : 'enabled'}, the answer line says ${JSON.stringify(await answer.textContent())}, the state line ${JSON.stringify(await state.textContent())}, ${await page.locator('#red-ui-editor-stack .red-ui-tray').count()} tray(s) open`;
      const notSent = await sent;
      if (notSent) throw new Error(`clicking ${op} sent no POST: ${await shown()} (${notSent.message.split('\n')[0]})`);
      const response = await answered;
      if (response instanceof Error) throw new Error(`the POST of ${op} was sent but not answered: ${await shown()}; the admin API lists the task as ${(await listed(url)).state} (${response.message.split('\n')[0]})`);
      assert.equal(response.status(), status, `${op} answered`);
    };

    await press('start', 200);
    await answer.filter({ hasText: 'Start: the task is running now.' }).waitFor();
    await state.filter({ hasText: /^Now: running · / }).waitFor();
    assert.equal((await listed(url)).state, 'running');

    await press('suspend', 200);
    await answer.filter({ hasText: 'Suspend: the task is suspended now.' }).waitFor();
    await state.filter({ hasText: /^Now: suspended · / }).waitFor();
    assert.equal((await listed(url)).state, 'suspended');

    await press('suspend', 409);
    const refused = 'Refused: suspend is not allowed: the task is suspended, which allows edit, resume, stop';
    await page.locator('#callflow-dialer-answer.callflow-dialer-refused').filter({ hasText: refused }).waitFor();
    assert.equal((await answer.textContent())?.trim(), refused);
    await state.filter({ hasText: /^Now: suspended · / }).waitFor();
    assert.equal((await listed(url)).state, 'suspended', 'the refused operation changes nothing');

    await page.locator('#node-dialog-cancel').click();
    await page.locator('#callflow-dialer-buttons').waitFor({ state: 'detached' });
    assert.deepEqual(running().browser.errors(), []);
  });
});
