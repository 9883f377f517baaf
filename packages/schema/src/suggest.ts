/** Levenshtein distance, case-insensitive: "did you mean" is about typos, not casing. */
export function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** How far a typo reaches: a third of the word, at least two edits. */
const reachOf = (input: string) => Math.max(2, Math.ceil(Math.max(input.length, 1) / 3));

/** The closest candidate within a typo's reach, or undefined. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(input, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= reachOf(input) ? best : undefined;
}

/** Up to `n` candidates within a typo's reach, or containing the input, nearest first. */
export function nearest(input: string, candidates: readonly string[], n = 3): string[] {
  const reach = reachOf(input);
  const needle = input.toLowerCase();
  return candidates
    .map((candidate) => ({ candidate, d: distance(input, candidate) }))
    .filter(({ candidate, d }) => d <= reach || (needle.length >= 3 && candidate.toLowerCase().includes(needle)))
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .slice(0, n)
    .map(({ candidate }) => candidate);
}
