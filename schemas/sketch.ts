// Mergeable sketches carried in partial aggregates: a KMV (k minimum values) distinct-count
// sketch that is exact below k and doubles as a uniform sample of distinct authors.
// Pure and allocation-light: stage A builds one per (key, minute, batch), stage B merges.

/** 32-bit FNV-1a over a string's UTF-16 code units, with a final avalanche (fmix32) so low bits are uniform. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sketch size: exact up to K distinct values; above, relative standard error ≈ 1/√(K−2) ≈ 4.4 %. */
export const KMV_K = 512;

/**
 * The K smallest distinct 32-bit hashes seen. Holds them unsorted while small and sorts
 * lazily: adds are O(1) amortised; merging two sorted sketches (stage B's hot path, a
 * partial decoded from bytes into a minute) is one linear pass over at most 2K values.
 */
export class Kmv {
  private vals: number[];
  private sorted: boolean;
  /** Set once more than K distinct values were offered: the estimate is then approximate. */
  private saturated: boolean;
  /** Values at or above this cannot enter (the K-th smallest once saturated). */
  private threshold = 0x100000000;

  /** `sorted`: the caller vouches that `vals` is strictly ascending and at most K long. */
  constructor(vals: number[] = [], saturated = false, sorted = false) {
    this.vals = vals;
    this.saturated = saturated;
    this.sorted = sorted;
    if (sorted) this.setThreshold(); else this.trim();
  }

  add(h: number): void {
    if (h >= this.threshold) return;
    this.vals.push(h);
    this.sorted = false;
    if (this.vals.length > KMV_K * 2) this.trim();
  }

  merge(other: Kmv): void {
    if (other.saturated) this.saturated = true;
    if (!this.sorted || !other.sorted) {
      for (const v of other.vals) this.vals.push(v);
      this.sorted = false;
      this.trim();
      return;
    }
    // Both ascending and distinct: merge them, dropping repeats, up to K.
    const a = this.vals, b = other.vals, out: number[] = [];
    let i = 0, j = 0;
    while (out.length < KMV_K && (i < a.length || j < b.length)) {
      const x = j >= b.length || (i < a.length && a[i]! < b[j]!) ? a[i++]! : b[j++]!;
      if (x === out[out.length - 1]) continue;
      out.push(x);
    }
    if (out.length === KMV_K && (nextAbove(a, i, out[KMV_K - 1]!) || nextAbove(b, j, out[KMV_K - 1]!))) this.saturated = true;
    this.vals = out;
    this.setThreshold();
  }

  /** Estimated number of distinct values (exact while fewer than K were seen). */
  estimate(): number {
    this.trim();
    if (!this.saturated) return this.vals.length;
    return Math.round(((KMV_K - 1) * 0x100000000) / (this.vals[KMV_K - 1]! + 1));
  }

  /** The sample: up to K distinct hashes, ascending (a uniform sample of the distinct values). */
  values(): readonly number[] { this.trim(); return this.vals; }

  get exact(): boolean { this.trim(); return !this.saturated; }

  private trim(): void {
    if (this.sorted) return;
    const all = Uint32Array.from(this.vals).sort(); // numeric order, no comparator calls
    const out: number[] = [];
    let i = 0;
    for (; i < all.length && out.length < KMV_K; i++) if (all[i] !== out[out.length - 1]) out.push(all[i]!);
    if (out.length === KMV_K && nextAbove(all, i, out[KMV_K - 1]!)) this.saturated = true;
    this.vals = out;
    this.sorted = true;
    this.setThreshold();
  }

  private setThreshold(): void {
    if (this.saturated && this.vals.length) this.threshold = this.vals[this.vals.length - 1]!;
  }

  /** Packs the sketch: uint32 LE values, with a leading 0xFFFFFFFF marker when saturated. */
  toBytes(): Buffer {
    const v = this.values();
    const buf = Buffer.allocUnsafe((v.length + (this.saturated ? 1 : 0)) * 4);
    let o = 0;
    if (this.saturated) { buf.writeUInt32LE(0xffffffff, 0); o = 4; }
    for (const x of v) { buf.writeUInt32LE(x, o); o += 4; }
    return buf;
  }

  static fromBytes(buf: Buffer): Kmv {
    const n = buf.length >>> 2;
    const vals: number[] = [];
    let saturated = false;
    let ascending = true;
    for (let i = 0; i < n; i++) {
      const x = buf.readUInt32LE(i * 4);
      if (i === 0 && x === 0xffffffff && n > 1) { saturated = true; continue; }
      if (vals.length && x <= vals[vals.length - 1]!) ascending = false;
      vals.push(x);
    }
    // toBytes writes ascending distinct values; anything else is sorted again, never trusted.
    return new Kmv(vals, saturated, ascending && vals.length <= KMV_K);
  }
}

/** True when `xs` holds a value above `last` at or after index `from` (`xs` ascending). */
function nextAbove(xs: ArrayLike<number>, from: number, last: number): boolean {
  for (let i = from; i < xs.length; i++) if (xs[i]! > last) return true;
  return false;
}
