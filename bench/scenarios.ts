// The project's own evaluation scenarios (issue 3, 4): several seeds and mixes — quiet days,
// daily and weekly rhythms, organic bursts of different sizes and speeds, slow builds, bot
// campaigns, out-of-order and late posts, German and English, firestorms, complaints and
// positive viral moments, and (issue 18) what fooled the detectors: see hardScenarios. Each
// is a GeneratorOptions; `npm run eval` writes and scores them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32, type GeneratorEvent, type GeneratorOptions } from '../sim/generator.js';
import type { Watch } from '../schemas/watches.js';

const H = 3_600_000;
const M = 60_000;
const MONDAY = Date.parse('2026-11-23T00:00:00Z');

export const EVAL_WATCHES: Watch[] = [
  { id: 'deutsche-bahn', name: 'Deutsche Bahn', handles: ['@DB_Bahn', '@DB_Info'], keywords: ['deutsche bahn', 'db navigator'], hashtags: ['bahnchaos', 'deutschebahn'], min_severity: 3, sensitivity: 1, channels: [] },
  { id: 'telekom', name: 'Telekom', handles: ['@deutschetelekom', '@Telekom_hilft'], keywords: ['telekom'], hashtags: ['telekomausfall'], min_severity: 3, sensitivity: 1, channels: [] },
  { id: 'acme-air', name: 'Acme Air', handles: ['@acmeair'], keywords: ['acme air', 'acmeair'], hashtags: ['acmeair'], min_severity: 3, sensitivity: 1, channels: [] },
  { id: 'fresh-foods', name: 'Fresh Foods', handles: ['@freshfoods_de'], keywords: ['fresh foods'], hashtags: ['freshfoods'], min_severity: 3, sensitivity: 1, channels: [] },
];

/** Where the benchmark's workload starts in event time. */
export const BENCH_START = Date.parse('2026-11-24T06:00:00Z');

/**
 * The benchmark's workload (`npm run bench`, `bench/stage-a-handler.ts`): 10 hours of event time
 * sized for `posts` posts, 20 s of disorder, a burst, two firestorms at the watches and a campaign.
 */
export function benchWorkload(seed: number, posts: number): GeneratorOptions {
  const minutes = 600;
  const at = (m: number) => BENCH_START + m * M;
  return {
    seed, start: BENCH_START, minutes, postsPerMinute: Math.ceil((posts * 1.02) / minutes), rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
    events: [
      { kind: 'burst', tag: 'Sturmflut', at: at(120), peakPerMinute: 600, rampMinutes: 2, durationMinutes: 30, lang: 'de' },
      { kind: 'firestorm', watch: 'deutsche-bahn', at: at(240), peakPerMinute: 500, rampMinutes: 3, durationMinutes: 40, tag: 'Bahnchaos' },
      { kind: 'campaign', tag: 'KaufJetzt', at: at(360), perMinute: 300, durationMinutes: 20, accounts: 30 },
      { kind: 'firestorm', watch: 'telekom', at: at(480), peakPerMinute: 400, rampMinutes: 3, durationMinutes: 40 },
    ],
  };
}

export interface Scenario { name: string; hours: number; opts: GeneratorOptions }

function scenario(name: string, seed: number, startHourUtc: number, hours: number, rate: number, events: (t: (h: number) => number) => GeneratorEvent[], extra: Partial<GeneratorOptions> = {}): Scenario {
  const start = MONDAY + startHourUtc * H;
  const t = (h: number) => start + Math.round(h * 60) * M;
  return { name, hours, opts: { seed, start, minutes: hours * 60, postsPerMinute: rate, events: events(t), watches: EVAL_WATCHES, disorderMs: 20_000, ...extra } };
}

export function scenarios(): Scenario[] {
  return [...baseScenarios(), ...hardScenarios(0), ...impersonationScenarios(0)];
}

function baseScenarios(): Scenario[] {
  return [
    scenario('quiet-day-de-en', 11, 0, 24, 250, () => []),
    scenario('organic-bursts-de', 12, 7, 8, 400, (t) => [
      { kind: 'burst', tag: 'Glatteis', at: t(1.5), peakPerMinute: 600, rampMinutes: 2, durationMinutes: 60, lang: 'de' },
      { kind: 'burst', tag: 'Stromausfall', at: t(3.5), peakPerMinute: 150, rampMinutes: 6, durationMinutes: 45, lang: 'de' },
      { kind: 'burst', tag: 'Tatverdacht', at: t(6), peakPerMinute: 60, rampMinutes: 10, durationMinutes: 40, lang: 'de' },
    ]),
    scenario('organic-bursts-en-slow', 13, 12, 8, 300, (t) => [
      { kind: 'burst', tag: 'Eclipse2026', at: t(1), peakPerMinute: 300, rampMinutes: 4, durationMinutes: 50, lang: 'en' },
      { kind: 'burst', tag: 'ServerOutage', at: t(3), peakPerMinute: 80, rampMinutes: 30, durationMinutes: 90, lang: 'en' },
      { kind: 'burst', tag: 'ChampionsLeague', at: t(6), peakPerMinute: 900, rampMinutes: 1, durationMinutes: 30, lang: 'en' },
    ]),
    scenario('bot-campaigns', 14, 9, 8, 300, (t) => [
      { kind: 'campaign', tag: 'WahlBetrug', at: t(1), perMinute: 150, durationMinutes: 40, accounts: 30 },
      { kind: 'campaign', tag: 'CryptoMoon', at: t(3), perMinute: 300, durationMinutes: 30, accounts: 60 },
      { kind: 'burst', tag: 'Hochwasser', at: t(4.5), peakPerMinute: 200, rampMinutes: 5, durationMinutes: 40, lang: 'de' },
      { kind: 'campaign', tag: 'BoycottNow', at: t(6), perMinute: 100, durationMinutes: 30, accounts: 15 },
    ]),
    scenario('out-of-order-late', 15, 10, 6, 350, (t) => [
      { kind: 'burst', tag: 'Streik', at: t(1.5), peakPerMinute: 250, rampMinutes: 3, durationMinutes: 45, lang: 'de' },
      { kind: 'burst', tag: 'Heatwave', at: t(4), peakPerMinute: 120, rampMinutes: 8, durationMinutes: 45, lang: 'en' },
    ], { disorderMs: 120_000, duplicateShare: 0.01 }),
    scenario('rhythms-three-days', 16, 0, 72, 120, () => [
      { kind: 'rhythmic', tag: 'Montagsmotivation', hourUtc: 6, weekday: 1, perMinute: 40, durationMinutes: 120 },
      { kind: 'rhythmic', tag: 'Fruehstueck', hourUtc: 6.5, perMinute: 25, durationMinutes: 90 },
      { kind: 'rhythmic', tag: 'Tagesschau', hourUtc: 19, perMinute: 50, durationMinutes: 20 },
    ]),
    scenario('firestorms', 17, 8, 10, 300, (t) => [
      { kind: 'complaints', watch: 'deutsche-bahn', at: t(0), perMinute: 3, durationMinutes: 600 },
      { kind: 'firestorm', watch: 'deutsche-bahn', at: t(2), peakPerMinute: 250, rampMinutes: 5, durationMinutes: 60, tag: 'Bahnchaos' },
      { kind: 'complaints', watch: 'telekom', at: t(0), perMinute: 2, durationMinutes: 600 },
      { kind: 'firestorm', watch: 'telekom', at: t(5), peakPerMinute: 120, rampMinutes: 10, durationMinutes: 60 },
      { kind: 'praise', watch: 'fresh-foods', at: t(7), peakPerMinute: 300, rampMinutes: 5, durationMinutes: 60, tag: 'FreshFoodsLove' },
      { kind: 'firestorm', watch: 'acme-air', at: t(8), peakPerMinute: 80, rampMinutes: 6, durationMinutes: 45 },
    ]),
    scenario('quiet-watches', 18, 6, 24, 200, (t) => [
      { kind: 'complaints', watch: 'deutsche-bahn', at: t(0), perMinute: 4, durationMinutes: 24 * 60 },
      { kind: 'complaints', watch: 'telekom', at: t(2), perMinute: 2, durationMinutes: 20 * 60 },
      { kind: 'praise', watch: 'acme-air', at: t(10), peakPerMinute: 200, rampMinutes: 4, durationMinutes: 90, tag: 'AcmeAirHeroes' },
      { kind: 'complaints', watch: 'fresh-foods', at: t(1), perMinute: 1, durationMinutes: 22 * 60 },
    ]),
    scenario('mixed-en-de', 19, 14, 10, 500, (t) => [
      { kind: 'burst', tag: 'Weltmeister', at: t(2), peakPerMinute: 500, rampMinutes: 3, durationMinutes: 40, lang: 'de' },
      { kind: 'campaign', tag: 'FakeNewsNetwork', at: t(4), perMinute: 200, durationMinutes: 45, accounts: 40 },
      { kind: 'firestorm', watch: 'fresh-foods', at: t(6), peakPerMinute: 200, rampMinutes: 4, durationMinutes: 50, tag: 'FreshFoodsSkandal' },
      { kind: 'burst', tag: 'MarsLanding', at: t(8), peakPerMinute: 180, rampMinutes: 12, durationMinutes: 60, lang: 'en' },
    ]),
  ];
}

/**
 * What fooled the detectors (issue 18): quiet watches whose first posts happen to be negative,
 * firestorms building up over 5–20 minutes, firestorms with posts up to 2 minutes out of
 * order, one made of real offensive English tweets, spikes of 1.5–3× on tags that are
 * already busy, organic spikes from established accounts with ordinary texts. `variant` 0 is
 * the eval's own set; any other variant draws other onsets, ramps, sizes and seeds, to check
 * on scenarios the detectors were not tuned on.
 */
export function hardScenarios(variant: number): Scenario[] {
  const r = mulberry32(0x18 + variant * 7919);
  const between = (lo: number, hi: number) => lo + r() * (hi - lo);
  const int = (lo: number, hi: number) => Math.round(between(lo, hi));
  const seed = (k: number) => 20 + k + variant * 100;
  const suffix = variant ? `-v${variant}` : '';
  // A quiet watch whose first posts are everyday complaints: a few negative posts before anything else is known.
  const negativeStart = (watch: string, at: number): GeneratorEvent => ({ kind: 'complaints', watch, at, perMinute: between(1, 2), durationMinutes: int(3, 6) });
  const storm = (watch: string, at: number, o: { peak?: [number, number]; ramp?: [number, number]; tag?: string } = {}): GeneratorEvent => ({
    kind: 'firestorm', watch, at, peakPerMinute: int(...(o.peak ?? [40, 160])), rampMinutes: int(...(o.ramp ?? [5, 20])), durationMinutes: int(40, 70), ...(o.tag ? { tag: o.tag } : {}),
  });
  return [
    scenario(`quiet-watches-negative-start${suffix}`, seed(1), int(0, 8), 12, int(150, 250), (t) => [
      negativeStart('deutsche-bahn', t(0)), negativeStart('telekom', t(0)), negativeStart('acme-air', t(0)), negativeStart('fresh-foods', t(0)),
      { kind: 'praise', watch: 'telekom', at: t(between(5, 9)), peakPerMinute: int(60, 200), rampMinutes: int(3, 8), durationMinutes: 60 },
    ]),
    scenario(`firestorms-after-negative-start${suffix}`, seed(2), int(6, 12), 10, int(150, 300), (t) => [
      negativeStart('fresh-foods', t(0)), negativeStart('acme-air', t(0)), negativeStart('telekom', t(0)),
      storm('fresh-foods', t(between(2.5, 4))),
      storm('acme-air', t(between(5, 7)), { peak: [30, 80] }),
      { kind: 'complaints', watch: 'telekom', at: t(0.5), perMinute: between(0.5, 1.5), durationMinutes: 540 },
      storm('telekom', t(between(7.5, 9)), { tag: 'NetzWeg' }),
    ]),
    scenario(`firestorms-slow-build${suffix}`, seed(3), int(6, 12), 10, int(200, 350), (t) => [
      storm('deutsche-bahn', t(between(2, 3)), { ramp: [15, 20], peak: [60, 150] }),
      storm('acme-air', t(between(4.5, 5.5)), { ramp: [10, 20], peak: [30, 60] }),
      negativeStart('fresh-foods', t(0)),
      storm('fresh-foods', t(between(7.5, 9)), { ramp: [5, 12] }),
    ]),
    scenario(`firestorms-disorder${suffix}`, seed(4), int(6, 12), 8, int(200, 300), (t) => [
      negativeStart('telekom', t(0)),
      storm('telekom', t(between(2, 3)), { ramp: [5, 15] }),
      { kind: 'complaints', watch: 'deutsche-bahn', at: t(0), perMinute: between(2, 4), durationMinutes: 480 },
      storm('deutsche-bahn', t(between(5, 6.5)), { ramp: [10, 20], tag: 'ZugWeg' }),
    ], { disorderMs: 120_000 }),
    scenario(`real-text-firestorm${suffix}`, seed(5), int(6, 14), 6, int(150, 250), (t) => [
      negativeStart('acme-air', t(0)),
      { ...storm('acme-air', t(between(2.5, 4)), { peak: [40, 80], ramp: [5, 15] }), texts: davidsonOffensive(seed(5), 2500) } as GeneratorEvent,
    ], { disorderMs: variant % 2 ? 120_000 : 20_000 }),
    scenario(`busy-tag-spikes${suffix}`, seed(6), int(8, 12), 8, int(300, 500), (t) => [
      { kind: 'surge', rank: int(0, 3), factor: between(2.5, 3), at: t(between(1.5, 2.5)), rampMinutes: int(2, 10), durationMinutes: int(40, 60) },
      { kind: 'surge', rank: int(4, 10), factor: between(2, 2.5), at: t(between(3.5, 4.5)), rampMinutes: int(2, 10), durationMinutes: int(40, 60) },
      { kind: 'surge', rank: int(11, 20), factor: between(1.5, 2), at: t(between(5.5, 6.5)), rampMinutes: int(2, 10), durationMinutes: int(40, 60) },
    ]),
    scenario(`established-bursts${suffix}`, seed(7), int(8, 12), 8, int(250, 400), (t) => [
      { kind: 'burst', tag: 'Stadtrat', at: t(between(1.5, 2.5)), peakPerMinute: int(30, 60), rampMinutes: int(3, 15), durationMinutes: int(40, 60), established: true, lang: 'de' },
      { kind: 'burst', tag: 'BookClub', at: t(between(3.5, 4.5)), peakPerMinute: int(60, 120), rampMinutes: int(3, 15), durationMinutes: int(40, 60), established: true, lang: 'en' },
      { kind: 'burst', tag: 'Wochenmarkt', at: t(between(5.5, 6.5)), peakPerMinute: int(20, 40), rampMinutes: int(3, 15), durationMinutes: int(40, 60), established: true },
    ]),
  ];
}

/** The eval's brands with the regional and help accounts that are theirs (legitimate look-alikes). */
const OWN: Record<string, string[]> = {
  'deutsche-bahn': ['@DB_Presse', '@DB_Bahn_NRW', '@DB_Info_Bayern'],
  telekom: ['@telekom_de', '@Telekom_Presse', '@telekom_hilft_at'],
  'acme-air': ['@acmeair_de', '@acmeair_uk', '@AcmeAirHelp'],
  'fresh-foods': ['@freshfoods_at', '@freshfoods_ch'],
};
/** Other brands for held-back variants: names the detector was not written against. */
const OTHER_BRANDS: Watch[] = [
  { id: 'nordlicht-energie', name: 'Nordlicht Energie', handles: ['@NordlichtEnergie'], keywords: ['nordlicht energie'], hashtags: [], min_severity: 3, sensitivity: 1, channels: [], own_accounts: ['@nordlicht_hamburg', '@NordlichtKarriere'] },
  { id: 'skyways', name: 'Skyways', handles: ['@flyskyways', '@skyways_help'], keywords: ['skyways'], hashtags: [], min_severity: 3, sensitivity: 1, channels: [], own_accounts: ['@skyways_es', '@skyways_it'] },
  { id: 'pixel-bank', name: 'Pixel Bank', handles: ['@pixelbank'], keywords: ['pixel bank'], hashtags: [], min_severity: 3, sensitivity: 1, channels: [], own_accounts: ['@pixelbank_at', '@pixelbank_ch', '@PixelBankJobs'] },
  { id: 'mobilcom-shop', name: 'Mobilshop', handles: ['@mobilshop_de'], keywords: ['mobilshop'], hashtags: [], min_severity: 3, sensitivity: 1, channels: [], own_accounts: ['@mobilshop_presse'] },
  { id: 'gruenwerk', name: 'Grünwerk', handles: ['@gruenwerk', '@Gruenwerk_Service'], keywords: ['grünwerk'], hashtags: [], min_severity: 3, sensitivity: 1, channels: [], own_accounts: ['@gruenwerk_berlin'] },
];

/**
 * Impersonation (issue 22): accounts imitating the watches' handles and names among fans, parody
 * accounts that say so, the brands' own regional accounts and unrelated accounts with a similar
 * word. `variant` 0 is the eval's own (the eval's watches); any other variant draws other brands,
 * sizes and seeds — held back, never tuned on.
 */
export function impersonationScenarios(variant: number): Scenario[] {
  const r = mulberry32(0x22 + variant * 7919);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const brands = variant === 0 ? EVAL_WATCHES.map((w) => ({ ...w, own_accounts: OWN[w.id] ?? [] }))
    : [...OTHER_BRANDS].sort(() => r() - 0.5).slice(0, 3);
  return [scenario(`impersonators${variant ? `-v${variant}` : ''}`, 40 + variant * 100, int(6, 14), 4, int(150, 300), (t) => brands.map((w) => ({
    kind: 'impersonation', watch: w.id, at: t(0.25 + r() * 0.5), durationMinutes: int(120, 180), impersonators: int(8, 14), fans: int(3, 8), parodies: int(2, 5), unrelated: int(3, 8),
  })), { watches: brands })];
}

const DAVIDSON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../data/davidson/labeled_data.train.csv');
let davidsonRows: { cls: number; tweet: string }[] | null = null;

/** `n` of the Davidson et al. tweets labelled hate speech or offensive (class 0 or 1), a seeded sample without repeats. */
export function davidsonOffensive(seed: number, n: number): string[] {
  davidsonRows ??= parseCsv(readFileSync(DAVIDSON, 'utf8')).slice(1).map((row) => ({ cls: Number(row[5]), tweet: row[6] ?? '' }));
  const texts = davidsonRows.filter((x) => (x.cls === 0 || x.cls === 1) && x.tweet.trim() !== '').map((x) => x.tweet);
  const r = mulberry32(seed);
  for (let i = texts.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [texts[i], texts[j]] = [texts[j]!, texts[i]!];
  }
  return texts.slice(0, n);
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(raw: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quoted) {
      if (c !== '"') f += c;
      else if (raw[i + 1] === '"') { f += '"'; i++; } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\n') { row.push(f); rows.push(row); row = []; f = ''; } else if (c !== '\r') f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}
