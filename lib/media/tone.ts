/**
 * A tone detector for "wait for the beep" (the tone an answering machine plays before it records): the Goertzel
 * algorithm measures, over each block of audio, the power at each candidate frequency; a block is tonal when one
 * frequency holds most of the block's energy and the block is loud enough. A beep is that frequency (within one
 * step) held for at least `minMs`; it has ended at the first block that is not that tone. Pure, no timers.
 */

export interface ToneOptions {
  /** Lowest and highest candidate frequencies (Hz) and the step between them. */
  minHz?: number;
  maxHz?: number;
  stepHz?: number;
  /** Shortest tone that counts as a beep (ms). */
  minMs?: number;
  /** Share of the block's energy the tone must hold (0-1). */
  purity?: number;
  /** Mean absolute level below which a block is silence, as AMD's threshold. */
  level?: number;
}

export interface Beep {
  frequencyHz: number;
  /** Where it started and ended, in ms of audio fed. */
  startMs: number;
  endMs: number;
}

/** Goertzel power of `samples` at `frequency`, normalised so that a pure tone gives about its energy share (1). */
export function tonePurity(samples: Int16Array, rate: number, frequency: number, energy: number): number {
  if (energy <= 0) return 0;
  const n = samples.length;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (samples[i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A tone of amplitude A over n samples: power (A n / 2)^2, energy A^2 n / 2; the ratio below is then 1.
  return power / ((n / 2) * energy);
}

export class ToneDetector {
  private readonly frequencies: number[];
  private readonly minMs: number;
  private readonly purity: number;
  private readonly level: number;
  private readonly stepHz: number;
  private fedMs = 0;
  private current: { frequencyHz: number; startMs: number } | undefined;
  /** The beep, once one has ended. */
  beep: Beep | undefined;

  constructor(options: ToneOptions = {}) {
    const min = options.minHz ?? 350;
    const max = options.maxHz ?? 2500;
    this.stepHz = options.stepHz ?? 25;
    this.frequencies = [];
    for (let f = min; f <= max; f += this.stepHz) this.frequencies.push(f);
    this.minMs = options.minMs ?? 150;
    this.purity = options.purity ?? 0.6;
    this.level = options.level ?? 256;
  }

  /** A block of audio (20 ms works well). Returns the beep once it has ended. */
  feed(samples: Int16Array, rate: number): Beep | undefined {
    if (this.beep || samples.length === 0) return this.beep;
    const blockMs = (samples.length * 1000) / rate;
    const tone = this.tone(samples, rate);
    const at = this.fedMs;
    this.fedMs += blockMs;
    if (tone !== undefined && this.current && Math.abs(tone - this.current.frequencyHz) <= this.stepHz) return undefined;
    if (this.current && at - this.current.startMs >= this.minMs) {
      this.beep = { frequencyHz: this.current.frequencyHz, startMs: this.current.startMs, endMs: at };
      return this.beep;
    }
    this.current = tone === undefined ? undefined : { frequencyHz: tone, startMs: at };
    return undefined;
  }

  /** The frequency that holds most of this block, if the block is a tone. */
  tone(samples: Int16Array, rate: number): number | undefined {
    let energy = 0;
    let abs = 0;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] ?? 0;
      energy += s * s;
      abs += Math.abs(s);
    }
    if (abs / samples.length < this.level) return undefined;
    let best = 0;
    let bestF = 0;
    for (const f of this.frequencies) {
      const p = tonePurity(samples, rate, f, energy);
      if (p > best) {
        best = p;
        bestF = f;
      }
    }
    return best >= this.purity ? bestF : undefined;
  }
}
