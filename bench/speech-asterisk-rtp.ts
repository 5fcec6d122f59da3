/**
 * bench/speech-asterisk-rtp (issue 19): bench/speech's second part, audio sent back to callers over RTP by lib/media
 * (speech-rtp.ts sendBackOn: a media path bridged with each call, `--seconds` of speech-like audio sent back on it in
 * 20 ms packets, all calls at once), against a real Asterisk instead of the simulated one. On the simulator the
 * arrival of each packet is timed by the simulator's own event loop, which at 200 streams is as busy as the sender
 * (docs/performance.md); a real Asterisk reports nothing per packet of an external media channel (its
 * rtp_statistics answer 404 for one, and would be RFC 3550's smoothed jitter anyway). So the packets are timed by a
 * capture on the interface between the two (capture.ts, with tcpdump): on loopback, when each packet was handed to
 * Asterisk's socket. The jitter is |gap between consecutive packets of a stream - 20 ms| within a talkspurt, the
 * simulator's rule; the pacer's lateness (each packet sent against its due time) is measured on the sending side.
 *
 * What the Asterisk needs: the ARI user and the extension bench/speech-asterisk needs (its header). Each call is a
 * Local channel placed from ARI in ulaw (`--call-format`): its ;2 half enters Stasis(`--app`, robot) through the
 * extension and is this bench's call (no Node-RED here: the bench takes the application itself, so nothing else may
 * be connected to it); its ;1 half enters the same application with the argument `bench-caller` and stays there.
 * tcpdump (Debian's package) and the right to capture (root or CAP_NET_RAW).
 *
 *   npm run build && ARI_PASSWORD=... node dist/bench/speech-asterisk-rtp.js --ari http://127.0.0.1:8088
 *     [--user asterisk] [--endpoint Local/robot@to-nodered] [--app callflow] [--host 127.0.0.1] [--iface lo]
 *     [--streams 200] [--seconds 5] [--ramp-sec 2] [--format ulaw] [--call-format ulaw] [--no-worker] [--asterisk-pid N]
 *
 * The media is ulaw unless `--format` says otherwise: Asterisk takes RTP back into an external media channel only with
 * a static payload type, and drops slin16's 118 on arrival without a word (lib/media/listen.ts KeptPath, docs/speech.md).
 * The capture times the packets leaving all the same; with slin16 nobody hears them.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { AriConnection } from '../lib/ari/connection';
import { AriRest } from '../lib/ari/rest';
import { silentLogger } from '../lib/log';
import type { MediaSettings } from '../lib/media/path';
import type { MediaFormat } from '../lib/media/codec';
import { speechLike } from '../lib/sim/voice';
import { arrivalGaps, startCapture } from './capture';
import { asteriskOptions, asteriskPid, positive } from './speech-robot';
import { sendBackOn, stasisStarts, type SendBackFigures } from './speech-rtp';
import { cpuMsOf, flag, ms, runBench, summary } from './support';
import { threadSecondsOf } from './machine-lateness';

const TARGET_JITTER_P99_MS = 5;
const CALLER_ARG = 'bench-caller';
/** The plugin's RTP ports here: outside Asterisk's default range (rtp.conf: 10000-20000), so the capture's filter
 * (from these ports, not to them) never takes Asterisk's own packets or misses a stream whose Asterisk end is 20000. */
const PORT_MIN = 30000;
const PORT_MAX = 30999;
/** How long a call's ;2 may take to enter the application (a wrong extension never does). */
const START_WAIT_MS = 30_000;

async function main(): Promise<void> {
  const options = asteriskOptions();
  const { ariUrl, user, password, endpoint, app, host, callFormat, worker } = options;
  const format = (flag('--format') === undefined ? 'ulaw' : options.format) as MediaFormat;
  const iface = flag('--iface') ?? 'lo';
  const streams = positive('--streams', 200);
  const seconds = positive('--seconds', 5);
  const rampSec = positive('--ramp-sec', 2);
  const settings: MediaSettings = { bindHost: host, advertiseHost: host, portMin: PORT_MIN, portMax: PORT_MAX, format, worker };

  const rest = await AriRest.connect({ baseUrl: ariUrl, username: user, password, requestTimeoutMs: 10_000 });
  const info = await rest.call<{ system?: { version?: string } }>('asterisk', 'getInfo', {});
  const astPid = asteriskPid();
  console.log(`bench/speech-asterisk-rtp: ${streams} calls at once (placed over ${rampSec} s) on Asterisk ${info.system?.version ?? '?'} at ${ariUrl}, each sent ${seconds} s of audio back over a media path bridged with it`);
  console.log(`  calls: ${endpoint} in ${callFormat} (its ;2 into Stasis(${app}, robot), taken by this bench); media ${format} over RTP from ports ${PORT_MIN}-${PORT_MAX} of ${host}, packet path ${worker ? 'on the RTP worker thread' : 'in the event loop (--no-worker)'}`);
  console.log(`  machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const conn = new AriConnection({ url: ariUrl, username: user, password, app, logger: silentLogger });
  conn.start();
  const capture = await startCapture(iface, `udp and src portrange ${PORT_MIN}-${PORT_MAX} and not dst portrange ${PORT_MIN}-${PORT_MAX}`);
  try {
    await conn.whenConnected(AbortSignal.timeout(10_000));
    const audio = speechLike(seconds * 1000, 7);
    const figures: SendBackFigures = { streams, jitterMs: [], latenessMs: [], dropped: 0, failures: [] };
    // The calls' ;2 halves (their ;1 halves enter the application too, with CALLER_ARG).
    const starts = stasisStarts(conn, (e) => !e.args.includes(CALLER_ARG));
    const cpu0 = process.cpuUsage();
    const ast0 = astPid ? cpuMsOf(astPid) : 0;
    const threads0 = threadSecondsOf(process.pid);
    const t0 = performance.now();
    const one = async (n: number): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, (rampSec * 1000 * n) / streams));
      const stamp = `${process.pid}-${n}`;
      const call = `cfrp-${stamp}`;
      try {
        await rest.call('channels', 'originate', { endpoint, app, appArgs: CALLER_ARG, channelId: `cfrc-${stamp}`, otherChannelId: call, callerId: `+1555${String(n).padStart(7, '0')}`, timeout: 30, formats: callFormat });
        if (!(await starts.started(call, START_WAIT_MS))) throw new Error(`its ;2 did not enter Stasis(${app}) within ${START_WAIT_MS / 1000} s: is ${endpoint}'s extension Stasis(${app},robot)?`);
        await sendBackOn(conn, call, audio, settings, figures);
      } catch (err) {
        figures.failures.push(`call ${call}: ${(err as Error).message}`);
      } finally {
        // Its ;1 goes with it (a Local channel's halves hang up together).
        await conn.hangup(call, 'normal').catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: streams }, (_, n) => one(n)));
    const wall = (performance.now() - t0) / 1000;
    starts.off();
    const cpu = process.cpuUsage(cpu0);
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const astSec = astPid ? (cpuMsOf(astPid) - ast0) / 1000 : Number.NaN;
    const threads = threadSecondsOf(process.pid);
    const { kernelDropped } = await capture.stop();
    const arrived = arrivalGaps(capture.packets);
    figures.jitterMs = arrived.gapsMs.map((g) => Math.abs(g - 20));
    const jitter = summary(figures.jitterMs);
    const late = summary(figures.latenessMs);
    console.log('');
    console.log(`  captured: ${capture.packets.length} RTP packets of ${arrived.streams} streams, of ${late.n} sent (${capture.reader.skipped} other packets; the kernel dropped ${kernelDropped})`);
    console.log(`  arrival jitter at Asterisk's sockets (|gap - 20 ms| within a talkspurt, ${jitter.n} gaps): p50 ${ms(jitter.p50)}, p99 ${ms(jitter.p99)}, max ${ms(jitter.max)}  ${jitter.p99 < TARGET_JITTER_P99_MS ? 'PASS' : 'FAIL'} (target p99 < ${TARGET_JITTER_P99_MS} ms)`);
    console.log(`  the pacer's lateness (${late.n} packets): p50 ${ms(late.p50)}, p99 ${ms(late.p99)}, max ${ms(late.max)}; ${figures.dropped} dropped`);
    console.log(`  wall ${wall.toFixed(1)} s; CPU (this process): ${cpuSec.toFixed(2)} s (${((cpuSec / wall) * 100).toFixed(0)}% of a core); Asterisk: ${Number.isNaN(astSec) ? 'not on this machine' : `${astSec.toFixed(2)} s (${((astSec / wall) * 100).toFixed(0)}% of a core)`}`);
    console.log(`  threads of this process: the event loop ran ${(threads.main.ran - threads0.main.ran).toFixed(1)} s and waited for a core ${(threads.main.waited - threads0.main.waited).toFixed(1)} s; the others (RTP worker, libuv pool, V8 helpers) ran ${(threads.others.ran - threads0.others.ran).toFixed(1)} s and waited ${(threads.others.waited - threads0.others.waited).toFixed(1)} s`);
    if (figures.failures.length > 0) console.log(`  failures (${figures.failures.length}): ${figures.failures.slice(0, 5).join('; ')}`);
  } finally {
    await capture.stop().catch(() => undefined);
    await conn.close();
    rest.close();
  }
}

runBench(main);
