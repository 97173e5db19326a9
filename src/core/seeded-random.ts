/**
 * mulberry32: a small, fast seeded PRNG, good enough for simulation and generated test inputs; returns a function
 * giving uniforms in [0, 1). Deterministic for a given seed, so a failing case can be replayed.
 *
 * @example
 * const rand = seededRandom(7);
 * rand(); // 0.…, the same on every run
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
