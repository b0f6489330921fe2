// ELD's n-gram table (npm `eld`, its 'small' database; Apache-2.0, by Nito T.M.) in a compact
// binary form, eld-small.bin, written by scripts/eld-table.ts from the installed package.
//
// Why: `eld/small` builds the table from a 1.6 MB object literal (81,000 n-grams), which costs
// 0.4–0.7 s of CPU at start-up and more marking in every major GC, while language.ts asks ELD
// about one post in five hundred. Here the file is read into typed arrays (a few milliseconds)
// and each n-gram's scores are looked up when ELD asks for them, through a Proxy standing in for
// the table object; ELD's own code does the rest, so its answers are the same (a unit test
// compares the two tables entry by entry, and this file with a fresh build of it).
//
// File: "ELDT", uint32 header length, JSON header ({type, languages, keys, slots}, padded to 4
// bytes), then keyStart (uint32 × keys+1), entryStart (uint32 × keys+1), slots (int32: key
// index + 1, 0 empty; open addressing on `hashKey`), scores (uint16 × entries), langs (uint8 ×
// entries), the keys' characters (one byte each: ELD's keys are Latin-1).

import { readFileSync } from 'node:fs';

/** A file of the installed `eld` package's sources (its exports map names only the entry files). */
export function eldSource(file: string): string {
  return new URL(`../${file}`, import.meta.resolve('eld/small')).href;
}

/** ELD's database object, as its entry files hand it to `loadData`. */
export interface EldData {
  type: string;
  languages: Record<number, string>;
  isSubset: boolean;
  ngrams: Record<string, Record<number, number>>;
}

function hashKey(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

export function encodeEldTable(data: EldData): Buffer {
  const keys = Object.keys(data.ngrams);
  let slotsN = 1;
  while (slotsN < keys.length * 2) slotsN *= 2;
  const keyStart = new Uint32Array(keys.length + 1);
  const entryStart = new Uint32Array(keys.length + 1);
  const slots = new Int32Array(slotsN);
  const scores: number[] = [];
  const langs: number[] = [];
  const chars: number[] = [];
  keys.forEach((k, i) => {
    keyStart[i] = chars.length;
    entryStart[i] = scores.length;
    for (let j = 0; j < k.length; j++) {
      const c = k.charCodeAt(j);
      if (c > 0xff) throw new Error(`eld table: key ${JSON.stringify(k)} is not Latin-1`);
      chars.push(c);
    }
    for (const [lang, score] of Object.entries(data.ngrams[k]!)) {
      if (!(score >= 0 && score < 65536 && Number.isInteger(score)) || Number(lang) > 255) throw new Error(`eld table: entry ${lang}:${score} out of range`);
      langs.push(Number(lang));
      scores.push(score);
    }
    let pos = hashKey(k) & (slotsN - 1);
    while (slots[pos] !== 0) pos = (pos + 1) & (slotsN - 1);
    slots[pos] = i + 1;
  });
  keyStart[keys.length] = chars.length;
  entryStart[keys.length] = scores.length;
  const header = Buffer.from(JSON.stringify({ type: data.type, languages: data.languages, keys: keys.length, slots: slotsN }), 'utf8');
  const pad = (4 - ((8 + header.length) % 4)) % 4;
  const head = Buffer.alloc(8);
  head.write('ELDT', 0, 'latin1');
  head.writeUInt32LE(header.length + pad, 4);
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([
    head, header, Buffer.alloc(pad, 0x20), bytes(keyStart), bytes(entryStart), bytes(slots),
    bytes(Uint16Array.from(scores)), bytes(Uint8Array.from(langs)), Buffer.from(chars),
  ]);
}

/** The table in `buf` as ELD's database object; `ngrams` looks n-grams up on demand. */
export function decodeEldTable(buf: Buffer): EldData {
  if (buf.toString('latin1', 0, 4) !== 'ELDT') throw new Error('eld table: not an ELDT file');
  const hlen = buf.readUInt32LE(4);
  const h = JSON.parse(buf.toString('utf8', 8, 8 + hlen)) as { type: string; languages: Record<number, string>; keys: number; slots: number };
  // One aligned copy, so that typed arrays can view it.
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  let at = 8 + hlen;
  const view = <T>(Ctor: new (b: ArrayBuffer, o: number, n: number) => T, n: number, size: number): T => {
    const v = new Ctor(ab, at, n);
    at += n * size;
    return v;
  };
  const keyStart = view(Uint32Array, h.keys + 1, 4);
  const entryStart = view(Uint32Array, h.keys + 1, 4);
  const slots = view(Int32Array, h.slots, 4);
  const nEntries = entryStart[h.keys]!;
  const scores = view(Uint16Array, nEntries, 2);
  const langs = view(Uint8Array, nEntries, 1);
  const chars = view(Uint8Array, keyStart[h.keys]!, 1);
  const mask = h.slots - 1;

  function find(s: string): number {
    for (let pos = hashKey(s) & mask; ; pos = (pos + 1) & mask) {
      const v = slots[pos]!;
      if (v === 0) return -1;
      const a = keyStart[v - 1]!, b = keyStart[v]!;
      if (b - a !== s.length) continue;
      let j = 0;
      while (j < s.length && chars[a + j] === s.charCodeAt(j)) j++;
      if (j === s.length) return v - 1;
    }
  }
  const ngrams = new Proxy({} as Record<string, Record<number, number>>, {
    get(_t, key) {
      if (typeof key !== 'string') return undefined;
      const i = find(key);
      if (i < 0) return undefined;
      const o: Record<number, number> = {};
      for (let e = entryStart[i]!; e < entryStart[i + 1]!; e++) o[langs[e]!] = scores[e]!;
      return o;
    },
    has: (_t, key) => typeof key === 'string' && find(key) >= 0,
  });
  return { type: h.type, languages: h.languages, isSubset: false, ngrams };
}

/** The shipped table (eld-small.bin beside this file). */
export function loadEldTable(): EldData {
  return decodeEldTable(readFileSync(new URL('./eld-small.bin', import.meta.url)));
}
