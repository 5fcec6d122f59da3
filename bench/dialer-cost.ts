/**
 * bench/dialer-cost: what the campaign dialer itself costs per origination,
 * figures that do not depend on how busy the machine is: CPU time per
 * origination (this process: the dialer and the store's thread) and the
 * store calls it makes per origination, by operation (each is a round trip
 * to the store's thread, and a transaction).
 *
 * The dialer runs alone, as the callflow-campaign node runs it but without
 * Node-RED or Asterisk: the embedded store on its own thread (as deployed,
 * durability normal), a manual clock (ticks as fast as the work allows), a
 * telephony port whose originate answers at once and whose calls ring for
 * ever (nothing of a call's life after the originate is counted; bench/
 * campaign measures that).
 *
 * The dial journal (lib/campaign/dial-journal.ts) is kept in the round's
 * folder, as a Node-RED with a user directory keeps it; --no-journal leaves
 * it out (an embedded runtime), to see what it costs.
 *
 *   node dist/bench/dialer-cost.js [--rate 100] [--seconds 40] [--rounds 5] [--blocklist] [--no-journal]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Channel } from '../lib/ari/types';
import { CallSession } from '../lib/call/session';
import { ManualClock } from '../lib/campaign/clock';
import { Coordinator } from '../lib/campaign/coordinator';
import { FileDialJournal } from '../lib/campaign/dial-journal';
import { Dialer } from '../lib/campaign/dialer';
import { rankOf } from '../lib/campaign/order';
import { checkCampaign, type CampaignSettings } from '../lib/schemas/campaign';
import type { ContactInput } from '../lib/schemas/store';
import { EmbeddedThreadStore } from '../lib/store/embedded-thread';
import { flag, pacedTask, summary } from './support';

const rate = Number(flag('--rate') ?? 100);
const seconds = Number(flag('--seconds') ?? 40);
const rounds = Number(flag('--rounds') ?? 5);
const blocklist = process.argv.includes('--blocklist');
const journaled = !process.argv.includes('--no-journal');

function settings(): CampaignSettings {
  const r = checkCampaign({
    name: 'cost',
    connection: 'fake',
    store: 'store',
    ...pacedTask(rate),
    ...(blocklist ? { blocklistGroups: ['dnc'] } : {}),
  });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
}

function channel(id: string): Channel {
  return { id, protocol_id: '', name: `PJSIP/trunk-${id.slice(-6)}`, state: 'Ring', caller: { name: '', number: '' }, connected: { name: '', number: '' }, accountcode: '', dialplan: { context: 'default', exten: 's', priority: 1, app_name: 'Stasis', app_data: '' }, creationtime: new Date(0).toISOString(), language: 'en' };
}

interface Round {
  originates: number;
  cpuMsPerOrigination: number;
  storeCallsPerOrigination: number;
  /** Store calls per origination, by operation. */
  each: string;
}

async function round(): Promise<Round> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-dialer-cost-'));
  const store = new EmbeddedThreadStore({ file: path.join(dir, 'cost.db'), durability: 'normal' });
  const journal = journaled ? new FileDialJournal(dir) : undefined;
  try {
    await store.open();
    const s = settings();
    const total = rate * (seconds + 5);
    for (let i = 0; i < total; i += 5000) {
      const rows: ContactInput[] = Array.from({ length: Math.min(5000, total - i) }, (_, k) => {
        const c: ContactInput = { customerId: `c${i + k}`, numbers: [{ number: `+86138${String(i + k).padStart(8, '0')}` }] };
        c.rank = rankOf(c, s.order);
        return c;
      });
      await store.importContacts('cost', rows, Date.parse('2026-12-01T00:00:00Z'));
    }
    if (blocklist) await store.addBlocked(Array.from({ length: 100 }, (_, i) => ({ group: 'dnc', number: `+86139${String(i).padStart(8, '0')}` })));
    const clock = new ManualClock('2026-12-01T08:00:00Z');
    // What the dialer asks of the store and of Asterisk, in order.
    const log: { what: string }[] = [];
    const counted = store as unknown as Record<string, unknown>;
    for (const name of ['claimDue', 'markProgress', 'markProgressBatch', 'findBlock', 'recordAttempt', 'renewLeases', 'hasDue', 'countContacts', 'putDocument', 'getDocument', 'tallyAttempts', 'reclaimLeases']) {
      const method = counted[name];
      // An operation this version of the store lacks (markProgressBatch before issue 14).
      if (typeof method !== 'function') continue;
      const real = (method as (...a: unknown[]) => Promise<unknown>).bind(store);
      counted[name] = (...a: unknown[]) => {
        log.push({ what: name });
        return real(...a);
      };
    }
    let originates = 0;
    const telephony = {
      status: { state: 'connected' as const, message: '', attempt: 0 },
      originate: (request: { channelId?: string }) => {
        originates += 1;
        log.push({ what: 'originate' });
        return Promise.resolve({ channel: channel(request.channelId ?? 'x'), outcome: new Promise<never>(() => undefined) });
      },
      getChannel: () => Promise.reject(new Error('not here')),
      hangup: () => Promise.resolve(),
      watchChannel: () => () => undefined,
      snoop: () => Promise.reject(new Error('not recorded here')),
      record: () => Promise.reject(new Error('not recorded here')),
    };
    const dialer = new Dialer({
      campaignId: 'cost',
      worker: 'cost-worker',
      settings: s,
      store: store,
      telephony: telephony,
      calls: { claim: () => undefined, adopt: (ch) => new CallSession({ channelId: ch.id, connection: 'fake', direction: 'outbound', caller: { number: '', name: '' }, dialed: '', state: 'up' }) },
      connectionId: 'fake',
      pool: { limit: 1_000_000, inUse: () => 0 },
      coordinator: new Coordinator(),
      clock,
      callerNumbers: s.callerNumbers,
      hooks: { answered: () => undefined, finalFailure: () => undefined, finished: () => undefined, status: () => undefined },
      ...(journal ? { journal } : {}),
    });
    await dialer.start();
    await dialer.operate('start');
    // The first tick (it claims for itself) and the start's own store calls are not measured.
    await clock.advance(1000);
    const from = { originates, log: log.length, cpu: process.cpuUsage() };
    await clock.advance(seconds * 1000 - 1);
    const cpu = process.cpuUsage(from.cpu);
    const n = originates - from.originates;
    const window = log.slice(from.log);
    const storeCalls = new Map<string, number>();
    for (const e of window) if (e.what !== 'originate') storeCalls.set(e.what, (storeCalls.get(e.what) ?? 0) + 1);
    await dialer.close(0);
    const all = [...storeCalls.values()].reduce((x, y) => x + y, 0);
    const each = [...storeCalls.entries()].map(([k, v]) => `${k} ${(v / n).toFixed(3)}`).join(', ');
    return { originates: n, cpuMsPerOrigination: (cpu.user + cpu.system) / 1000 / n, storeCallsPerOrigination: all / n, each };
  } finally {
    await store.close().catch(() => undefined);
    journal?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`bench/dialer-cost on Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)}: ${rate} calls a tick, ${seconds} ticks a round, ${rounds} rounds${blocklist ? ', with a blocklist' : ''}, ${journaled ? 'with' : 'without'} the dial journal`);
  const results: Round[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const r = await round();
    results.push(r);
    console.log(`   round ${i + 1}: ${r.originates} originations, CPU ${r.cpuMsPerOrigination.toFixed(3)} ms each, ${r.storeCallsPerOrigination.toFixed(3)} store calls each (${r.each})`);
  }
  const cpu = summary(results.map((r) => r.cpuMsPerOrigination));
  console.log(`   median CPU per origination: ${cpu.p50.toFixed(3)} ms (the dialer and the store's thread; the machine's load does not change CPU time much)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
