/**
 * Audio sent back over the WebSocket transport of lib/media (callflowMedia.transport 'websocket', chan_websocket):
 * `--calls` simulated calls at once (default 200), each with a media path bridged with the call, each sending
 * `--seconds` (default 5) of audio back in 20 ms frames over its WebSocket to the simulator's /media/<connection_id>.
 * The same measurement as bench/speech's RTP part (speech-rtp.ts measureSendBack): the arrival jitter at the
 * simulator (|gap between consecutive frames - 20 ms|) and the pacer's own lateness; `--transport rtp` measures the
 * same over RTP on the same machine. Figures in docs/performance.md.
 */
import { measureSendBack } from './speech-rtp';
import { flag, ms, runBench, startSimulatorProcess, summary } from './support';

const TARGET_JITTER_P99_MS = 5;

runBench(async () => {
  const calls = Number(flag('--calls') ?? 200);
  const seconds = Number(flag('--seconds') ?? 5);
  // --transport rtp: the same load over RTP, for comparison on the same machine.
  const transport = flag('--transport') === 'rtp' ? 'rtp' : 'websocket';
  const sim = await startSimulatorProcess(['--app', 'callflow']);
  try {
    const figures = await measureSendBack(sim.url, { streams: calls, seconds, rampMs: 1000, settings: { bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', portMin: 21000, portMax: 21999, format: 'slin16', transport } });
    const jitter = summary(figures.jitterMs);
    const late = summary(figures.latenessMs);
    console.log(`audio sent back over the ${transport} transport by lib/media: ${figures.streams} streams at once, ${seconds} s each, slin16 20 ms frames`);
    console.log(`  arrival jitter at the simulator (|gap - 20 ms|): p50 ${ms(jitter.p50)}, p99 ${ms(jitter.p99)}, max ${ms(jitter.max)} (${jitter.n} gaps)  ${jitter.p99 < TARGET_JITTER_P99_MS ? 'PASS' : 'FAIL'} (target p99 < ${TARGET_JITTER_P99_MS} ms)`);
    console.log(`  the pacer's lateness (a frame sent against its time): p50 ${ms(late.p50)}, p99 ${ms(late.p99)}, max ${ms(late.max)}; ${figures.dropped} frames dropped`);
    if (figures.failures.length > 0) console.log(`  ${figures.failures.length} streams failed, e.g. ${figures.failures[0] ?? ''}`);
  } finally {
    sim.child.kill();
  }
});
