/**
 * The called numbers of the campaign examples (examples/Notification campaign.json,
 * examples/Survey campaign.json, examples/Skill queue campaign.json, examples/Intelligent robot.json) and how the simulated Asterisk makes them
 * behave under `npm start` (and in the examples' tests).
 */
/** What each survey customer does at the second question (examples/Survey campaign.json): a mark, what went wrong, or hanging up. */
const SECOND_ANSWER: Record<string, unknown>[][] = [
  [{ waitFor: 'playback-start', media: 'demo-congrats' }, { wait: 500 }, { dtmf: '5' }],
  [{ waitFor: 'playback-start', media: 'vm-options' }, { wait: 500 }, { dtmf: '1' }],
  [{ waitFor: 'playback-start', media: 'demo-congrats' }, { wait: 500 }, { dtmf: '4' }],
  [{ waitFor: 'playback-start', media: 'vm-options' }, { wait: 500 }, { dtmf: '2' }],
  [{ waitFor: 'playback-start', media: 'demo-congrats' }, { wait: 500 }, { hangup: true }],
  [{ waitFor: 'playback-start', media: 'vm-options' }, { wait: 500 }, { dtmf: '3' }],
];

/** The customers of the robot task (examples/Intelligent robot.json). */
export const ROBOT_CUSTOMERS = ['+8613600000001', '+8613600000002', '+8613600000003'];
/** A caller who talks with the robot: speech after the greeting, and after the offer. */
export const ROBOT_CALLER: Record<string, unknown>[] = [{ waitFor: 'playback-end' }, { say: 900 }, { waitFor: 'playback-end' }, { say: 900 }, { wait: 20000 }];

export const DEMO_NUMBERS: Record<string, Record<string, unknown>> = {
  '+8613800000002': { outcome: 'busy', ringMs: 2000 },
  '+8613800000003': { outcome: 'busy', ringMs: 1500 },
  '+8613800000004': { outcome: 'no-answer' },
  '+8613800000005': { outcome: 'unallocated', ringMs: 500 },
  '+8613800000006': { outcome: 'rejected', ringMs: 3000 },
  // The survey's customers: odd ones are satisfied (1) and give a mark, S005 hanging up before it; even ones are not (2) and say what went wrong.
  ...Object.fromEntries(
    [1, 2, 3, 4, 5, 6].map((k) => [`+86139000000${String(k).padStart(2, '0')}`, { outcome: 'answer', ringMs: 2000, script: [{ waitFor: 'playback-start' }, { wait: 1000 }, { dtmf: k % 2 === 1 ? '1' : '2' }, ...(SECOND_ANSWER[k - 1] ?? [])] }]),
  ),
  // The skill queue campaign's customers: they hear "please hold", are transferred to the queue, and stay with the agent a minute.
  ...Object.fromEntries(
    [1, 2, 3].map((k) => [`+86137000000${String(k).padStart(2, '0')}`, { outcome: 'answer', ringMs: 1500, script: [{ waitFor: 'playback-end', media: 'pls-hold-while-try' }, { wait: 60000 }, { hangup: true }] }]),
  ),
  // The robot task's customers: each speaks after the robot's greeting and after its offer, as the inbound caller of the example does;
  // the robot's flow hangs up after the transfer notice.
  ...Object.fromEntries(ROBOT_CUSTOMERS.map((number) => [number, { outcome: 'answer', ringMs: 1500, script: ROBOT_CALLER }])),
};

