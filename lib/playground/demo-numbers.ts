/**
 * The called numbers of the campaign examples (examples/Notification campaign.json,
 * examples/Survey campaign.json) and how the simulated Asterisk makes them
 * behave under `npm start` (and in the examples' tests).
 */
export const DEMO_NUMBERS: Record<string, Record<string, unknown>> = {
  '+8613800000002': { outcome: 'busy', ringMs: 2000 },
  '+8613800000003': { outcome: 'busy', ringMs: 1500 },
  '+8613800000004': { outcome: 'no-answer' },
  '+8613800000005': { outcome: 'unallocated', ringMs: 500 },
  '+8613800000006': { outcome: 'rejected', ringMs: 3000 },
  ...Object.fromEntries(
    [1, 2, 3, 4, 5, 6].map((k) => [`+86139000000${String(k).padStart(2, '0')}`, { outcome: 'answer', ringMs: 2000, script: [{ waitFor: 'playback-start' }, { wait: 1000 }, { dtmf: k % 2 === 1 ? '1' : '2' }] }]),
  ),
};

