// Cost of the text analysis: writes a file of generated ~120-character tweets (GermEval 2018 and
// Davidson texts from data/, recombined with a fixed seed) for `trendstream analyze`, and times
// `analyseText` per post against the version of processors/text at a git revision (default
// HEAD), both in this process on the same posts, alternating rounds, in CPU time.
//
//   npx tsx scripts/bench-text.ts [--posts 100000] [--file /tmp/tweets.ndjson] [--rev HEAD] [--rounds 5]
//   npx trendstream analyze --input /tmp/tweets.ndjson --output /dev/null
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyseText } from '../processors/text/sentiment.js';
import { loadDavidson, loadGermEval, ROOT } from './text-data.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : dflt);
const N = Number(opt('--posts', '100000'));
const file = opt('--file', path.join(os.tmpdir(), 'tweets.ndjson'));
const rev = opt('--rev', 'HEAD');
const rounds = Number(opt('--rounds', '5'));

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Tweets of about 120 characters: corpus tweets of one language, joined until >= 100, cut at a space before 140.
const r = rng(7);
const pools = [loadGermEval().map((x) => x.text.replace(/\n/g, ' ')), loadDavidson().map((x) => x.text.replace(/\n/g, ' '))];
const texts: string[] = [];
for (let i = 0; i < N; i++) {
  const pool = pools[i % 2]!;
  let t = '';
  while (t.length < 100) t = t ? `${t} ${pool[Math.floor(r() * pool.length)]!}` : pool[Math.floor(r() * pool.length)]!;
  if (t.length > 140) {
    const cut = t.lastIndexOf(' ', 140);
    t = t.slice(0, cut > 80 ? cut : 140);
  }
  texts.push(t);
}
writeFileSync(file, texts.map((t, i) => JSON.stringify({ id: String(i), text: t })).join('\n') + '\n');
const mean = texts.reduce((a, t) => a + t.length, 0) / N;
console.log(`wrote ${N} texts (mean ${mean.toFixed(0)} characters) to ${file}`);

// processors/text at `rev` (with schemas/, which it imports), imported from a temporary copy.
const dir = mkdtempSync(path.join(os.tmpdir(), 'text-at-rev-'));
writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
execFileSync('sh', ['-c', `git archive "$0" processors/text schemas | tar -x -C "$1"`, rev, dir], { cwd: ROOT });
symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
const old = (await import(pathToFileURL(path.join(dir, 'processors/text/sentiment.ts')).href)) as { analyseText: typeof analyseText };

// CPU time of this process (user + system), not wall time, since the machine may be shared; the
// two versions alternate every 2,000 posts so that other load falls on both alike.
let sink = 0;
const CHUNK = 2000;
const total: Record<string, number> = { [rev]: 0, current: 0 };
const perRound: Record<string, number[]> = { [rev]: [], current: [] };
function time(f: typeof analyseText, from: number, to: number): number {
  const c0 = process.cpuUsage();
  for (let i = from; i < to; i++) sink += f(texts[i]!, null).scores.toxicity;
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}
for (let k = -1; k < rounds; k++) { // round -1 warms up (new words, JIT)
  const t = { [rev]: 0, current: 0 };
  for (let from = 0; from < N; from += CHUNK) {
    const to = Math.min(N, from + CHUNK);
    t[rev]! += time(old.analyseText, from, to);
    t.current! += time(analyseText, from, to);
  }
  if (k < 0) continue;
  for (const name of [rev, 'current']) { total[name]! += t[name]!; perRound[name]!.push(t[name]! / N); }
}
for (const name of [rev, 'current']) console.log(`analyseText ${name.padEnd(8)} ${(total[name]! / N / rounds).toFixed(2)} µs/post of CPU (rounds: ${perRound[name]!.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`ratio current / ${rev}: ${(total.current! / total[rev]!).toFixed(3)}${sink === 0.5 ? '' : ''}`);
