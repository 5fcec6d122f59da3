/**
 * bench/store: the store's figures, printed (docs/performance.md records them).
 *
 *  1. Import 1,000,000 contacts (two numbers each) in batches of 5,000:
 *     rows per second, and the process's peak memory (max RSS) during it.
 *  2. Claims at 1,000,000 contacts with 5% due (50,000 due, 950,000 waiting
 *     for later): claims per second with 1 worker and with 2 workers (two
 *     processes on the same store, as two Node-RED instances would be).
 *  3. The same claims with the 50,000 due and nothing else: claim time must
 *     not depend on the contacts that are not due.
 *
 * Embedded store always (a file in a temp folder, durability full, as
 * deployed by default); MongoDB too when MONGODB_URI is set.
 *
 *   npm run bench:store   (or: node dist/bench/store.js [--contacts 1000000] [--batch 5000] [--claim-limit 20] [--durability full|normal])
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { MongoClient } from 'mongodb';
import { EmbeddedStore } from '../lib/store/embedded';
import { MongoStore } from '../lib/store/mongodb';
import type { ContactInput } from '../lib/schemas/store';
import type { Store } from '../lib/store/port';
import { flag } from './support';

const NOW = 1_800_000_000_000;
const LATER = NOW + 86_400_000;

interface Options {
  contacts: number;
  batch: number;
  claimLimit: number;
  durability: 'full' | 'normal';
}

function options(): Options {
  return {
    contacts: Number(flag('--contacts') ?? 1_000_000),
    batch: Number(flag('--batch') ?? 5000),
    claimLimit: Number(flag('--claim-limit') ?? 20),
    durability: flag('--durability') === 'normal' ? 'normal' : 'full',
  };
}

function row(i: number, dueAt: number): ContactInput {
  const n = String(i).padStart(7, '0');
  return {
    customerId: `cust-${n}`,
    numbers: [
      { number: `+1555${n}`, type: 'mobile', seq: 1 },
      { number: `+1556${n}`, type: 'home', seq: 2 },
    ],
    priority: (i % 5) + 1,
    attrs: { region: i % 2 ? 'north' : 'south', balance: i % 1000 },
    rank: String((i * 7919) % 100_000).padStart(5, '0'),
    dueAt,
  };
}

/** Imports `total` contacts; every 20th (5%) due now, the rest tomorrow. Returns rows/s and the peak RSS. */
async function importAll(store: Store, campaign: string, total: number, batch: number, dueEvery: number): Promise<{ rate: number; seconds: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let start = 0; start < total; start += batch) {
    const rows: ContactInput[] = [];
    for (let i = start; i < Math.min(total, start + batch); i += 1) rows.push(row(i, i % dueEvery === 0 ? NOW : LATER));
    await store.importContacts(campaign, rows, NOW);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rate: total / seconds, seconds, peakMb: Math.max(peak, process.resourceUsage().maxRSS * 1024) / 1024 / 1024 };
}

/** Claims until `count` contacts are claimed or none is due; returns claims/s. */
async function claimMany(store: Store, campaign: string, count: number, limit: number, worker: string): Promise<{ claimed: number; rate: number }> {
  let claimed = 0;
  const t0 = performance.now();
  while (claimed < count) {
    const claims = await store.claimDue(campaign, NOW, Math.min(limit, count - claimed), worker, 600_000);
    if (claims.length === 0) break;
    claimed += claims.length;
  }
  return { claimed, rate: claimed / ((performance.now() - t0) / 1000) };
}

/** The worker process of the 2-worker figure: claims `count` on its own store instance, prints "claimed <n> <ms>". */
async function worker(args: string[]): Promise<void> {
  const [kind, where, campaign, count, limit, name] = args;
  const store = kind === 'mongodb' ? new MongoStore({ uri: where ?? '', database: process.env.MONGODB_DB ?? 'callflow_bench' }) : new EmbeddedStore({ file: where ?? '', busyTimeoutMs: 60_000 });
  await store.open();
  // Start together: wait for "go" on stdin.
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const t0 = performance.now();
  const r = await claimMany(store, campaign ?? '', Number(count), Number(limit), name ?? 'w');
  process.stdout.write(`claimed ${r.claimed} ${(performance.now() - t0).toFixed(1)}\n`);
  await store.close();
}

async function twoWorkers(kind: string, where: string, campaign: string, perWorker: number, limit: number): Promise<{ claimed: number; rate: number }> {
  const children = [1, 2].map((i) =>
    spawn(process.execPath, [__filename, '--worker', kind, where, campaign, String(perWorker), String(limit), `worker-${i}`], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const results = children.map(
    (child) =>
      new Promise<{ claimed: number; ms: number }>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          const m = /^claimed (\d+) ([\d.]+)$/.exec(line);
          if (m) resolve({ claimed: Number(m[1]), ms: Number(m[2]) });
        });
        child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`worker exited with ${code}`))));
      }),
  );
  // Let both open their store, then start them together.
  await new Promise((r) => setTimeout(r, 1000));
  for (const child of children) child.stdin.write('go\n');
  const done = await Promise.all(results);
  const claimed = done.reduce((s, d) => s + d.claimed, 0);
  return { claimed, rate: claimed / (Math.max(...done.map((d) => d.ms)) / 1000) };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function run(label: string, kind: 'embedded' | 'mongodb', make: () => Store, where: string, opts: Options): Promise<void> {
  console.log(`\n${label}`);
  const store = make();
  await store.open();
  try {
    const imported = await importAll(store, 'big', opts.contacts, opts.batch, 20);
    console.log(`  import ${fmt(opts.contacts)} contacts (2 numbers each, batches of ${fmt(opts.batch)}): ${fmt(imported.rate)} rows/s (${imported.seconds.toFixed(1)} s), peak RSS ${imported.peakMb.toFixed(0)} MB`);
    const due = Math.ceil(opts.contacts / 20);
    const counts = await store.countContacts('big', NOW);
    console.log(`  ${fmt(counts.total)} contacts, ${fmt(counts.dueNow)} due now`);

    const share = Math.floor(due / 3);
    const one = await claimMany(store, 'big', share, opts.claimLimit, 'bench');
    console.log(`  claims, 1 worker  (limit ${opts.claimLimit} per claim): ${fmt(one.rate)} claims/s (${fmt(one.claimed)} claimed)`);
    await store.close();
    const two = await twoWorkers(kind, where, 'big', share, opts.claimLimit);
    console.log(`  claims, 2 workers (2 processes, same store):       ${fmt(two.rate)} claims/s (${fmt(two.claimed)} claimed)`);
    await store.open();

    // The same number due, nothing else: claim time must not depend on contacts not due.
    await importAll(store, 'small', due, opts.batch, 1);
    const alone = await claimMany(store, 'small', share, opts.claimLimit, 'bench');
    console.log(`  claims with only the ${fmt(due)} due contacts (no others): ${fmt(alone.rate)} claims/s, 1 worker`);
    console.log(`  -> with ${fmt(opts.contacts - due)} contacts not due the rate is ${((one.rate / alone.rate) * 100).toFixed(0)}% of that`);
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--worker') {
    await worker(args.slice(1));
    return;
  }
  const opts = options();
  console.log(`bench/store on Node ${process.version}, ${os.cpus().length} CPUs`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callflow-bench-store-'));
  try {
    const file = path.join(dir, 'bench.db');
    await run(`embedded store (SQLite, WAL, durability ${opts.durability}; file in ${os.tmpdir()})`, 'embedded', () => new EmbeddedStore({ file, durability: opts.durability }), file, opts);
    console.log(`  file size: ${(fs.statSync(file).size / 1024 / 1024).toFixed(0)} MB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    console.log('\nMongoDB: skipped (MONGODB_URI is not set; set it to a test server, e.g. mongodb://127.0.0.1:27017, to measure it too)');
    return;
  }
  const database = process.env.MONGODB_DB ?? 'callflow_bench';
  const client = new MongoClient(uri);
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
  const make = (): Store => new MongoStore({ uri, database });
  await run(`MongoDB (database ${database}; dropped first)`, 'mongodb', make, uri, opts);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
