/**
 * bench/ari-roundtrip: prints
 *  1. the round trip of a REST request and the event it causes, through
 *     the adapter (AriConnection, ari-client) and the simulated Asterisk
 *     (a separate process, as a real Asterisk would be): setChannelVar ->
 *     ChannelVarset; and a REST request alone (getChannelVar); p50/p99;
 *  2. what the adapter costs this process per operation, in CPU time and in
 *     bytes allocated (figures that do not depend on how busy the machine
 *     is, unlike the latencies): a call's step as the IVR elements make it
 *     (setChannelVar until ChannelVarset, getChannelVar, a zero-length
 *     playback until PlaybackFinished, each with the call's AbortSignal);
 *  3. how many concurrent channels the simulator holds before its own p99
 *     (GET /ari/channels/{id} and POST .../variable, measured from a client
 *     process) passes 10 ms, with its memory at each level.
 * Figures are printed, not asserted; docs/performance.md records them.
 *
 *   npm run bench:ari            (or: node dist/bench/ari-roundtrip.js [--max-channels 80000])
 *   node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 dist/bench/ari-roundtrip.js --cost-only
 *                                (the cost per operation alone; the flags let a round allocate without a collection)
 */
import http from 'node:http';
import os from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import WebSocket from 'ws';
import { AriConnection } from '../lib/ari/connection';
import type { TelephonyEvent } from '../lib/ari/port';
import { flag, ms, post, rssMb, startSimulatorProcess, summary } from './support';

/** A connection to the simulator on application `bench`, reconciled, and a call from `from` in it (not answered). */
async function connectedCall(url: string, from: string): Promise<{ conn: AriConnection; id: string }> {
  const conn = new AriConnection({ url, username: 'asterisk', password: 'asterisk', app: 'bench' });
  const reconciled = new Promise<void>((resolve) => conn.onReconciled(() => resolve()));
  conn.start();
  await conn.whenConnected();
  await reconciled;
  const started = new Promise<string>((resolve) => {
    const off = conn.onEvent((e) => {
      if (e.type === 'StasisStart') {
        off();
        resolve(e.channel.id);
      }
    });
  });
  await post(`${url}/sim/calls`, { from, to: '100', app: 'bench' });
  return { conn, id: await started };
}

async function adapterRoundTrip(url: string, iterations: number): Promise<void> {
  const { conn, id } = await connectedCall(url, '+15550100');
  await conn.answer(id);

  let waiting: { value: string; resolve: () => void } | undefined;
  conn.watchChannel(id, (e: TelephonyEvent) => {
    if (e.type === 'ChannelVarset' && waiting && e.value === waiting.value) waiting.resolve();
  });
  const roundTrip: number[] = [];
  const restOnly: number[] = [];
  for (let i = 0; i < iterations + 200; i += 1) {
    const value = String(i);
    const seen = new Promise<void>((resolve) => (waiting = { value, resolve }));
    const t0 = performance.now();
    await conn.setVariable(id, 'BENCH', value);
    await seen;
    if (i >= 200) roundTrip.push(performance.now() - t0);
    const t1 = performance.now();
    await conn.getVariable(id, 'BENCH');
    if (i >= 200) restOnly.push(performance.now() - t1);
  }
  const rt = summary(roundTrip);
  const rest = summary(restOnly);
  console.log(`adapter + simulator, ${rt.n} sequential operations after 200 warm-up:`);
  console.log(`  REST + event (setChannelVar -> ChannelVarset): p50 ${ms(rt.p50)}  p99 ${ms(rt.p99)}  max ${ms(rt.max)}`);
  console.log(`  REST alone (getChannelVar):                    p50 ${ms(rest.p50)}  p99 ${ms(rest.p99)}  max ${ms(rest.max)}`);
  await conn.hangup(id);
  await conn.close();
}

/**
 * CPU time and bytes allocated per operation of the adapter, over `rounds` rounds of `steps` steps, medians. A step
 * is three requests with the call's AbortSignal (setChannelVar, then its ChannelVarset event; getChannelVar; a
 * playback of a zero-length prompt until PlaybackFinished), as the IVR elements make them. Bytes are the growth of
 * the heap over a round that no collection interrupted (run with --expose-gc and a large young generation); a round
 * with a collection says so instead.
 */
async function adapterCost(url: string, steps: number, rounds: number): Promise<void> {
  const { conn, id } = await connectedCall(url, '+15550101');
  const call = new AbortController();
  const { signal } = call;
  await conn.answer(id, signal);
  let waiting: { value: string; resolve: () => void } | undefined;
  conn.watchChannel(id, (e: TelephonyEvent) => {
    if (e.type === 'ChannelVarset' && waiting && e.value === waiting.value) waiting.resolve();
  });
  let n = 0;
  const step = async (): Promise<void> => {
    const value = String((n += 1));
    const seen = new Promise<void>((resolve) => (waiting = { value, resolve }));
    await conn.setVariable(id, 'BENCH', value, signal);
    await seen;
    await conn.getVariable(id, 'BENCH', signal);
    await conn.play({ channelId: id }, ['sound:beep'], { signal });
  };
  const f = await measure(step, steps, rounds);
  const plain = await plainCost(url, steps, rounds);
  console.log(`cost per step, ${rounds} rounds of ${steps} steps (setChannelVar -> ChannelVarset, getChannelVar, play -> PlaybackFinished), medians:`);
  console.log(`  the adapter:             CPU ${ms(f.cpu)}  bytes allocated ${kb(f.bytes)}`);
  console.log(`  plain http + ws (floor): CPU ${ms(plain.cpu)}  bytes allocated ${kb(plain.bytes)}`);
  console.log(`  adapter rounds: CPU ${f.cpuRounds.map((c) => c.toFixed(3)).join(', ')} ms; bytes ${f.byteRounds.map((b) => (b / 1024).toFixed(2)).join(', ')} KB`);
  if (f.bytes === undefined) console.log(`  (bytes: ${(globalThis as { gc?: unknown }).gc ? 'every round had a collection: use a larger --min-semi-space-size' : 'run with --expose-gc'})`);
  call.abort();
  await conn.hangup(id);
  await conn.close();
}

/**
 * The same steps with nothing but Node's http (a keep-alive agent) and ws, as the hand-written anchor
 * (bench/anchor-ivr-menu.ts) sends its requests: the floor the adapter's figures compare with.
 */
async function plainCost(url: string, steps: number, rounds: number): Promise<{ cpu: number; bytes: number | undefined }> {
  const auth = `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32, timeout: 4000 });
  const target = new URL(url);
  const send = (method: string, path: string, read: boolean): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = http.request({ hostname: target.hostname, port: Number(target.port), path, method, agent, headers: { Authorization: auth, Accept: 'application/json' } }, (res) => {
        if (!read) {
          res.resume();
          res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(undefined) : reject(new Error(`${method} ${path}: HTTP ${res.statusCode}`))));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end();
    });
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ari/events?app=plain`, { headers: { Authorization: auth } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let waiting: { match: (e: { type: string; value?: string; playback?: { id: string } }) => boolean; resolve: () => void } | undefined;
  let started: ((id: string) => void) | undefined;
  ws.on('message', (data: Buffer) => {
    const e = JSON.parse(data.toString('utf8')) as { type: string; channel?: { id: string } };
    if (e.type === 'StasisStart' && started && e.channel) started(e.channel.id);
    if (waiting?.match(e)) waiting.resolve();
  });
  const entered = new Promise<string>((resolve) => (started = resolve));
  await post(`${url}/sim/calls`, { from: '+15550102', to: '100', app: 'plain' });
  const id = await entered;
  await send('POST', `/ari/channels/${id}/answer`, false);
  let n = 0;
  const until = (match: (e: { type: string; value?: string; playback?: { id: string } }) => boolean): Promise<void> => new Promise((resolve) => (waiting = { match, resolve }));
  const step = async (): Promise<void> => {
    const value = String((n += 1));
    const seen = until((e) => e.type === 'ChannelVarset' && e.value === value);
    await send('POST', `/ari/channels/${id}/variable?variable=BENCH&value=${value}`, false);
    await seen;
    await send('GET', `/ari/channels/${id}/variable?variable=BENCH`, true);
    const playbackId = `plain-${n}`;
    const finished = until((e) => e.type === 'PlaybackFinished' && e.playback?.id === playbackId);
    await send('POST', `/ari/channels/${id}/play/${playbackId}?media=sound:beep`, false);
    await finished;
  };
  const figures = await measure(step, steps, rounds);
  ws.close();
  agent.destroy();
  return figures;
}

/** Median CPU ms and bytes per step over rounds (after 500 warm-up steps); bytes only from rounds no collection interrupted. */
async function measure(step: () => Promise<void>, steps: number, rounds: number): Promise<{ cpu: number; bytes: number | undefined; cpuRounds: number[]; byteRounds: number[] }> {
  for (let i = 0; i < 500; i += 1) await step();
  const gc = (globalThis as { gc?: () => void }).gc;
  const collections: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) collections.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  const cpu: number[] = [];
  const bytes: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
    const heap0 = v8.getHeapStatistics().used_heap_size;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < steps; i += 1) await step();
    const used = process.cpuUsage(cpu0);
    const t1 = performance.now();
    const heap1 = v8.getHeapStatistics().used_heap_size;
    // The observer reports collections asynchronously (the forced one above included): count those inside the round.
    await new Promise((resolve) => setTimeout(resolve, 50));
    cpu.push((used.user + used.system) / 1000 / steps);
    if (gc && !collections.some((t) => t >= t0 && t <= t1)) bytes.push((heap1 - heap0) / steps);
  }
  observer.disconnect();
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
  return { cpu: median(cpu), bytes: bytes.length > 0 ? median(bytes) : undefined, cpuRounds: cpu, byteRounds: bytes };
}

const kb = (bytes: number | undefined): string => (bytes === undefined ? 'not measured' : `${(bytes / 1024).toFixed(2)} KB`);

async function capacity(url: string, pid: number, maxChannels: number): Promise<void> {
  const auth = `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}`;
  // The application's event socket: calls need it to enter Stasis; events are drained.
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ari/events?app=capacity`, { headers: { Authorization: auth } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let events = 0;
  ws.on('message', () => (events += 1));
  const ids: string[] = [];
  const levels = [100, 1000, 2500, 5000, 10000, 20000, 40000, 80000, 160000, 320000].filter((l) => l <= maxChannels);
  console.log('\nsimulator capacity: live channels (in Stasis, answered) vs. its latency for per-channel requests');
  console.log('  channels   p50       p99       max       simulator RSS');
  let lastUnder: number | undefined;
  for (const level of levels) {
    // Place calls up to the level, 64 at a time, and answer them.
    while (ids.length < level) {
      const batch = Math.min(64, level - ids.length);
      const placed = await Promise.all(Array.from({ length: batch }, (_, i) => post(`${url}/sim/calls`, { from: `+1555${ids.length + i}`, to: '100', app: 'capacity' }) as Promise<{ id: string }>));
      await Promise.all(placed.map((c) => fetch(`${url}/ari/channels/${c.id}/answer`, { method: 'POST', headers: { Authorization: auth } })));
      ids.push(...placed.map((c) => c.id));
    }
    const samples: number[] = [];
    for (let i = 0; i < 600; i += 1) {
      const id = ids[Math.floor(Math.random() * ids.length)] as string;
      const t0 = performance.now();
      const res =
        i % 2 === 0
          ? await fetch(`${url}/ari/channels/${id}`, { headers: { Authorization: auth } })
          : await fetch(`${url}/ari/channels/${id}/variable?variable=X&value=${i}`, { method: 'POST', headers: { Authorization: auth } });
      await res.arrayBuffer();
      samples.push(performance.now() - t0);
    }
    const s = summary(samples);
    console.log(`  ${String(level).padStart(8)}   ${ms(s.p50).padEnd(9)} ${ms(s.p99).padEnd(9)} ${ms(s.max).padEnd(9)} ${rssMb(pid).toFixed(0)} MB`);
    if (s.p99 > 10) {
      console.log(`  -> p99 passed 10 ms at ${level} channels${lastUnder !== undefined ? `; it held ${lastUnder} within 10 ms` : ''}`);
      break;
    }
    lastUnder = level;
  }
  if (lastUnder === levels[levels.length - 1]) console.log(`  -> p99 stayed within 10 ms up to ${lastUnder} channels, the largest level tried`);
  console.log(`  (${events} events delivered to the application socket meanwhile)`);
  ws.close();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const maxIndex = args.indexOf('--max-channels');
  const maxChannels = maxIndex >= 0 ? Number(args[maxIndex + 1]) : 80000;
  const iterations = 2000;
  const costOnly = args.includes('--cost-only');
  console.log(`bench/ari-roundtrip on Node ${process.version}, ${os.cpus().length} CPUs\n`);
  const { child, url } = await startSimulatorProcess(['--app', 'bench', '--media-ms', '0']);
  try {
    if (!costOnly) await adapterRoundTrip(url, iterations);
    await adapterCost(url, Number(flag('--steps') ?? 1000), Number(flag('--rounds') ?? 7));
    if (!costOnly) await capacity(url, child.pid as number, maxChannels);
  } finally {
    child.kill('SIGINT');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
