// Cost of the text analysis: writes a file of generated ~120-character tweets (GermEval 2018 and
// Davidson texts from data/, recombined with a fixed seed) for `trendstream analyze`, and times
// `analyseText` per post against the version of processors/text at a git revision (default
// HEAD), both in this process on the same posts, alternating rounds, in CPU time. With `--cli N`
// it then runs the whole `trendstream analyze` over the file N times at `rev` and now,
// alternating, timing each process (wall and CPU, start-up included, and the CPU the command
// reports for itself without start-up), and checks that the two
// output files are identical byte for byte.
//
//   npx tsx scripts/bench-text.ts [--posts 100000] [--file /tmp/tweets.ndjson] [--rev HEAD] [--rounds 5] [--cli 3]
//   npx trendstream analyze --input /tmp/tweets.ndjson --output /dev/null
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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
const cliRuns = Number(opt('--cli', '0'));

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

// The tree at `rev` in a temporary copy (sharing node_modules); its processors/text is imported here.
const dir = mkdtempSync(path.join(os.tmpdir(), 'trendstream-at-rev-'));
execFileSync('sh', ['-c', 'git archive "$0" | tar -x -C "$1"', rev, dir], { cwd: ROOT });
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

// The whole command, as a user runs it: the shell's `times` gives the child's user and system CPU.
if (cliRuns > 0) {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // cpu: the whole process (start-up included); work: the CPU the command itself reports on
  // stderr, from its first input chunk to its last line written (start-up excluded).
  const runs: Record<string, { wall: number[]; cpu: number[]; work: number[] }> = { [rev]: { wall: [], cpu: [], work: [] }, current: { wall: [], cpu: [], work: [] } };
  const out = (name: string) => path.join(dir, `out-${name === rev ? 'rev' : 'current'}.ndjson`);
  // One untimed run of each on an empty file first, so that tsx's transform cache is warm for both.
  writeFileSync(path.join(dir, 'empty.ndjson'), '');
  for (const root of [dir, ROOT]) execFileSync('node', ['bin/trendstream.mjs', 'analyze', '--input', path.join(dir, 'empty.ndjson'), '--output', '/dev/null'], { cwd: root, stdio: 'ignore' });
  for (let k = 0; k < cliRuns; k++) {
    for (const [name, root] of [[rev, dir], ['current', ROOT]] as const) {
      const t0 = performance.now();
      const r = execFileSync('sh', ['-c', 'node bin/trendstream.mjs analyze --input "$0" --output "$1" 2>&1; times', file, out(name)], { cwd: root, encoding: 'utf8' });
      const w = /([\d.]+) s of CPU/.exec(r);
      if (!w) throw new Error(`no CPU figure from analyze in: ${r}`);
      runs[name]!.work.push(Number(w[1]));
      const wall = (performance.now() - t0) / 1000;
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.trim());
      if (!m) throw new Error(`no CPU times in: ${r}`);
      const cpu = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
      runs[name]!.wall.push(wall);
      runs[name]!.cpu.push(cpu);
      console.log(`analyze ${name.padEnd(8)} run ${k + 1}: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU → ${Math.round(N / wall)} posts/s wall, ${Math.round(N / cpu)} posts/s per core; without start-up ${w[1]} s CPU → ${Math.round(N / Number(w[1]))} posts/s per core`);
    }
  }
  for (const name of [rev, 'current']) {
    const w = median(runs[name]!.wall), c = median(runs[name]!.cpu), p = median(runs[name]!.work);
    console.log(`analyze ${name.padEnd(8)} median of ${cliRuns}: ${w.toFixed(2)} s wall (${Math.round(N / w)} posts/s), ${c.toFixed(2)} s CPU (${Math.round(N / c)} posts/s per core); without start-up ${p.toFixed(2)} s CPU (${Math.round(N / p)} posts/s per core)`);
  }
  const a = readFileSync(out(rev)), b = readFileSync(out('current'));
  if (a.equals(b)) console.log(`outputs identical: ${a.length} bytes, ${N} lines`);
  else {
    const la = a.toString('utf8').split('\n'), lb = b.toString('utf8').split('\n');
    const i = la.findIndex((l, j) => l !== lb[j]);
    console.log(`OUTPUTS DIFFER at line ${i + 1}:\n  ${rev}: ${la[i]}\n  current: ${lb[i]}`);
    process.exitCode = 1;
  }
}
