/**
 * A campaign's store as the node tests start it: an embedded store file holding one task, already running (so its
 * dialer dials at deploy), and its customers, each with one number.
 */
import assert from 'node:assert/strict';
import { rankOf } from '../../lib/campaign/order';
import { EmbeddedStore } from '../../lib/store/embedded';
import type { StoredContact } from '../../lib/store/port';

export async function seedRunningTask(file: string, task: { id: string; name: string }, customers: { customerId: string; number: string }[]): Promise<void> {
  const store = new EmbeddedStore({ file });
  await store.open();
  try {
    const rows = customers.map((c) => ({ customerId: c.customerId, numbers: [{ number: c.number }] }));
    await store.importContacts(task.id, rows.map((row) => ({ ...row, rank: rankOf(row, { by: 'none', attrs: [] }) })), Date.now());
    await store.putDocument('campaign', task.id, { state: 'running', changedAt: Date.now(), reason: 'start by test', name: task.name, counters: { dialed: 0, answered: 0, failed: 0, finished: 0 } }, 0, Date.now());
  } finally {
    await store.close();
  }
}

/** The first contact of a task as stored in `file` (the caller unloads the flows first: the file is Node-RED's until then). */
export async function firstStoredContact(file: string, task = 'task'): Promise<StoredContact> {
  const store = new EmbeddedStore({ file });
  await store.open();
  try {
    const contact = (await store.pageContacts(task, { limit: 10 })).items[0];
    assert.ok(contact, 'the customer is in the store');
    return contact;
  } finally {
    await store.close();
  }
}

/**
 * The config nodes of a campaign test: the simulator's connection (`a1`), the embedded store (`st1`) on `file`, and
 * the task (`task`) calling all day in UTC, one call at a time, with `settings` laid over.
 */
export function campaignConfigs(simulatorUrl: string, file: string, settings: Record<string, unknown>, connection: Record<string, unknown> = {}): Record<string, unknown>[] {
  return [
    { id: 'a1', type: 'callflow-asterisk', name: 'sim', useSimulator: false, url: simulatorUrl, app: 'callflow', idleTimeoutSec: 60, maxChannels: 10, ...connection },
    { id: 'st1', type: 'callflow-store', name: 'embedded', backend: 'embedded', file, durability: 'normal' },
    {
      id: 'task',
      type: 'callflow-campaign',
      connection: 'a1',
      store: 'st1',
      callerNumbers: ['+861058000000'],
      timezone: 'UTC',
      hours: { regular: [{ start: '00:00', end: '24:00' }], special: [], allocated: [] },
      intervalSec: 1,
      callsAtATime: 1,
      ...settings,
    },
  ];
}

/**
 * The flow of the node tests that run a notification task `task` on tab `z`: its dialer node into answer, the notice
 * (sound:hello-world), the result `notified` and a hang-up; the dialer's finished output to the helper node `finished`.
 */
export function noticeStages(z: string): Record<string, unknown>[] {
  return [
    { id: 'dialer', type: 'callflow-dialer', z, campaign: 'task', x: 100, y: 100, wires: [['answer'], [], ['finished']] },
    { id: 'answer', type: 'callflow-answer', z, onError: 'hangup', outputs: 1, x: 300, y: 100, wires: [['notice']] },
    { id: 'notice', type: 'callflow-play', z, prompts: ['sound:hello-world'], bargeIn: false, repeat: 1, answer: true, onError: 'hangup', outputs: 1, x: 500, y: 100, wires: [['result']] },
    { id: 'result', type: 'callflow-result', z, result: 'notified', subResult: '', x: 700, y: 100, wires: [['bye']] },
    { id: 'bye', type: 'callflow-hangup', z, reason: 'normal', x: 900, y: 100, wires: [] },
    { id: 'finished', type: 'helper', z, x: 300, y: 200, wires: [] },
  ];
}
