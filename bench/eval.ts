// `npm run eval`: writes the project's scenario folders (posts, watches, labels), runs `detect` on each
// (the same in-process code path as `trendstream detect` over the written files), scores
// them, and prints precision, recall, median and p90 delay and false positives per hour; then
// the real-data part (bench/nab.ts): NAB Twitter volume as posts, `detect` beside a
// windowed-Gaussian reference. `--scenarios DIR` scores every scenario folder in DIR instead
// of the generated ones; `--variant N` scores the hard scenarios drawn anew (onsets, sizes,
// seeds nothing was tuned on); `--real` / `--no-real` force or skip the real-data part.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Labels } from '../sim/generator.js';
import { writeScenario } from '../sim/generator.js';
import { readPosts, readWatches } from '../cli/detect.js';
import { DEFAULT_LATENESS_MS, detectPosts } from '../processors/detect.js';
import type { DetectionEvent } from '../schemas/events.js';
import type { Post } from '../schemas/post.js';
import { normaliseHashtag } from '../schemas/normalise.js';
import { quantile, scoreImpersonation, scoreKind, type ImpersonationScore, type Score } from './score.js';
import { hardScenarios, impersonationScenarios, scenarios } from './scenarios.js';
import { detectImpersonation } from '../processors/impersonation.js';
import { episodesOf, loadNab, nabPosts, scoreNab, totalNab, WindowedGaussian, type NabScore } from './nab.js';

const dir = path.resolve(process.argv.includes('--dir') ? process.argv[process.argv.indexOf('--dir') + 1]! : '.trendstream/eval');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const foreign = process.argv.includes('--scenarios') ? path.resolve(process.argv[process.argv.indexOf('--scenarios') + 1]!) : undefined;
const real = process.argv.includes('--real') || (!foreign && !process.argv.includes('--no-real'));
// `--variant N` (N ≥ 1): the scenario kinds that take a variant (hard, impersonators) drawn with other onsets, sizes, names and seeds, which nothing was tuned on.
const variant = process.argv.includes('--variant') ? Number(process.argv[process.argv.indexOf('--variant') + 1]) : 0;
if (!Number.isInteger(variant) || variant < 0) throw new Error('--variant must be a whole number ≥ 1');
const NAB_DIR = fileURLToPath(new URL('../data/nab', import.meta.url));

const fmtMin = (ms: number) => (Number.isNaN(ms) ? '–' : (ms / 60_000).toFixed(1));
const pct = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(2));

interface Row { name: string; hours: number; trends: Score; alerts: Score; impersonation: ImpersonationScore; posts: number; seconds: number }

/** Runs `detect` over one scenario folder (posts.ndjson, watches.json, labels.json) and scores it; writes detections.ndjson beside. */
async function scoreFolder(folder: string, name: string, hours?: number): Promise<Row> {
  const labels = JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8')) as Labels;
  labels.optional_trends ??= [];
  labels.firestorms ??= [];
  labels.trends ??= [];
  const posts: Post[] = [];
  for await (const p of readPosts(path.join(folder, 'posts.ndjson'), { lines: 0 })) posts.push(p);
  const watchesFile = path.join(folder, 'watches.json');
  const t0 = performance.now();
  const watches = existsSync(watchesFile) ? readWatches(watchesFile) : [];
  const events: DetectionEvent[] = [...detectPosts(posts, { latenessMs: DEFAULT_LATENESS_MS, watches })];
  const impostors = [...detectImpersonation(posts, watches)];
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(path.join(folder, 'detections.ndjson'), [...events, ...impostors].map((e) => JSON.stringify(e)).join('\n') + '\n');
  let span = hours;
  if (span === undefined) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of posts) { if (p.created_at < lo) lo = p.created_at; if (p.created_at > hi) hi = p.created_at; }
    span = posts.length ? (hi - lo) / 3_600_000 : 0;
  }
  const row = { name, hours: span, trends: scoreKind('trend', events, labels), alerts: scoreKind('alert', events, labels), impersonation: scoreImpersonation(impostors, labels), posts: posts.length, seconds };
  const im = row.impersonation;
  const imp = im.labelled || im.falsePositives ? `  impersonators ${im.caught}/${im.labelled} FP ${im.falsePositives}` : '';
  const miss = [...row.trends.missed.map((k) => `missed #${k}`), ...row.trends.falseKeys.map((k) => `FP #${k}`), ...row.alerts.missed.map((k) => `missed alert ${k}`), ...row.alerts.falseKeys.map((k) => `false alert ${k}`), ...im.missed.map((k) => `missed impersonator ${k}`), ...im.falseKeys.map((k) => `false impersonator ${k}`)];
  console.log(`${name.padEnd(24)} ${String(posts.length).padStart(8)} posts  trends ${row.trends.caught}/${row.trends.labelled} FP ${row.trends.falsePositives}  bots ${row.trends.inauthentic.caught}/${row.trends.inauthentic.labelled}  alerts ${row.alerts.caught}/${row.alerts.labelled} FP ${row.alerts.falsePositives}${imp}  ${(posts.length / seconds / 1000).toFixed(0)}k posts/s${miss.length ? '  · ' + miss.join(', ') : ''}`);
  return row;
}

/** The project's generated scenarios, written to `dir` and scored. */
async function generatedRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const all = variant ? [...hardScenarios(variant), ...impersonationScenarios(variant)] : scenarios();
  for (const sc of all.filter((s) => !only || s.name === only)) {
    const folder = path.join(dir, sc.name);
    writeScenario(folder, sc.opts);
    const labels = JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8')) as Labels;
    // A recurring tag's first occurrence is news to a detector without history: it may trend
    // then. That later occurrences do not is asserted in test/unit/velocity.test.ts.
    const recurring = (sc.opts.events ?? []).flatMap((e) => (e.kind === 'rhythmic' ? [normaliseHashtag(e.tag)] : []));
    if (recurring.length) {
      labels.optional_trends = [...new Set([...labels.optional_trends, ...recurring])].sort();
      writeFileSync(path.join(folder, 'labels.json'), JSON.stringify(labels, null, 2) + '\n');
    }
    rows.push(await scoreFolder(folder, sc.name, sc.hours));
  }
  return rows;
}

/** Every scenario folder under `root` (a folder holding posts.ndjson and labels.json), sorted by name. */
async function foreignRows(root: string): Promise<Row[]> {
  const rows: Row[] = [];
  const names = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const name of names.filter((n) => !only || n === only)) {
    const folder = path.join(root, name);
    if (!existsSync(path.join(folder, 'posts.ndjson')) || !existsSync(path.join(folder, 'labels.json'))) continue;
    rows.push(await scoreFolder(folder, name));
  }
  if (!rows.length) throw new Error(`no scenario folders (with posts.ndjson and labels.json) in ${root}`);
  return rows;
}

interface RealPart { ours: NabScore[]; reference: NabScore[]; posts: number; seconds: number }

/** The NAB series as one post stream through `detect` and the windowed-Gaussian reference, side by side. */
function realPart(): RealPart {
  const series = loadNab(NAB_DIR);
  const reference = new WindowedGaussian();
  let posts = 0;
  const t0 = performance.now();
  const stream = function* () { for (const p of nabPosts(series)) { posts++; reference.offer(p); yield p; } };
  const events: DetectionEvent[] = [];
  for (const e of detectPosts(stream(), { latenessMs: DEFAULT_LATENESS_MS, watches: [] })) if (e.type === 'trend' && e.state === 'started') events.push(e);
  reference.finish();
  return { ours: scoreNab(series, episodesOf(events)), reference: scoreNab(series, reference.episodes), posts, seconds: (performance.now() - t0) / 1000 };
}

function printReal(r: RealPart): void {
  console.log('\n| series | days | windows | caught: ours | reference | episodes outside windows: ours | reference | flagged inauthentic: ours |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  r.ours.forEach((o, i) => {
    const ref = r.reference[i]!;
    console.log(`| ${o.ticker} | ${o.days.toFixed(1)} | ${o.windows} | ${o.caught} | ${ref.caught} | ${o.outside} | ${ref.outside} | ${o.inauthentic}/${o.episodes} |`);
  });
  const o = totalNab(r.ours);
  const ref = totalNab(r.reference);
  console.log(`| all | ${o.days.toFixed(1)} | ${o.windows} | ${o.caught} (${pct(o.recall)}) | ${ref.caught} (${pct(ref.recall)}) | ${o.outside} (${o.outsidePerDay.toFixed(3)}/series-day) | ${ref.outside} (${ref.outsidePerDay.toFixed(3)}/series-day) | ${(100 * o.inauthenticShare).toFixed(1)} % |`);
  console.log(`\nreal data: ${r.posts} posts from ${r.ours.length} NAB series in ${r.seconds.toFixed(0)} s (detect and reference on one stream)`);
}

async function main(): Promise<void> {
  const rows = foreign ? await foreignRows(foreign) : await generatedRows();
  const total = (k: 'trends' | 'alerts') => {
    const caught = rows.reduce((n, r) => n + r[k].caught, 0);
    const labelled = rows.reduce((n, r) => n + r[k].labelled, 0);
    const fp = rows.reduce((n, r) => n + r[k].falsePositives, 0);
    const delays = rows.flatMap((r) => r[k].delaysMs);
    const hours = rows.reduce((n, r) => n + r.hours, 0);
    const bots = rows.reduce((a, r) => ({ l: a.l + r[k].inauthentic.labelled, c: a.c + r[k].inauthentic.caught }), { l: 0, c: 0 });
    return { caught, labelled, fp, precision: caught / (caught + fp), recall: caught / labelled, median_delay_min: quantile(delays, 0.5) / 60_000, p90_delay_min: quantile(delays, 0.9) / 60_000, fp_per_hour: fp / hours, bots_flagged_or_suppressed: bots.l ? bots.c / bots.l : NaN, hours };
  };
  const t = total('trends');
  const a = total('alerts');
  console.log('\n| detector | labelled | caught | false pos. | precision | recall | median delay (min) | p90 delay (min) | FP per sim. hour | bot campaigns flagged/suppressed |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(`| trends | ${t.labelled} | ${t.caught} | ${t.fp} | ${pct(t.precision)} | ${pct(t.recall)} | ${fmtMin(t.median_delay_min * 60_000)} | ${fmtMin(t.p90_delay_min * 60_000)} | ${t.fp_per_hour.toFixed(3)} | ${pct(t.bots_flagged_or_suppressed)} |`);
  const imCaught = rows.reduce((n, r) => n + r.impersonation.caught, 0);
  const imLabelled = rows.reduce((n, r) => n + r.impersonation.labelled, 0);
  const imFp = rows.reduce((n, r) => n + r.impersonation.falsePositives, 0);
  const im = { caught: imCaught, labelled: imLabelled, fp: imFp, precision: imCaught / (imCaught + imFp), recall: imCaught / imLabelled };
  if (imLabelled || imFp) console.log(`| impersonation | ${im.labelled} | ${im.caught} | ${im.fp} | ${pct(im.precision)} | ${pct(im.recall)} | – | – | – | – |`);
  console.log(`| alerts | ${a.labelled} | ${a.caught} | ${a.fp} | ${pct(a.precision)} | ${pct(a.recall)} | ${fmtMin(a.median_delay_min * 60_000)} | ${fmtMin(a.p90_delay_min * 60_000)} | ${a.fp_per_hour.toFixed(3)} | – |`);
  console.log(`\n${rows.length} scenarios, ${t.hours.toFixed(0)} hours, folders in ${foreign ?? dir}`);
  const r = real ? realPart() : undefined;
  if (r) printReal(r);
  if (jsonOut) {
    const realJson = r && { ours: { total: totalNab(r.ours), series: r.ours }, reference: { total: totalNab(r.reference), series: r.reference }, posts: r.posts, seconds: r.seconds };
    writeFileSync(jsonOut, JSON.stringify({ trends: t, alerts: a, impersonation: im, scenarios: rows.map((x) => ({ name: x.name, hours: x.hours, posts: x.posts, trends: x.trends, alerts: x.alerts, impersonation: x.impersonation })), real: realJson }, null, 2));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
