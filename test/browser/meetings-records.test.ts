/**
 * The meeting records export of the "Meetings" sidebar tab, in a real browser (Debian's Chromium, headless) against
 * a real Node-RED running the "Conference" example with its meeting rooms keeping records in a store: after a
 * meeting, the tab's button downloads the records as CSV (numbers masked). Without /usr/bin/chromium the suite is
 * reported as skipped, with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { csvRecords } from '../../lib/campaign/csv';
import { readExamples } from '../../lib/playground/home';
import { untilInPage, useEditor } from '../support/browser';

const example = readExamples().find((e) => e.name === 'Conference');
if (!example) throw new Error('examples/Conference.json is missing');
const STORE = { id: 'c0f0s0t0o0r0e001', type: 'callflow-store', name: 'records', backend: 'embedded', file: 'meeting-records-test.db', durability: 'normal' };
const nodes = [...example.nodes.map((n) => (n.type === 'callflow-meetings' ? { ...n, store: STORE.id } : n)), STORE];
const meetingsNode = nodes.find((n) => n.type === 'callflow-meetings') as { id: string; name?: string };

describe('the meeting records export of the Meetings sidebar, in a real browser', function () {
  this.timeout(60_000);
  const running = useEditor(nodes, (e) => e.waitForLog(/ARI .* connected/));

  it('downloads the records of the meeting rooms node as CSV from the tab\'s button', async function () {
    const { page } = running().browser;
    // One caller goes straight into the meeting of 402 and leaves with #: a meeting that started and ended.
    const res = await fetch(`${running().editor.url}/callflow/simulator/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from: '+15550100', to: '402', args: ['conference'], script: [{ waitFor: 'bridged' }, { dtmf: '#' }] }),
    });
    assert.equal(res.status, 201);
    // The record is written as the meeting ends: wait until the JSON listing has it.
    await untilInPage(
      page,
      async (id) => ((await (await fetch(`callflow/meetings/records/${id}`)).json()) as { items?: unknown[] }).items?.length === 1,
      meetingsNode.id,
      'the meeting\'s record in the JSON listing',
    );
    await page.evaluate(() => (globalThis as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke('callflow:show-meetings-tab'));
    const exportButton = page.locator(`.callflow-mtg-export[data-meetings="${meetingsNode.id}"] button[data-op="export-csv"]`);
    await exportButton.waitFor();
    const download = page.waitForEvent('download');
    await exportButton.click();
    const file = await download;
    assert.equal(file.suggestedFilename(), `meeting-records-${(meetingsNode.name ?? '').replace(/[^A-Za-z0-9_.-]+/g, '-') || meetingsNode.id}.csv`);
    const text = fs.readFileSync(await file.path(), 'utf8');
    const rows = [...csvRecords(text)].map((r) => r.record);
    assert.deepEqual(rows.map((r) => [r.room, r.callFlow, r.number, r.role, r.why]), [['number:402', 'direct_host', "'+****0100", 'host', 'left']]);
    assert.deepEqual(running().browser.errors(), []);
  });
});
