/**
 * bench/speech, second part: audio sent back to callers over RTP by lib/media, many streams at once. The robot says
 * its replies through Asterisk (a playback of the synthesised file), so its replies are not this; this is what
 * lib/media's endpoint and pacer do when a flow sends audio on the call's media path (`bridge` mode): `streams`
 * simulated calls, each with a media path bridged with the call, each sending `seconds` of audio back in 20 ms
 * packets, all at once. The simulator reports when each packet arrived (externalMedia received.gapsMs, per
 * talkspurt); the jitter is how far each gap is from 20 ms. The pacer's own lateness (when each packet left against
 * its time) is measured on the sending side.
 */
import { AriConnection } from '../lib/ari/connection';
import type { StasisStart } from '../lib/ari/types';
import { silentLogger } from '../lib/log';
import { openMediaPath, type MediaSettings } from '../lib/media/path';
import type { CallReport } from '../lib/sim/script';
import { speechLike } from '../lib/sim/voice';
import { post } from './support';

export interface SendBackFigures {
  streams: number;
  /** |arrival gap - 20 ms| of every packet after the first of its talkspurt, at the simulator. */
  jitterMs: number[];
  /** How late each packet left the pacer against its due time. */
  latenessMs: number[];
  /** Packets the pacer dropped (more than its burst late), over all streams. */
  dropped: number;
  /** Streams whose path did not open or whose report had no gaps, with why. */
  failures: string[];
}

const APP = 'speechbench-rtp';

export async function measureSendBack(simUrl: string, options: { streams: number; seconds: number; rampMs: number; settings: MediaSettings }): Promise<SendBackFigures> {
  const conn = new AriConnection({ url: simUrl, username: 'asterisk', password: 'asterisk', app: APP, logger: silentLogger });
  conn.start();
  await conn.whenConnected(AbortSignal.timeout(10_000));
  const audio = speechLike(options.seconds * 1000, 7);
  const figures: SendBackFigures = { streams: options.streams, jitterMs: [], latenessMs: [], dropped: 0, failures: [] };
  const starts = stasisStarts(conn);
  const one = async (n: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, (options.rampMs * n) / options.streams));
    const report = (await post(`${simUrl}/sim/calls`, { from: `+1555${String(n).padStart(7, '0')}`, to: '600', app: APP, script: [{ wait: 600_000 }] })) as CallReport;
    await starts.started(report.id);
    try {
      await sendBackOn(conn, report.id, audio, options.settings, figures);
      const ended = (await (await fetch(`${simUrl}/sim/calls/${report.id}`)).json()) as CallReport;
      const gaps = ended.externalMedia?.[0]?.received.gapsMs ?? [];
      if (gaps.length === 0) figures.failures.push(`call ${report.id}: no arrival gaps in its report`);
      for (const g of gaps) figures.jitterMs.push(Math.abs(g - 20));
    } catch (err) {
      figures.failures.push(`call ${report.id}: ${(err as Error).message}`);
    } finally {
      await conn.hangup(report.id, 'normal').catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: options.streams }, (_, n) => one(n)));
  starts.off();
  await conn.close();
  return figures;
}

/**
 * One stream: the call answered, a media path bridged with it, `audio` sent back on it to its end, the path closed;
 * the pacer's lateness and drops added to `figures`.
 */
export async function sendBackOn(conn: AriConnection, channelId: string, audio: Int16Array, settings: MediaSettings, figures: Pick<SendBackFigures, 'latenessMs' | 'dropped'>): Promise<void> {
  await conn.answer(channelId);
  const path = await openMediaPath(conn, channelId, settings, { mode: 'bridge', rate: 8000, onAudio: () => undefined, signal: new AbortController().signal, log: silentLogger });
  try {
    await path.play(audio);
    figures.latenessMs.push(...path.endpoint.sendLateness);
    figures.dropped += path.endpoint.stats.sent.dropped;
  } finally {
    await path.close('done');
  }
}

/**
 * The StasisStart of the calls a bench places, which may come before or after the answer to the request that placed
 * them: `started(id)` resolves once the channel is in the application, true, or false after `timeoutMs` (none: it
 * waits). `accept` leaves out the channels the bench does not wait for.
 */
export function stasisStarts(conn: AriConnection, accept: (e: StasisStart) => boolean = () => true): { started(id: string, timeoutMs?: number): Promise<boolean>; off(): void } {
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  const off = conn.onEvent((e) => {
    if (e.type !== 'StasisStart' || !accept(e)) return;
    seen.add(e.channel.id);
    waiting.get(e.channel.id)?.();
  });
  return {
    async started(id, timeoutMs) {
      if (seen.has(id)) return true;
      let timer: NodeJS.Timeout | undefined;
      const came = new Promise<boolean>((resolve) => {
        waiting.set(id, () => resolve(true));
        if (timeoutMs !== undefined) timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const result = await came;
      clearTimeout(timer);
      waiting.delete(id);
      return result;
    },
    off,
  };
}
