// Writes processors/text/eld-small.bin: the installed `eld` package's 'small' n-gram table in the
// compact form processors/text/eld-table.ts reads (see there). Run after updating `eld`.
//
//   npx tsx scripts/eld-table.ts
//
// Deterministic: the same eld version gives the same file, byte for byte.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eldSource, encodeEldTable, type EldData } from '../processors/text/eld-table.js';
import { ROOT } from './text-data.js';

const { ngramsData } = (await import(eldSource('ngrams/small.js'))) as { ngramsData: EldData };
const out = path.join(ROOT, 'processors/text/eld-small.bin');
const buf = encodeEldTable(ngramsData);
writeFileSync(out, buf);
console.log(`wrote ${out}: ${Object.keys((ngramsData).ngrams).length} n-grams, ${buf.length} bytes`);
