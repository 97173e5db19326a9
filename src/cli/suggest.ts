/** Damerau-free Levenshtein distance; inputs are short command names, so O(n·m) is fine. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The candidate closest to `input`, if it is close enough to be a plausible typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const best = nearest(input, candidates);
  const limit = Math.max(2, Math.ceil(input.length / 2));
  return best && best.score <= limit ? best.candidate : undefined;
}

/** The candidate closest to `input`, however far. */
export function nearest(
  input: string,
  candidates: readonly string[],
): { candidate: string; score: number } | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    // A prefix ("vers" for "versions upload") is the strongest hint of intent.
    const score = c.startsWith(input) ? 0.5 : editDistance(input, c);
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best === undefined ? undefined : { candidate: best, score: bestScore };
}
