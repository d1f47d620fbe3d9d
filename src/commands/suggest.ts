/**
 * "Did you mean …?" after an unknown command, only when the word is close: commander's own
 * guess accepts anything 40% similar, so `ferry del` was offered `help` and `ferry get` `digest`.
 * A prefix of command names (`del` → delete, `comp` → completion) comes first; otherwise a typo
 * at most one edit away (two for words of five letters or more), counting a swap of neighbours as
 * one edit (`mainfest` → manifest).
 */

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** At most this many names are offered: more is a menu, not a suggestion. */
const MAX_SUGGESTIONS = 3;

export function suggestCommands(word: string, names: readonly string[]): string[] {
  const unique = [...new Set(names)];
  if (word.length >= 2) {
    const prefixed = unique.filter((name) => name.startsWith(word) && name !== word);
    if (prefixed.length > 0) return prefixed.length <= MAX_SUGGESTIONS ? prefixed.sort() : [];
  }
  const allowed = word.length >= 5 ? 2 : 1;
  let best = allowed + 1;
  let close: string[] = [];
  for (const name of unique) {
    const distance = editDistance(word, name);
    if (distance === 0 || distance > allowed || distance >= name.length) continue;
    if (distance < best) {
      best = distance;
      close = [name];
    } else if (distance === best) close.push(name);
  }
  return close.length <= MAX_SUGGESTIONS ? close.sort() : [];
}
