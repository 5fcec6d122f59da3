/**
 * The robot's form (callflow-bot) in a real browser (Debian's Chromium, headless) against a real Node-RED: its Voice
 * path select shows playback for a robot saved before the setting existed, offers playback and stream with the tip
 * that tells them apart, saves the choice on the node, and is labelled in en-US and zh-CN; a flow bringing a voice path
 * that does not exist marks the node invalid. Without /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { readExamples } from '../../lib/playground/home';
import { editNode, gotoEditorIn, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Intelligent robot');
if (!example) throw new Error('examples/Intelligent robot.json is missing');
const tab = example.nodes.find((n) => n.type === 'tab');
const speech = example.nodes.find((n) => n.type === 'callflow-speech');
const robot: Record<string, unknown> | undefined = example.nodes.find((n) => n.type === 'callflow-bot');
if (!tab || !speech || !robot) throw new Error('examples/Intelligent robot.json has no tab, speech node or robot');
// The example's robot as a flow saved before Voice path existed holds it, and one a flow file brings with a value that does not exist.
const { voicePath: _, ...before } = robot;
const savedBefore = { ...before, id: 'b0f0000000000001', name: 'saved before', wires: [[], [], []] };
const hostile = { ...before, id: 'b0f0000000000002', name: 'hostile', voicePath: 'loud', y: 300, wires: [[], [], []] };

interface RedGlobal {
  RED: { nodes: { node(id: string): Record<string, unknown> | null } };
}

const nodeProperty = (page: Page, id: string, key: string): Promise<unknown> =>
  page.evaluate(([nodeId, k]) => (globalThis as unknown as RedGlobal).RED.nodes.node(nodeId as string)?.[k as string], [id, key]);

function strings(lang: string): { label: Record<string, string>; voicePath: Record<string, string>; tip: Record<string, string> } {
  const file = path.join(__dirname, '../../../locales', lang, 'bot.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, ReturnType<typeof strings>>)['callflow-bot'] as ReturnType<typeof strings>;
}

describe('the robot form\'s Voice path in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor([tab, speech, savedBefore, hostile]);

  it('a robot saved before the setting shows playback; stream chosen is saved on the node', async function () {
    const { page } = running().browser;
    assert.equal(await nodeProperty(page, savedBefore.id, 'valid'), true, 'valid as it came');
    await editNode(page, savedBefore.id, '#node-input-voicePath');
    const select = page.locator('#node-input-voicePath');
    assert.equal(await select.inputValue(), 'playback');
    assert.deepEqual(await select.locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value)), ['playback', 'stream']);
    await select.selectOption('stream');
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-voicePath').waitFor({ state: 'detached' });
    assert.equal(await nodeProperty(page, savedBefore.id, 'voicePath'), 'stream');
    assert.equal(await nodeProperty(page, savedBefore.id, 'valid'), true);
    assert.deepEqual(running().browser.errors(), []);
  });

  it('a voice path that does not exist, brought by a flow file, marks the node invalid', async function () {
    const { page } = running().browser;
    assert.equal(await nodeProperty(page, hostile.id, 'valid'), false);
    assert.equal(await nodeProperty(page, savedBefore.id, 'valid'), true);
  });

  for (const lang of ['en-US', 'zh-CN']) {
    it(`labels the select, its options and its tip in ${lang}`, async function () {
      const { page } = running().browser;
      const s = strings(lang);
      await gotoEditorIn(page, running().editor.url, lang);
      try {
        await editNode(page, savedBefore.id, '#node-input-voicePath');
        assert.equal(await page.locator('label[for="node-input-voicePath"] span').textContent(), s.label.voicePath);
        const options = await page.locator('#node-input-voicePath option').allTextContents();
        assert.deepEqual(options.map((o) => o.trim()), [s.voicePath.playback, s.voicePath.stream]);
        assert.equal((await page.locator('.callflow-bot-voice-path-tip').textContent())?.trim(), s.tip.voicePath);
        await page.locator('#node-dialog-cancel').click();
        await page.locator('#node-input-voicePath').waitFor({ state: 'detached' });
      } finally {
        await gotoEditorIn(page, running().editor.url, 'en-US');
      }
    });
  }
});
