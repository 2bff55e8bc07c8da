/** A seeded pseudo-random generator (mulberry32) and random Unicode strings for property tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random Unicode scalar value, weighted towards the ranges text uses (ASCII, Latin, scripts, emoji). */
export function randomScalar(random: () => number): number {
  const r = random();
  if (r < 0.35) return 0x20 + Math.floor(random() * 0x5f);
  if (r < 0.45) return [0x09, 0x0a, 0x0d, 0x20, 0xa0, 0x3000, 0x2028, 0x85][Math.floor(random() * 8)];
  if (r < 0.6) return 0xa0 + Math.floor(random() * 0x2000);
  if (r < 0.7) return 0x300 + Math.floor(random() * 0x70);
  if (r < 0.8) return 0x3000 + Math.floor(random() * 0x7000);
  if (r < 0.88) return 0x1f300 + Math.floor(random() * 0x700);
  for (;;) {
    const cp = Math.floor(random() * 0x110000);
    if (cp < 0xd800 || cp > 0xdfff) return cp;
  }
}

export function randomString(random: () => number, maxLength: number): string {
  const n = Math.floor(random() * maxLength);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCodePoint(randomScalar(random));
  return s;
}
