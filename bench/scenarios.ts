// The project's own evaluation scenarios (issue 3, 4): several seeds and mixes — quiet days,
// daily and weekly rhythms, organic bursts of different sizes and speeds, slow builds, bot
// campaigns, out-of-order and late posts, German and English, firestorms, complaints and
// positive viral moments. Each is a GeneratorOptions; `npm run eval` writes and scores them.
import type { GeneratorEvent, GeneratorOptions } from '../sim/generator.js';
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

export interface Scenario { name: string; hours: number; opts: GeneratorOptions }

function scenario(name: string, seed: number, startHourUtc: number, hours: number, rate: number, events: (t: (h: number) => number) => GeneratorEvent[], extra: Partial<GeneratorOptions> = {}): Scenario {
  const start = MONDAY + startHourUtc * H;
  const t = (h: number) => start + Math.round(h * 60) * M;
  return { name, hours, opts: { seed, start, minutes: hours * 60, postsPerMinute: rate, events: events(t), watches: EVAL_WATCHES, disorderMs: 20_000, ...extra } };
}

export function scenarios(): Scenario[] {
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
