/**
 * The robot in the editor, in a real browser (Debian's Chromium, headless) against a real Node-RED:
 *
 * - the "Call flows" sidebar's calls of a version show a robot call's transcript (who, what, when) in English and in
 *   Chinese, every part as text: a line holding markup stays characters (the admin API's answer is stood in for by
 *   the page's route, with such a line; test/nodes/releases.test.ts checks the API itself);
 * - a recorded call's recording (a campaign's or a robot's) in those calls: a player only for a call that has one, the file fetched
 *   when asked for, the server's refusal shown as text, in English and in Chinese (the admin API stood in for;
 *   test/nodes/call-recordings.test.ts checks it);
 * - the campaign form's task type (common IVR / intelligent robot) and AMD() parameters: shown when they apply,
 *   Asterisk's defaults, the schema's message on a value out of range, saved on the node; the dialer shows the type.
 *
 * Without /usr/bin/chromium each block is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { EXAMPLES_STORE, readExamples } from '../../lib/playground/home';
import { silentWav } from '../../lib/sim/media';
import { gotoEditorIn, trayAtRest, useEditor } from '../support/browser';

const gray = readExamples().find((e) => e.name === 'Gray release');
const notification = readExamples().find((e) => e.name === 'Notification campaign');
if (!gray || !notification) throw new Error('examples/Gray release.json or examples/Notification campaign.json is missing');
/** The gray release example, its connection keeping call records in the examples' store (the sidebar lists its calls). */
const grayKeepingRecords = gray.nodes.map((n) => (n.type === 'callflow-asterisk' ? { ...n, recordStore: EXAMPLES_STORE } : n));

const HOSTILE = 'I said <img src=x onerror="document.title=\'owned\'"> & <b>bold</b>';

/** What the calls route answers: one ended robot call with a transcript (a hostile line among them), one without. */
function callsAnswer(): object {
  const base = { caller: '+15550123', dialed: '300', startedAt: '2026-12-05T10:00:00.000Z', trace: [], pressed: [], endedAt: '2026-12-05T10:00:30.000Z', by: 'caller', reason: 'hangup', durationSec: 30 };
  return {
    live: [],
    recent: [
      {
        ...base,
        id: 'robot-call',
        transcript: [
          { role: 'bot', text: 'Hello, this is the robot.', at: '2026-12-05T10:00:01.000Z' },
          { role: 'caller', text: HOSTILE, at: '2026-12-05T10:00:05.000Z' },
          { role: 'caller', text: '', at: '2026-12-05T10:00:09.000Z' },
          { role: 'bot', text: 'Goodbye.' },
        ],
      },
      { ...base, id: 'ivr-call', caller: '+15550124' },
    ],
    records: 'kept',
  };
}

describe('a robot call\'s transcript in the Call flows sidebar, in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor(grayKeepingRecords, (e) => e.waitForLog(/support v2 released as the gray version/));

  const row = (page: Page, version: string) => page.locator(`.callflow-rel-flow[data-flow="support"] .callflow-rel-version[data-version="${version}"]`);

  /** Opens the sidebar, v1's calls, and the robot call; the transcript's lines as shown. */
  async function openTranscript(page: Page): Promise<{ roles: (string | null)[]; texts: string[]; title: string }> {
    await page.route('**/callflow/releases/*/flows/*/versions/*/calls*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(callsAnswer()) }));
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-call-flows-tab'));
    await row(page, 'v1').locator('button[data-action="calls"]').click();
    // A call without a transcript shows none.
    await row(page, 'v1').locator('.callflow-rel-call-list a[data-call="ivr-call"]').click();
    await row(page, 'v1').locator('.callflow-rel-execution').waitFor({ state: 'attached' });
    assert.equal(await row(page, 'v1').locator('.callflow-rel-transcript').count(), 0);
    await row(page, 'v1').locator('.callflow-rel-call-list a[data-call="robot-call"]').click();
    const lines = row(page, 'v1').locator('.callflow-rel-transcript li');
    await lines.first().waitFor();
    const all = await lines.all();
    return {
      roles: await Promise.all(all.map((l) => l.getAttribute('data-role'))),
      texts: await lines.allTextContents(),
      title: (await row(page, 'v1').locator('.callflow-rel-transcript-title').textContent()) ?? '',
    };
  }

  it('in English: who said what and when, markup as characters, silence said as such', async function () {
    const { page } = running().browser;
    const shown = await openTranscript(page);
    assert.equal(shown.title, 'Conversation with the robot');
    assert.deepEqual(shown.roles, ['bot', 'caller', 'caller', 'bot']);
    assert.match(shown.texts[0] ?? '', /^\S.* {2}Robot: Hello, this is the robot\.$/);
    assert.match(shown.texts[1] ?? '', /^\S.* {2}Caller: /);
    assert.ok(shown.texts[1]?.endsWith(`Caller: ${HOSTILE}`), shown.texts[1]);
    assert.match(shown.texts[2] ?? '', /Caller: \(nothing said\)$/);
    assert.equal(shown.texts[3], 'Robot: Goodbye.', 'a line without its time');
    // The markup stayed text: no element was made of it, and its handler never ran.
    assert.equal(await row(page, 'v1').locator('.callflow-rel-execution img, .callflow-rel-execution b').count(), 0);
    assert.notEqual(await page.title(), 'owned');
    assert.deepEqual(running().browser.errors(), []);
  });

  it('in Chinese', async function () {
    const { page } = running().browser;
    await gotoEditorIn(page, running().editor.url, 'zh-CN');
    try {
      const shown = await openTranscript(page);
      assert.equal(shown.title, '与机器人的对话');
      assert.match(shown.texts[0] ?? '', / {2}机器人: Hello, this is the robot\.$/);
      assert.ok(shown.texts[1]?.endsWith(`来电者: ${HOSTILE}`), shown.texts[1]);
      assert.match(shown.texts[2] ?? '', /来电者: （未说话）$/);
      assert.equal(await row(page, 'v1').locator('.callflow-rel-execution img, .callflow-rel-execution b').count(), 0);
      assert.deepEqual(running().browser.errors(), []);
    } finally {
      await gotoEditorIn(page, running().editor.url, 'en-US');
    }
  });
});

describe('the campaign form\'s task type and AMD() parameters, in a real browser', function () {
  this.timeout(60_000);
  const flows = notification.nodes;
  const campaign = flows.find((n) => n.type === 'callflow-campaign') as { id: string };
  const dialer = flows.find((n) => n.type === 'callflow-dialer') as { id: string };
  const running = useEditor(flows, (e) => e.waitForLog(/ARI .* connected/));

  it('chooses an intelligent robot task and sets AMD() parameters (Asterisk\'s defaults, refused out of range), saved on the node; the dialer shows the type', async function () {
    const { page } = running().browser;
    await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${dialer.id}"] rect.red-ui-flow-node`).dblclick();
    // The dialer's line says the deployed task's type.
    await page.locator('#callflow-dialer-state', { hasText: 'common IVR task' }).waitFor();
    await trayAtRest(page);
    await page.waitForFunction((id) => (globalThis as unknown as { $: (s: string) => { val(): unknown } }).$('#node-input-campaign').val() === id, campaign.id);
    await page.locator('#node-input-btn-campaign-edit').click();
    await page.locator('#callflow-campaign-tabs li.red-ui-tab').first().waitFor();
    await trayAtRest(page);

    // The task type: common IVR by default; the robot's rule shows once robot is chosen.
    const type = page.locator('#node-config-input-taskType');
    await type.waitFor({ state: 'visible' });
    assert.equal(await type.inputValue(), 'ivr');
    assert.deepEqual((await type.locator('option').allTextContents()).map((t) => t.trim()), ['Common IVR outbound call', 'Intelligent robot outbound call']);
    const robotTip = page.locator('.callflow-campaign-robot-tip');
    assert.equal(await robotTip.isVisible(), false);
    await type.selectOption('robot');
    await robotTip.waitFor({ state: 'visible' });
    assert.match((await robotTip.textContent()) ?? '', /callflow-bot element/);

    // AMD() parameters: hidden while detection is off, Asterisk's defaults once it is on.
    const amd = page.locator('#node-config-input-amd');
    const greeting = page.locator('#callflow-campaign-amd-greeting');
    assert.equal(await amd.inputValue(), 'off');
    assert.equal(await greeting.isVisible(), false);
    await amd.selectOption('hangup');
    await greeting.waitFor({ state: 'visible' });
    const fields = page.locator('#callflow-campaign-amdParameters input');
    const values = await Promise.all((await fields.all()).map(async (f) => [await f.getAttribute('data-parameter'), await f.inputValue()]));
    assert.deepEqual(Object.fromEntries(values), {
      initialSilence: '2500', greeting: '1500', afterGreetingSilence: '800', totalAnalysisTime: '5000', minimumWordLength: '100',
      betweenWordsSilence: '50', maximumNumberOfWords: '2', silenceThreshold: '256', maximumWordLength: '5000',
    });
    await page.locator('label[for="callflow-campaign-amd-greeting"]', { hasText: 'Greeting' }).waitFor();

    // A value out of range: the schema's message, naming the parameter; then a valid one.
    await greeting.fill('-5');
    await greeting.dispatchEvent('change');
    await page.locator('#callflow-campaign-problems li', { hasText: 'amdParameters.greeting: the longest greeting: whole milliseconds from 0 to 60000 (got -5)' }).waitFor();
    await greeting.fill('2000');
    await greeting.dispatchEvent('change');
    await page.locator('#callflow-campaign-problems-box').waitFor({ state: 'hidden' });

    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#callflow-campaign-tabs').waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => {
      const n = (globalThis as unknown as { RED: { nodes: { node(id: string): { taskType: unknown; amd: unknown; amdParameters: Record<string, unknown> } } } }).RED.nodes.node(id);
      return { taskType: n.taskType, amd: n.amd, amdParameters: n.amdParameters };
    }, campaign.id);
    assert.deepEqual(saved, {
      taskType: 'robot',
      amd: 'hangup',
      amdParameters: { initialSilence: 2500, greeting: 2000, afterGreetingSilence: 800, totalAnalysisTime: 5000, minimumWordLength: 100, betweenWordsSilence: 50, maximumNumberOfWords: 2, silenceThreshold: 256, maximumWordLength: 5000 },
    });
    await page.locator('#node-dialog-cancel').click();
    assert.deepEqual(running().browser.errors(), []);
  });
});

/** What the calls route answers for the recordings: a recorded call, one whose recording is gone, one with a path that is not ours, one without. */
function recordedCallsAnswer(): object {
  const base = { caller: '+8613600000001', dialed: '+8613600000001', startedAt: '2026-12-05T10:00:00.000Z', trace: [], pressed: [], endedAt: '2026-12-05T10:00:30.000Z', by: 'flow', reason: 'hangup', durationSec: 30 };
  return {
    live: [],
    recent: [
      { ...base, id: 'recorded-call', recording: 'callflow/campaigns/task/attempts/K%2F1/1/recording' },
      { ...base, id: 'gone-call', recording: 'callflow/campaigns/task/attempts/K2/1/recording' },
      { ...base, id: 'foreign-call', recording: 'javascript:alert(1)//recording' },
      { ...base, id: 'plain-call' },
      // A call a robot recorded (Record the call): its recording through its call record.
      { ...base, id: 'robot-call', recording: 'callflow/releases/r1/flows/support/versions/v1/calls/1796.5/recording' },
    ],
    records: 'kept',
  };
}

describe("a recorded call's recording (a campaign's, a robot's) in the Call flows sidebar, in a real browser", function () {
  this.timeout(60_000);
  const running = useEditor(grayKeepingRecords, (e) => e.waitForLog(/support v2 released as the gray version/));
  const row = (page: Page) => page.locator('.callflow-rel-flow[data-flow="support"] .callflow-rel-version[data-version="v1"]');
  const GONE = 'Asterisk has no recording <b>campaign-x</b> (any more)';

  /** Opens the sidebar and v1's calls, the admin API stood in for: the calls, a recording (1 s of wav) and a refusal. */
  async function openCalls(page: Page): Promise<void> {
    await page.route('**/callflow/releases/*/flows/*/versions/*/calls*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(recordedCallsAnswer()) }));
    await page.route('**/callflow/campaigns/task/attempts/**', (route) =>
      route.request().url().includes('/K%2F1/1/recording')
        ? route.fulfill({ status: 200, contentType: 'audio/wav', body: silentWav(1000) })
        : route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ message: GONE }) }),
    );
    await page.route('**/callflow/releases/*/flows/*/versions/*/calls/*/recording', (route) => route.fulfill({ status: 200, contentType: 'audio/wav', body: silentWav(2000) }));
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-call-flows-tab'));
    await row(page).locator('button[data-action="calls"]').click();
  }
  async function show(page: Page, call: string): Promise<void> {
    await row(page).locator(`.callflow-rel-call-list a[data-call="${call}"]`).click();
    await row(page).locator('.callflow-rel-execution').waitFor({ state: 'attached' });
  }

  /** The recorded call's player, played; the gone one's refusal; and no player for the calls without one. */
  async function checkRecordings(page: Page, words: { title: string; play: string; download: string; failed: string }): Promise<void> {
    await openCalls(page);
    for (const call of ['plain-call', 'foreign-call']) {
      await show(page, call);
      assert.equal(await row(page).locator('.callflow-rel-recording').count(), 0, `${call}: no recording shown`);
    }
    await show(page, 'recorded-call');
    const box = row(page).locator('.callflow-rel-recording');
    assert.equal(await box.locator('.callflow-rel-recording-title').textContent(), words.title);
    assert.equal(await box.locator('audio').count(), 0, 'nothing is fetched before it is asked for');
    const play = box.locator('button[data-action="play-recording"]');
    assert.equal(await play.textContent(), words.play);
    await play.click();
    const audio = box.locator('audio');
    await audio.waitFor();
    const src = (await audio.getAttribute('src')) ?? '';
    assert.match(src, /^blob:/);
    // Chromium read the file as audio: one second of it.
    type Media = { readyState: number; duration: number; addEventListener(type: string, fn: () => void, options: { once: boolean }): void };
    const duration = await audio.evaluate((el) => {
      const media = el as unknown as Media;
      return new Promise<number>((resolve) => (media.readyState >= 1 ? resolve(media.duration) : media.addEventListener('loadedmetadata', () => resolve(media.duration), { once: true })));
    });
    assert.ok(Math.abs(duration - 1) < 0.05, `duration ${duration}`);
    const download = box.locator('a.callflow-rel-recording-download');
    assert.deepEqual([await download.textContent(), await download.getAttribute('download')], [words.download, 'recording-K-1-1.wav']);

    // A robot's recorded call: the same player, the file through the call's own route.
    await show(page, 'robot-call');
    const robotBox = row(page).locator('.callflow-rel-recording');
    await robotBox.locator('button[data-action="play-recording"]').click();
    await robotBox.locator('audio').waitFor();
    assert.equal(await robotBox.locator('a.callflow-rel-recording-download').getAttribute('download'), 'recording-1796.5.wav');

    await show(page, 'gone-call');
    // The file shown before is let go with its call.
    const kept = await page.evaluate((url) => fetch(url).then(() => true, () => false), src);
    assert.equal(kept, false, 'the previous recording was released');
    await row(page).locator('button[data-action="play-recording"]').click();
    const error = row(page).locator('.callflow-rel-recording-error');
    await error.waitFor();
    assert.equal(await error.textContent(), words.failed.replace('__message__', GONE));
    assert.equal(await row(page).locator('.callflow-rel-execution b').count(), 0, 'the refusal stayed text');
    assert.equal(await row(page).locator('.callflow-rel-recording audio').count(), 0);
    assert.deepEqual(running().browser.errors(), []);
  }

  it('in English: a player only for a call with a recording, fetched when asked for; a refusal shown as text', async function () {
    await checkRecordings(running().browser.page, { title: 'Recording of the call', play: 'Play the recording', download: 'Download', failed: 'The recording could not be loaded: __message__' });
  });

  it('in Chinese', async function () {
    const { page } = running().browser;
    await gotoEditorIn(page, running().editor.url, 'zh-CN');
    try {
      await checkRecordings(page, { title: '通话录音', play: '播放录音', download: '下载', failed: '无法加载录音：__message__' });
    } finally {
      await gotoEditorIn(page, running().editor.url, 'en-US');
    }
  });
});

describe("the robot's Record the call option, in a real browser", function () {
  this.timeout(60_000);
  const robot = readExamples().find((e) => e.name === 'Intelligent robot');
  if (!robot) throw new Error('examples/Intelligent robot.json is missing');
  const bot = robot.nodes.find((n) => n.type === 'callflow-bot') as { id: string; record?: unknown };
  const running = useEditor(robot.nodes, (e) => e.waitForLog(/ARI .* connected/));

  it("shows the example's robot recording its call, with its tip; turned off, the node no longer records", async function () {
    assert.equal(bot.record, true, 'the example records its calls');
    const { page } = running().browser;
    await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${bot.id}"] rect.red-ui-flow-node`).dblclick();
    await trayAtRest(page);
    const box = page.locator('#node-input-record');
    await box.waitFor({ state: 'visible' });
    assert.equal(await box.isChecked(), true);
    assert.equal(await page.locator('label[for="node-input-record"]').textContent(), 'Record the call');
    assert.match((await page.locator('.callflow-bot-record-tip').textContent()) ?? '', /named call-<call id>\. A call already recorded/);
    await box.uncheck();
    await page.locator('#node-dialog-ok').click();
    type RedGlobal = { RED: { nodes: { node(id: string): { record?: unknown; valid?: boolean } | undefined } } };
    await page.waitForFunction((id) => (globalThis as unknown as RedGlobal).RED.nodes.node(id)?.record === false, bot.id);
    assert.deepEqual(await page.evaluate((id) => { const n = (globalThis as unknown as RedGlobal).RED.nodes.node(id); return [n?.record, n?.valid]; }, bot.id), [false, true]);
    assert.deepEqual(running().browser.errors(), []);
  });
});
