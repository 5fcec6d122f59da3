/**
 * The forms that carry conference settings, in a real browser (Debian's Chromium, headless) against a real Node-RED
 * running the "Conference" example: what a form does not show (a level's or a room's properties, set as JSON) is
 * kept when the form is saved, and what it shows (a level's call flow, a node's property) is saved as typed. Without
 * /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { trayAtRest, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Conference');
if (!example) throw new Error('examples/Conference.json is missing');
const conferenceNode = example.nodes.find((n) => n.type === 'callflow-conference' && n.callFlow === 'open') as { id: string };
const meetingsNode = example.nodes.find((n) => n.type === 'callflow-meetings') as { id: string; rooms: { id: string; properties?: object }[] };

const ROUTING = {
  id: 'c0f0r0u0t0e00001',
  type: 'callflow-routing',
  name: 'meeting lines',
  account: { flow: 'conference', conference: { callFlow: 'secured', properties: { codeAttempts: 2, prompts: { askCode: ['sound:conf-getpin'] } } } },
  groups: [{ name: 'direct', numbers: ['40*'], conference: { callFlow: 'direct_host', properties: { maxParticipants: 8 } } }],
  numbers: [{ number: '401', flow: 'conference', conference: { properties: { waitForHost: true, announceNames: true } } }],
};

interface RedGlobal {
  RED: {
    nodes: { node(id: string): Record<string, unknown> | null };
    editor: { edit(node: unknown): void; editConfig(name: string, type: string, id: string): void };
  };
}

/** Some properties of a node as the editor holds them (a config node also holds references to the editor's objects). */
const read = (page: Page, id: string, keys: string[]): Promise<Record<string, unknown>> =>
  page.evaluate(
    ([nodeId, names]) => {
      const node = (globalThis as unknown as RedGlobal).RED.nodes.node(nodeId) ?? {};
      return JSON.parse(JSON.stringify(Object.fromEntries(names.map((k) => [k, node[k]])))) as Record<string, unknown>;
    },
    [id, keys] as const,
  );

describe('conference settings in the node forms, in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor([...example.nodes, ROUTING], (e) => e.waitForLog(/ARI .* connected/));

  it('the routing table keeps each level\'s conference properties and saves the call flow chosen in a row', async function () {
    const { page } = running().browser;
    await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.editor.editConfig('', 'callflow-routing', id), ROUTING.id);
    const account = page.locator('#callflow-routing-account-settings .callflow-routing-callFlow');
    await account.waitFor();
    await trayAtRest(page);
    assert.equal(await account.inputValue(), 'secured');
    await account.selectOption('open');
    // The number's row had no call flow: give it one.
    await page.locator('#callflow-routing-numbers .callflow-routing-callFlow').selectOption('direct_participant');
    await page.locator('#node-config-dialog-ok').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0);
    const saved = await read(page, ROUTING.id, ['account', 'groups', 'numbers']);
    assert.deepEqual(saved.account, { flow: 'conference', conference: { callFlow: 'open', properties: ROUTING.account.conference.properties } });
    assert.deepEqual(saved.groups, ROUTING.groups);
    assert.deepEqual(saved.numbers, [{ number: '401', flow: 'conference', conference: { callFlow: 'direct_participant', properties: { waitForHost: true, announceNames: true } } }]);
    assert.deepEqual(running().browser.errors(), []);
  });

  it('the meeting rooms keep their properties through an edit of their codes', async function () {
    const { page } = running().browser;
    await page.evaluate((id) => (globalThis as unknown as RedGlobal).RED.editor.editConfig('', 'callflow-meetings', id), meetingsNode.id);
    const firstName = page.locator('#callflow-meetings-rooms .callflow-meetings-name').first();
    await firstName.waitFor();
    await trayAtRest(page);
    await firstName.fill('Board of directors');
    await page.locator('#node-config-dialog-ok').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0);
    const rooms = (await read(page, meetingsNode.id, ['rooms'])).rooms as { id: string; name: string; properties?: object }[];
    assert.deepEqual(rooms.map((r) => [r.id, r.name, r.properties]), [
      ['board', 'Board of directors', meetingsNode.rooms[0]?.properties],
      ['team', 'Team', meetingsNode.rooms[1]?.properties],
    ]);
  });

  it('the conference node saves a property typed in its form and keeps the prompts it does not show', async function () {
    const { page } = running().browser;
    await page.evaluate(
      (id) => {
        const red = (globalThis as unknown as RedGlobal).RED;
        const node = red.nodes.node(id) as Record<string, unknown>;
        // As a flow file may bring it: a prompt set in JSON.
        node.properties = { prompts: { askCode: ['sound:conf-getconfno'] } };
        red.editor.edit(node);
      },
      conferenceNode.id,
    );
    const max = page.locator('#callflow-conference-maxParticipants');
    await max.waitFor();
    await trayAtRest(page);
    await max.fill('12');
    await page.locator('#callflow-conference-waitForHost').selectOption('true');
    await page.locator('#callflow-conference-announceNames').selectOption('true');
    await page.locator('#node-dialog-ok').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#red-ui-editor-stack .red-ui-tray').length === 0);
    const saved = await read(page, conferenceNode.id, ['properties', 'valid']);
    assert.deepEqual(saved.properties, { prompts: { askCode: ['sound:conf-getconfno'] }, maxParticipants: 12, waitForHost: true, announceNames: true });
    assert.equal(saved.valid, true);
    assert.deepEqual(running().browser.errors(), []);
  });
});
