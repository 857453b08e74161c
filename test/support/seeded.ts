/** A deterministic random source in [0, 1) (a linear congruential generator), so a fuzz failure repeats. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
