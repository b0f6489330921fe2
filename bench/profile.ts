// `npm run bench -- --profile DIR`: where each process's CPU goes. Workers run with
// `--cpu-prof` (one V8 .cpuprofile per phase and worker in DIR, for Chrome DevTools or
// speedscope); the bench process profiles its own ingest with the inspector. Each profile is
// summarised as self time per part of the code, the shares that say which part to make cheaper.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The part of the code a function belongs to: a package, a directory of ours, or V8's own work. */
export function partOf(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' ? 'gc' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'v8' : 'native';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const [a, b] = url.slice(nm + 14).split('/');
    return a!.startsWith('@') ? `${a}/${b}` : a!;
  }
  if (url.startsWith('node:')) return 'node';
  const m = /\/(lib|ingest|processors(?:\/text)?|sinks(?:\/clickhouse)?|schemas|serve|cli|bench|deploy)\/[^/]+$/.exec(url);
  return m ? m[1]! : 'other';
}

export interface ProfileSummary {
  /** Milliseconds sampled, and of them not idle. */
  sampled_ms: number;
  busy_ms: number;
  /** Share of busy time per part of the code, largest first. */
  parts: Record<string, number>;
  /** The functions with the most self time: `name (file:line)` → share of busy time. */
  top: Record<string, number>;
}

export function summarise(p: CpuProfile, topN = 12): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => { const dt = p.timeDeltas[i] ?? 0; total += dt; self.set(id, (self.get(id) ?? 0) + dt); });
  const parts = new Map<string, number>();
  const fns = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const part = partOf(url, functionName);
    if (part === 'idle') { idle += us; continue; }
    parts.set(part, (parts.get(part) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} (${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : 'native'})`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const busy = total - idle;
  const shares = (m: Map<string, number>, n = Infinity) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, Number((v / busy).toFixed(3))]));
  return { sampled_ms: Math.round(total / 1000), busy_ms: Math.round(busy / 1000), parts: shares(parts), top: shares(fns, topN) };
}

/**
 * Node flags that make a worker write its profiles into `dir/name` when it exits: one per thread
 * (tsx runs its loader in a worker thread), so the main thread's is the one with thread id 0.
 */
export const cpuProfFlags = (dir: string, name: string): string[] => ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, name)}`];
const MAIN_THREAD = /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/;

/** Profiles this process until the returned function is called, which writes `<dir>/<name>.cpuprofile`. */
export async function profileSelf(dir: string, name: string): Promise<() => Promise<void>> {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.start');
  return async () => {
    const { profile } = await s.post('Profiler.stop');
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    s.disconnect();
  };
}

/** Every profile in `dir` (a worker's main thread in its directory, or this process's file), summarised, by name. */
export function summariseDir(dir: string): Record<string, ProfileSummary> {
  const out: Record<string, ProfileSummary> = {};
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = e.isDirectory() ? readdirSync(path.join(dir, e.name)).find((f) => MAIN_THREAD.test(f)) : e.name.endsWith('.cpuprofile') ? '' : undefined;
    if (file === undefined) continue;
    const p = JSON.parse(readFileSync(path.join(dir, e.name, file), 'utf8')) as CpuProfile;
    out[e.name.replace(/\.cpuprofile$/, '')] = summarise(p);
  }
  return out;
}

/** The summaries as text: per profile, its parts, then its hottest functions. */
export function formatSummaries(all: Record<string, ProfileSummary>): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines: string[] = [];
  for (const [name, s] of Object.entries(all)) {
    lines.push(`${name}: ${s.busy_ms.toLocaleString('en')} ms busy of ${s.sampled_ms.toLocaleString('en')} ms sampled`);
    lines.push(`  parts: ${Object.entries(s.parts).filter(([, v]) => v >= 0.01).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
    for (const [fn, v] of Object.entries(s.top)) lines.push(`  ${pct(v).padStart(7)}  ${fn}`);
  }
  return lines.join('\n');
}
