/**
 * A small, fast, seeded generator of numbers in [0, 1) (mulberry32): the same seed gives the same sequence, so a
 * simulated voice, a benchmark's mix of callers or a test's random moments can be repeated from the seed it prints.
 * Not for secrets (tokens and ids use node:crypto).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
