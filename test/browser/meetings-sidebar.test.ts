/**
 * The "Meetings" sidebar tab in a real browser (Debian's Chromium, headless) against a real Node-RED running the
 * "Conference" example, with two simulated callers in the Board room: it lists the meeting and its participants,
 * and its buttons mute a participant, lock the meeting, kick a participant and end the meeting, each seen in the
 * tab and on the simulated calls. Without /usr/bin/chromium the suite is reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import { readExamples } from '../../lib/playground/home';
import { untilInPage, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Conference');
if (!example) throw new Error('examples/Conference.json is missing');

interface CallReport {
  id: string;
  muted?: string;
  ended?: { by: string };
  heard: { media: string }[];
}

describe('the Meetings sidebar in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor(example.nodes, (e) => e.waitForLog(/ARI .* connected/));

  async function call(from: string, code: string): Promise<string> {
    const res = await fetch(`${running().editor.url}/callflow/simulator/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from, to: '400', args: ['conference'], script: [{ waitFor: 'playback-start', media: 'conf-getpin' }, { dtmf: `${code}#` }, { waitFor: 'bridged' }, { wait: 600_000 }] }),
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  }
  const report = async (id: string): Promise<CallReport> => (await (await fetch(`${running().editor.url}/callflow/simulator/calls/${id}`)).json()) as CallReport;

  it('lists the meeting with its host and participant, and mutes, locks, kicks and ends from its buttons', async function () {
    const { page } = running().browser;
    const host = await call('+15550100', '7001');
    const participant = await call('+15550101', '7002');
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-meetings-tab'));
    const meeting = page.locator('.callflow-mtg-meeting[data-room="board"]');
    const row = (channel: string) => meeting.locator(`.callflow-mtg-participant[data-channel="${channel}"]`);
    await row(participant).waitFor();
    await row(host).waitFor();
    assert.equal(await row(host).locator('.callflow-mtg-role').getAttribute('data-role'), 'host');
    assert.match((await meeting.locator('.callflow-mtg-sub').textContent()) ?? '', /^2 in the meeting/);

    await row(participant).locator('button[data-op="mute"]').click();
    await row(participant).locator('button[data-op="unmute"]').waitFor();
    assert.equal((await report(participant)).muted, 'in');

    await meeting.locator('button[data-op="lock"]').click();
    await meeting.locator('.callflow-mtg-locked').waitFor();

    await row(participant).locator('button[data-op="kick"]').click();
    await row(participant).waitFor({ state: 'detached' });
    // Kicked: out through "left the meeting", then the example says goodbye and hangs up.
    await untilInPage(
      page,
      async (id) => {
        const r = (await (await fetch(`callflow/simulator/calls/${id}`)).json()) as { ended?: unknown };
        return r.ended !== undefined;
      },
      participant,
      'the kicked participant\'s call to end',
    );
    assert.ok((await report(participant)).heard.some((h) => h.media === 'sound:vm-goodbye'));

    page.once('dialog', (dialog) => void dialog.accept());
    await meeting.locator('button[data-op="end"]').click();
    await meeting.waitFor({ state: 'detached' });
    await page.locator('.callflow-mtg p', { hasText: 'No meeting is in progress' }).waitFor();
    assert.deepEqual(running().browser.errors(), []);
  });

  it('shows a caller\'s number that carries HTML as text', async function () {
    const { page } = running().browser;
    const hostile = '<img src=x onerror="window.__pwned=1">';
    const res = await fetch(`${running().editor.url}/callflow/simulator/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from: hostile, to: '402', args: ['conference'], script: [{ waitFor: 'bridged' }, { wait: 600_000 }] }),
    });
    const { id } = (await res.json()) as { id: string };
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-meetings-tab'));
    const row = page.locator(`.callflow-mtg-participant[data-channel="${id}"]`);
    await row.waitFor();
    assert.equal(await row.locator('span').first().textContent(), hostile);
    assert.equal(await page.locator('.callflow-mtg img').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
  });
});
