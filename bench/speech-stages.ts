/**
 * bench/speech's stage table: where each robot turn's time goes, per call, from the steps the plugin publishes on the
 * `callflow:turn` diagnostics channel (lib/turn-stages.ts), the simulator's fetch of the reply's file (this process's
 * HTTP server, `http.server.request.start`) and the simulator's call report (the end of the caller's speech,
 * PlaybackStarted, the reply's first audio). Each stage is printed p50 / p99 / max, and the providers' stages minus
 * their stand-in's nominal delay, so what is left is the plugin's (and the machine's) own.
 */
import diagnostics from 'node:diagnostics_channel';
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { turnStages, type TurnStage } from '../lib/turn-stages';
import { ms, summary } from './support';

function percentileOf(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

export interface StagedTurn {
  call: string;
  /** The end of the caller's speech (the simulator's or Asterisk's clock, ms). */
  speechEnd: number;
  /** PlaybackStarted of the reply. */
  started: number;
  /** The reply's first audio at the caller. */
  audio: number;
  /** The reply's media URI (it holds the cache id). */
  media: string;
}

export class StageLog {
  /** Per key (a call's channel id, or a reply's cache id): the steps, in order. */
  private readonly steps = new Map<string, TurnStage[]>();
  /** Per cache id: when the simulator asked this process for the file. */
  private readonly fetched = new Map<string, number>();
  /** Per cache id: when this process had sent the whole file. */
  private readonly served = new Map<string, number>();
  private readonly onStage = (message: unknown): void => {
    const s = message as TurnStage;
    const list = this.steps.get(s.key) ?? [];
    list.push(s);
    this.steps.set(s.key, list);
  };
  private readonly onRequest = (message: unknown): void => {
    const { request, server } = message as { request: http.IncomingMessage; server: http.Server };
    if (server !== this.server) return;
    const id = /([0-9a-f]{32})\.wav/.exec(request.url ?? '')?.[1];
    if (id && !this.fetched.has(id)) this.fetched.set(id, performance.timeOrigin + performance.now());
  };
  private readonly onResponse = (message: unknown): void => {
    const { request, server } = message as { request: http.IncomingMessage; server: http.Server };
    if (server !== this.server) return;
    const id = /([0-9a-f]{32})\.wav/.exec(request.url ?? '')?.[1];
    if (id && !this.served.has(id)) this.served.set(id, performance.timeOrigin + performance.now());
  };

  constructor(private readonly server: http.Server) {}

  start(): void {
    turnStages.subscribe(this.onStage);
    diagnostics.subscribe('http.server.request.start', this.onRequest);
    diagnostics.subscribe('http.server.response.finish', this.onResponse);
  }

  stop(): void {
    turnStages.unsubscribe(this.onStage);
    diagnostics.unsubscribe('http.server.request.start', this.onRequest);
    diagnostics.unsubscribe('http.server.response.finish', this.onResponse);
  }

  /** The first `stage` of `key` at or after `from`. */
  at(key: string, stage: TurnStage['stage'], from: number): number | undefined {
    return this.steps.get(key)?.find((s) => s.stage === stage && s.at >= from)?.at;
  }

  /** Prints the table; the providers' nominal delays are taken off their stages. */
  print(turns: StagedTurn[], o: { endSilenceMs: number; sttMs: number; botMs: number; ttsMs: number; peer?: 'simulator' | 'Asterisk' }): void {
    const peer = o.peer ?? 'simulator';
    const thePeer = peer === 'simulator' ? 'the simulator' : 'Asterisk';
    const rows: [string, number[]][] = [
      ['A  end of speech -> the end decided where the frames arrive (RTP worker), minus the end silence', []],
      ['A2 decided on the worker -> heard in the event loop', []],
      ['B  decided -> recogniser request sent', []],
      ['C  recogniser request, minus the stand-in\'s delay', []],
      ['D  recogniser answered -> bot request sent (waits for the listening path to close)', []],
      ['   (decided -> the listening path closed)', []],
      ['E  bot request, minus the stand-in\'s delay', []],
      ['F  bot answered -> speech request sent', []],
      ['G  speech request, minus the stand-in\'s delay', []],
      ['H  speech answered -> the reply\'s file made (resample, encode)', []],
      ['H2 file made -> written (write, rename: libuv\'s pool)', []],
      ['I  file written -> the prompt has its media', []],
      ['J  media -> the next listening open (waits for its media path)', []],
      ['   (bot answered -> the next listening\'s media path open)', []],
      ['K  listening open -> play asked (ARI POST)', []],
      [`L  play asked -> PlaybackStarted (${peer})`, []],
      [`M  PlaybackStarted -> ${thePeer} asks for the file`, []],
      ['N  the file asked -> sent whole (this process serving it: lib/speech/route.ts)', []],
      [`N2 the file sent (shared folder: PlaybackStarted) -> first audio at the caller (${thePeer} reading it)`, []],
      ['   sum A..N: added time (end of speech -> audio, minus providers and end silence)', []],
      [`   the same without ${thePeer}'s own steps (L, M, N2): the plugin's share, and the machine's`, []],
    ];
    let complete = 0;
    for (const t of turns) {
      // http delivery: .../<id>.wav; shared delivery: sound:<prefix>/<id>.
      const id = /([0-9a-f]{32})(?:\.wav\d*)?$/.exec(t.media)?.[1] ?? '';
      const decided = this.at(t.call, 'decided', t.speechEnd);
      if (decided === undefined) continue;
      // The stage is published with the worker's time, just before 'decided' (the same or an earlier time).
      const atEndpoint = this.steps.get(t.call)?.find((s) => s.stage === 'decided-at-endpoint' && s.at >= t.speechEnd - 1)?.at ?? decided;
      const sttSent = this.at(t.call, 'stt-sent', decided);
      const sttAnswered = sttSent === undefined ? undefined : this.at(t.call, 'stt-answered', sttSent);
      const closed = this.at(t.call, 'closed', decided);
      const botSent = sttAnswered === undefined ? undefined : this.at(t.call, 'bot-sent', sttAnswered);
      const botAnswered = botSent === undefined ? undefined : this.at(t.call, 'bot-answered', botSent);
      const ttsSent = this.at(id, 'tts-sent', 0);
      const ttsAnswered = this.at(id, 'tts-answered', 0);
      const fileMade = this.at(id, 'file-made', 0);
      const written = this.at(id, 'cache-written', 0);
      const media = botAnswered === undefined ? undefined : this.at(t.call, 'media-ready', botAnswered);
      const open = media === undefined ? undefined : this.at(t.call, 'listening-ready', media);
      const pathOpen = botAnswered === undefined ? undefined : this.at(t.call, 'path-open', botAnswered);
      const play = open === undefined ? undefined : this.at(t.call, 'play-asked', open);
      const fetched = this.fetched.get(id);
      const served = this.served.get(id);
      if (sttSent === undefined || sttAnswered === undefined || closed === undefined || botSent === undefined || botAnswered === undefined) continue;
      if (ttsSent === undefined || ttsAnswered === undefined || fileMade === undefined || written === undefined || media === undefined || open === undefined || play === undefined) continue;
      // Shared delivery: Asterisk reads the file from its folder, nothing is fetched (M and N have no value).
      const viaHttp = fetched !== undefined && served !== undefined;
      if (!viaHttp && /\.wav\d*$/.test(t.media)) continue;
      const [a, b, cl, c, d, e, f, g, h, i, j] = [sttSent, sttAnswered, closed, botSent, botAnswered, ttsSent, ttsAnswered, written, media, open, play];
      const k = fetched ?? Number.NaN;
      const reading = viaHttp ? t.audio - served : t.audio - t.started;
      complete += 1;
      const values = [
        atEndpoint - t.speechEnd - o.endSilenceMs,
        decided - atEndpoint,
        a - decided,
        b - a - o.sttMs,
        c - b,
        cl - decided,
        d - c - o.botMs,
        e - d,
        f - e - o.ttsMs,
        fileMade - f,
        g - fileMade,
        h - g,
        i - h,
        // The last turn (the bot ends the call) opens no next listening.
        pathOpen === undefined ? Number.NaN : pathOpen - d,
        j - i,
        t.started - j,
        k - t.started,
        (served ?? Number.NaN) - k,
        reading,
        t.audio - t.speechEnd - o.endSilenceMs - o.sttMs - o.botMs - o.ttsMs,
        t.audio - t.speechEnd - o.endSilenceMs - o.sttMs - o.botMs - o.ttsMs - (t.started - j) - (viaHttp ? k - t.started : 0) - reading,
      ];
      values.forEach((v, n) => rows[n]?.[1].push(v));
    }
    // Who owns the tail: each stage's mean over the slowest 5% of turns (by the added time, the sum's row).
    const added = rows[rows.length - 2]?.[1] ?? [];
    const cut = summary(added.length > 0 ? added : [0]);
    const slow = added.map((v, n) => (v >= percentileOf(added, 95) ? n : -1)).filter((n) => n >= 0);
    console.log(`  stages of a turn (lib/turn-stages.ts; ${complete} of ${turns.length} turns with every stage), p50 / p99 / max, and the mean over the slowest 5% (${slow.length} turns, added time >= ${ms(percentileOf(added, 95))}; p99 ${ms(cut.p99)}):`);
    for (const [label, all] of rows) {
      const v = summary(all.filter((x) => !Number.isNaN(x)));
      const inTail = slow.map((n) => all[n] ?? Number.NaN).filter((x) => !Number.isNaN(x));
      const tail = inTail.reduce((s, x) => s + x, 0) / Math.max(1, inTail.length);
      if (v.n === 0) console.log(`    ${label}: none (shared folder delivery: nothing is fetched)`);
      else console.log(`    ${label}: ${ms(v.p50)} / ${ms(v.p99)} / ${ms(v.max)}; slowest 5%: ${ms(tail)}`);
    }
    // The three slowest turns stage by stage: a mean can hide one stage that held a single turn.
    const slowest = added.map((v, n) => [v, n] as const).sort((x, y) => y[0] - x[0]).slice(0, 3);
    for (const [v, n] of slowest) {
      // The stages that add up (the rows in parentheses overlap them).
      const parts = rows.slice(0, -2).filter(([label]) => !label.trim().startsWith('(')).map(([label, all]) => `${label.trim().split(' ')[0] ?? ''} ${(all[n] ?? Number.NaN).toFixed(1)}`);
      console.log(`    a slow turn (${ms(v)}): ${parts.join(', ')}`);
    }
  }
}
