// The synthetic post generator: determinism, rates and shapes, ground-truth labels, arrival
// disorder and duplicates, and that every post survives the CONTRACTS §2 round trip.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import {
  backgroundTags, generate, generateTimed, labelsFor, mulberry32, rhythmFactor, writeScenario,
  type GeneratorEvent, type GeneratorOptions,
} from '../../sim/generator.js';
import { postToJson, toPost, type Post } from '../../schemas/post.js';
import { extractHashtags, extractMentions } from '../../schemas/normalise.js';
import { WatchMatcher, WatchSchema } from '../../schemas/watches.js';

const START = Date.parse('2026-11-27T09:00:00Z'); // a Friday
const MIN = 60_000;
const db = WatchSchema.parse({
  id: 'deutsche-bahn', name: 'Deutsche Bahn', handles: ['@DB_Bahn', '@DB_Info'],
  keywords: ['deutsche bahn', 'db navigator'], hashtags: ['bahnchaos', 'deutschebahn'],
});
const telekom = WatchSchema.parse({ id: 'telekom', name: 'Telekom', handles: ['@deutschetelekom'], keywords: ['telekom'] });

const all = (o: GeneratorOptions): Post[] => [...generate(o)];

function scenario(extra: Partial<GeneratorOptions> = {}): GeneratorOptions {
  const events: GeneratorEvent[] = [
    { kind: 'burst', tag: 'Fußballwunder', at: START + 30 * MIN, peakPerMinute: 150, rampMinutes: 10, durationMinutes: 60 },
    { kind: 'campaign', tag: 'WahrheitJetzt', at: START + 40 * MIN, perMinute: 80, durationMinutes: 30, accounts: 25 },
    { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 50 * MIN, peakPerMinute: 120, rampMinutes: 8, durationMinutes: 60, tag: 'DBversagen' },
    { kind: 'complaints', watch: 'telekom', at: START, perMinute: 2, durationMinutes: 120 },
    { kind: 'praise', watch: 'telekom', at: START + 70 * MIN, peakPerMinute: 100, rampMinutes: 5, durationMinutes: 40, tag: 'DankeTelekom' },
    { kind: 'rhythmic', tag: 'Feierabendbier', hourUtc: 10.25, perMinute: 20, durationMinutes: 30 },
  ];
  return { seed: 7, start: START, minutes: 120, postsPerMinute: 400, watches: [db, telekom], events, ...extra };
}

describe('mulberry32', () => {
  it('is a deterministic uniform PRNG in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });
});

describe('generate', () => {
  it('gives byte-identical output for the same options, and different output for another seed', () => {
    const o = scenario({ minutes: 60, disorderMs: 20_000, lateShare: 0.01, duplicateShare: 0.02 });
    const a = JSON.stringify(all(o).map(postToJson));
    const b = JSON.stringify(all(o).map(postToJson));
    expect(a).toBe(b);
    const it = generate(o);
    expect(JSON.stringify([...it].map(postToJson))).toBe(JSON.stringify([...it].map(postToJson))); // re-iterable
    expect(JSON.stringify(all({ ...o, seed: 8 }).map(postToJson))).not.toBe(a);
  });

  it('produces postsPerMinute posts a minute on average without rhythm', () => {
    const posts = all({ seed: 1, start: START, minutes: 60, postsPerMinute: 1000, rhythm: false });
    expect(posts.length).toBeGreaterThan(60_000 * 0.97);
    expect(posts.length).toBeLessThan(60_000 * 1.03);
    expect(posts[0]!.created_at).toBeGreaterThanOrEqual(START);
    expect(posts.at(-1)!.created_at).toBeLessThan(START + 60 * MIN);
    const perMinute = new Array<number>(60).fill(0);
    for (const p of posts) perMinute[Math.floor((p.created_at - START) / MIN)]!++;
    expect(Math.min(...perMinute)).toBeGreaterThan(850);
    expect(Math.max(...perMinute)).toBeLessThan(1150);
  });

  it('follows a daily rhythm: quiet at night, busiest in the evening, Europe/Berlin time', () => {
    expect(rhythmFactor(Date.parse('2026-11-25T19:00:00Z'))).toBe(1); // Wednesday 20:00 in Berlin
    expect(rhythmFactor(Date.parse('2026-11-25T03:00:00Z'))).toBeLessThan(0.15);
    const day = all({ seed: 3, start: Date.parse('2026-11-25T00:00:00Z'), minutes: 24 * 60, postsPerMinute: 200 });
    const hour = (h: number) => day.filter((p) => new Date(p.created_at).getUTCHours() === h).length;
    expect(hour(19)).toBeGreaterThan(5 * hour(2));
    expect(hour(19) / 60).toBeGreaterThan(180);
    expect(hour(19) / 60).toBeLessThan(210);
  });

  it('draws background hashtags from a Zipf law over plausible, distinct, normalised names', () => {
    const o: GeneratorOptions = { seed: 5, start: START, minutes: 30, postsPerMinute: 5000, rhythm: false };
    const ranks = backgroundTags(o);
    expect(ranks).toHaveLength(2000);
    expect(new Set(ranks).size).toBe(2000);
    for (const t of ranks) expect(extractHashtags(`#${t}`)).toEqual([t]);
    const counts = new Map<string, number>();
    for (const p of generate(o)) for (const t of p.hashtags) counts.set(t, (counts.get(t) ?? 0) + 1);
    const c = (rank: number) => counts.get(ranks[rank - 1]!) ?? 0;
    // Zipf with s = 1.1: count(1)/count(10) = 10^1.1 ≈ 12.6, count(10)/count(100) ≈ 12.6.
    expect(c(1) / c(10)).toBeGreaterThan(9);
    expect(c(1) / c(10)).toBeLessThan(17);
    expect(c(10) / c(100)).toBeGreaterThan(7);
    expect(c(10) / c(100)).toBeLessThan(22);
    expect(counts.size).toBeGreaterThan(1500); // a long tail
    const tail = ranks.slice(1000).reduce((s, t) => s + (counts.get(t) ?? 0), 0);
    const total = [...counts.values()].reduce((s, n) => s + n, 0);
    expect(tail / total).toBeGreaterThan(0.03);
    expect(tail / total).toBeLessThan(0.15);
  });

  it('writes realistic texts: 60–280 characters, about 15% without and 20% with several hashtags, mixed case', () => {
    const posts = all({ seed: 9, start: START, minutes: 20, postsPerMinute: 1000, rhythm: false });
    const n = posts.length;
    const short = posts.filter((p) => p.text.length < 60).length;
    const long = posts.filter((p) => p.text.length > 280).length;
    expect(short / n).toBeLessThan(0.02);
    expect(long).toBe(0);
    const none = posts.filter((p) => p.hashtags.length === 0).length / n;
    const several = posts.filter((p) => p.hashtags.length >= 2).length / n;
    expect(none).toBeGreaterThan(0.12);
    expect(none).toBeLessThan(0.18);
    expect(several).toBeGreaterThan(0.16);
    expect(several).toBeLessThan(0.24);
    expect(posts.some((p) => /#[A-ZÄÖÜ]{3,}\b/u.test(p.text))).toBe(true); // #FUSSBALL-style shouting
    expect(posts.some((p) => p.text.includes('https://'))).toBe(true);
    expect(posts.some((p) => p.mentions.length > 0)).toBe(true);
    expect(posts.some((p) => p.reply_to !== null && p.reply_to_author !== null)).toBe(true);
    expect(new Set(posts.map((p) => p.lang))).toEqual(new Set(['de', 'en', 'fr', 'es', 'it']));
    expect(new Set(posts.map((p) => p.platform))).toEqual(new Set(['mastodon', 'bluesky', 'generic']));
    for (const p of posts.slice(0, 5000)) {
      expect(p.hashtags).toEqual(extractHashtags(p.text));
      expect(p.mentions).toEqual(extractMentions(p.text));
    }
  });

  it('matches the language shares', () => {
    const posts = all({ seed: 11, start: START, minutes: 30, postsPerMinute: 1000, rhythm: false });
    const share = (l: string) => posts.filter((p) => p.lang === l).length / posts.length;
    expect(share('de')).toBeCloseTo(0.5, 1);
    expect(Math.abs(share('de') - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(share('en') - 0.45)).toBeLessThan(0.015);
    const other = share('fr') + share('es') + share('it');
    expect(Math.abs(other - 0.05)).toBeLessThan(0.01);
    const en = all({ seed: 11, start: START, minutes: 5, postsPerMinute: 1000, rhythm: false, langs: { de: 0, en: 1, other: 0 } });
    expect(en.every((p) => p.lang === 'en')).toBe(true);
  });

  it('survives the CONTRACTS §2 round trip unchanged, with unique ids', () => {
    const posts = all(scenario());
    const ids = new Set(posts.map((p) => `${p.platform}:${p.id}`));
    expect(ids.size).toBe(posts.length);
    for (let i = 0; i < posts.length; i += 17) {
      const p = posts[i]!;
      expect(toPost(JSON.parse(JSON.stringify(postToJson(p))), Infinity)).toEqual(p);
    }
    // Author records are consistent: one handle per author id.
    const handles = new Map<string, string | null>();
    for (const p of posts) {
      const h = handles.get(p.author.id);
      if (h === undefined) handles.set(p.author.id, p.author.handle);
      else expect(h).toBe(p.author.handle);
    }
  });
});

describe('events and labels', () => {
  const o = scenario();
  const posts = all(o);
  const matcher = new WatchMatcher([db, telekom]);
  const tagged = (t: string) => posts.filter((p) => p.hashtags.includes(t));
  const watchesOf = (p: Post): string[] => {
    const m: unknown = matcher.match(p); // ids, or { watches } in the richer matcher
    return Array.isArray(m) ? (m as string[]) : (m as { watches: string[] }).watches;
  };

  it('labels bursts, campaigns, firestorms and their tags, and nothing else', () => {
    expect(labelsFor(o)).toEqual({
      trends: [
        { hashtag: 'fussballwunder', onset: '2026-11-27T09:30:00Z', inauthentic: false },
        { hashtag: 'wahrheitjetzt', onset: '2026-11-27T09:40:00Z', inauthentic: true },
        { hashtag: 'dbversagen', onset: '2026-11-27T09:50:00Z', inauthentic: false },
        { hashtag: 'danketelekom', onset: '2026-11-27T10:10:00Z', inauthentic: false },
      ],
      optional_trends: ['bahnchaos', 'deutschebahn', 'feierabendbier'],
      firestorms: [{ watch: 'deutsche-bahn', onset: '2026-11-27T09:50:00Z' }],
      ignore_trends: false,
    });
  });

  it('keeps event and watch hashtags out of the background vocabulary', () => {
    const bg = new Set(backgroundTags(o));
    for (const t of ['fussballwunder', 'wahrheitjetzt', 'dbversagen', 'danketelekom', 'feierabendbier', 'bahnchaos', 'deutschebahn']) {
      expect(bg.has(t)).toBe(false);
    }
    expect(tagged('fussballwunder').every((p) => p.created_at >= START + 30 * MIN)).toBe(true);
    expect(tagged('dbversagen').every((p) => p.created_at >= START + 50 * MIN)).toBe(true);
  });

  it('ramps a burst up to its peak with many distinct authors and varied case', () => {
    const b = tagged('fussballwunder');
    const minute = (m: number) => b.filter((p) => Math.floor((p.created_at - START) / MIN) === m).length;
    expect(minute(31)).toBeLessThan(40);
    expect(minute(42)).toBeGreaterThan(110);
    expect(minute(42)).toBeLessThan(190);
    expect(new Set(b.map((p) => p.author.id)).size / b.length).toBeGreaterThan(0.8);
    expect(new Set(b.map((p) => p.text)).size / b.length).toBeGreaterThan(0.5);
    const forms = new Set(b.flatMap((p) => p.text.match(/#fu\S*wunder/giu) ?? []));
    expect(forms.size).toBeGreaterThanOrEqual(3); // #Fußballwunder, #fußballwunder, #FUSSBALLWUNDER
  });

  it('runs a campaign from at most `accounts` young, follower-less accounts posting in synchronized waves', () => {
    const c = tagged('wahrheitjetzt');
    expect(c.length).toBeGreaterThan(2000);
    const authors = new Map(c.map((p) => [p.author.id, p.author]));
    expect(authors.size).toBeLessThanOrEqual(25);
    for (const a of authors.values()) {
      expect(a.followers).toBeLessThanOrEqual(5);
      expect(START + 40 * MIN - a.created_at!).toBeLessThan(30 * 86_400_000);
    }
    const seconds = new Set(c.map((p) => Math.floor(p.created_at / 1000)));
    expect(seconds.size / c.length).toBeLessThan(0.3);
    const bases = new Set(c.map((p) => p.text.replace(/https:\/\/\S+|#\S+/gu, '').replace(/[^\p{L}\s]/gu, '').replace(/\s+/g, ' ').trim()));
    expect(bases.size).toBeLessThanOrEqual(4); // near-duplicates of a few scripts
  });

  it('makes a firestorm of negative posts at the watch from mostly new authors', () => {
    const onset = START + 50 * MIN;
    const storm = posts.filter((p) => p.created_at >= onset && watchesOf(p).includes('deutsche-bahn'));
    expect(storm.length).toBeGreaterThan(3000);
    const before = new Set(posts.filter((p) => p.created_at < onset).map((p) => p.author.id));
    const stormAuthors = new Set(storm.map((p) => p.author.id));
    const fresh = [...stormAuthors].filter((a) => !before.has(a)).length;
    expect(fresh / stormAuthors.size).toBeGreaterThan(0.7);
    const fs = tagged('dbversagen');
    expect(fs.every((p) => watchesOf(p).includes('deutsche-bahn'))).toBe(true);
    expect(fs.some((p) => p.reply_to_author === '@DB_Bahn' || p.reply_to_author === '@DB_Info')).toBe(true);
    const negative = /Frechheit|Versager|Skandal|Schämt|Boykott|peinlich|wütend|Desaster|Shame|disgrace|Pathetic|Boycott|Unbelievable|unacceptable|Never again|Nie wieder|Witz|joke|lügt|lying/iu;
    expect(fs.filter((p) => negative.test(p.text)).length / fs.length).toBeGreaterThan(0.8);
    // Before the firestorm, the watch is mentioned at a low everyday rate.
    const quiet = posts.filter((p) => p.created_at < onset && watchesOf(p).includes('deutsche-bahn'));
    expect(quiet.length).toBeGreaterThan(5);
    expect(quiet.length / 50).toBeLessThan(3);
  });

  it('keeps complaints at an everyday level and makes praise positive', () => {
    const tel = posts.filter((p) => watchesOf(p).includes('telekom'));
    const early = tel.filter((p) => p.created_at < START + 70 * MIN);
    expect(early.length / 70).toBeGreaterThan(1.5);
    expect(early.length / 70).toBeLessThan(4);
    const praise = tagged('danketelekom');
    expect(praise.length).toBeGreaterThan(1000);
    expect(praise.every((p) => watchesOf(p).includes('telekom'))).toBe(true);
    const positive = /Danke|super|toll|Lob|liebe|begeistert|So geht das|Thank|amazing|Love|props|thrilled|done|delivered/iu;
    expect(praise.filter((p) => positive.test(p.text)).length / praise.length).toBeGreaterThan(0.9);
  });

  it('repeats a rhythmic tag in its daily slot and labels it optional only when it occurs once', () => {
    const r = tagged('feierabendbier');
    expect(r.length).toBeGreaterThan(450);
    expect(r.every((p) => p.created_at >= Date.parse('2026-11-27T10:15:00Z') && p.created_at < Date.parse('2026-11-27T10:45:00Z'))).toBe(true);
    const twoDays = { ...o, minutes: 2 * 24 * 60 + 120, postsPerMinute: 5, events: o.events!.filter((e) => e.kind === 'rhythmic') };
    expect(labelsFor(twoDays)).toEqual({ trends: [], optional_trends: [], firestorms: [], ignore_trends: false });
    const days = new Set(all(twoDays).filter((p) => p.hashtags.includes('feierabendbier')).map((p) => new Date(p.created_at).getUTCDate()));
    expect(days).toEqual(new Set([27, 28, 29]));
    const mondays: GeneratorOptions = { ...twoDays, minutes: 7 * 24 * 60, events: [{ kind: 'rhythmic', tag: 'Montag', hourUtc: 6, weekday: 1, perMinute: 10, durationMinutes: 120 }] };
    expect(labelsFor(mondays).optional_trends).toEqual(['montag']);
    const m = all(mondays).filter((p) => p.hashtags.includes('montag'));
    expect(m.length).toBeGreaterThan(1000);
    expect(m.every((p) => new Date(p.created_at).getUTCDay() === 1)).toBe(true);
  });

  it('leaves events outside the stream unlabelled and rejects unknown watches', () => {
    const late = { ...o, events: [{ kind: 'burst' as const, tag: 'Später', at: START + 500 * MIN, peakPerMinute: 10, rampMinutes: 1, durationMinutes: 10 }] };
    expect(labelsFor(late).trends).toEqual([]);
    expect(() => labelsFor({ ...o, events: [{ kind: 'complaints', watch: 'nope', at: START, perMinute: 1, durationMinutes: 1 }] })).toThrow(/unknown watch "nope"/);
    expect(() => generate({ ...o, events: [{ kind: 'burst', tag: '123', at: START, peakPerMinute: 1, rampMinutes: 1, durationMinutes: 1 }] })).toThrow(/not a valid hashtag/);
  });
});

describe('arrival order', () => {
  const base: GeneratorOptions = { seed: 21, start: START, minutes: 30, postsPerMinute: 2000, rhythm: false };

  it('is event-time order by default', () => {
    let last = -Infinity;
    for (const p of generate(base)) {
      expect(p.created_at).toBeGreaterThanOrEqual(last);
      last = p.created_at;
    }
  });

  it('keeps disorder within disorderMs, mostly small, when no post is late', () => {
    const timed = [...generateTimed({ ...base, disorderMs: 30_000 })];
    let maxSeen = -Infinity;
    let worst = 0;
    let jumps = 0;
    let lastArrival = -Infinity;
    for (const { post, arrival } of timed) {
      expect(arrival).toBeGreaterThanOrEqual(lastArrival);
      expect(arrival - post.created_at).toBeGreaterThanOrEqual(0);
      expect(arrival - post.created_at).toBeLessThanOrEqual(30_000);
      lastArrival = arrival;
      if (post.created_at < maxSeen) { jumps++; worst = Math.max(worst, maxSeen - post.created_at); }
      maxSeen = Math.max(maxSeen, post.created_at);
    }
    expect(worst).toBeLessThanOrEqual(30_000);
    expect(worst).toBeGreaterThan(10_000);
    expect(jumps / timed.length).toBeGreaterThan(0.2);
    const delays = timed.map((t) => t.arrival - t.post.created_at).sort((a, b) => a - b);
    expect(delays[Math.floor(delays.length / 2)]!).toBeLessThan(5_000); // median: exponential, mean 30 s / 8
    // Same posts as without disorder, only reordered.
    const ordered = all(base).map((p) => p.id).sort();
    expect(timed.map((t) => t.post.id).sort()).not.toEqual([]);
    expect(timed.length).toBeGreaterThan(ordered.length * 0.9);
  });

  it('delays lateShare of the posts beyond disorderMs, up to 10 minutes', () => {
    const timed = [...generateTimed({ ...base, disorderMs: 10_000, lateShare: 0.02 })];
    const late = timed.filter((t) => t.arrival - t.post.created_at > 10_000);
    expect(late.length / timed.length).toBeGreaterThan(0.015);
    expect(late.length / timed.length).toBeLessThan(0.025);
    expect(Math.max(...late.map((t) => t.arrival - t.post.created_at))).toBeLessThanOrEqual(10 * MIN);
  });

  it('emits duplicateShare of the posts twice with identical content', () => {
    for (const disorderMs of [0, 15_000]) {
      const posts = all({ ...base, disorderMs, duplicateShare: 0.03 });
      const byKey = new Map<string, Post[]>();
      for (const p of posts) byKey.set(`${p.platform}:${p.id}`, [...(byKey.get(`${p.platform}:${p.id}`) ?? []), p]);
      const dups = [...byKey.values()].filter((v) => v.length > 1);
      expect(dups.every((v) => v.length === 2)).toBe(true);
      expect(Math.abs(dups.length / byKey.size - 0.03)).toBeLessThan(0.005);
      for (const [a, b] of dups.slice(0, 100)) expect(JSON.stringify(postToJson(b!))).toBe(JSON.stringify(postToJson(a!)));
    }
  });
});

describe('writeScenario', () => {
  it('writes posts.ndjson, watches.json and labels.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trendstream-gen-'));
    try {
      const o = scenario({ minutes: 40, postsPerMinute: 100, disorderMs: 5_000 });
      const out = join(dir, 'nested', 'scenario');
      const { posts } = writeScenario(out, o);
      const lines = readFileSync(join(out, 'posts.ndjson'), 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(posts);
      expect(lines.map((l) => toPost(JSON.parse(l), Infinity))).toEqual(all(o));
      expect(JSON.parse(readFileSync(join(out, 'watches.json'), 'utf8'))).toEqual([db, telekom]);
      expect(JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'))).toEqual(labelsFor(o));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('throughput', () => {
  it('streams a large scenario without holding it (timing printed, not asserted)', () => {
    const o: GeneratorOptions = { ...scenario(), minutes: 60, postsPerMinute: 5000, rhythm: false, disorderMs: 30_000, duplicateShare: 0.01 };
    const t0 = performance.now();
    let n = 0;
    for (const _ of generate(o)) n++;
    const s = (performance.now() - t0) / 1000;
    console.log(`generator: ${n} posts in ${s.toFixed(2)} s = ${Math.round(n / s)} posts/s`);
    expect(n).toBeGreaterThan(250_000);
  }, 300_000); // a busy machine must not fail it: timing is printed, never decisive
});

describe('what fooled the detectors (issue 18)', () => {
  const base: GeneratorOptions = { seed: 31, start: START, minutes: 90, postsPerMinute: 600, rhythm: false, watches: [db, telekom] };

  it('surges a busy background tag to `factor` times its rate, from established accounts, and labels it an organic trend', () => {
    const o: GeneratorOptions = { ...base, events: [{ kind: 'surge', rank: 2, factor: 3, at: START + 45 * MIN, rampMinutes: 1, durationMinutes: 45 }] };
    const tag = backgroundTags(o)[2]!;
    expect(labelsFor(o).trends).toEqual([{ hashtag: tag, onset: '2026-11-27T09:45:00Z', inauthentic: false }]);
    const posts = all(o);
    const before = posts.filter((p) => p.hashtags.includes(tag) && p.created_at < START + 45 * MIN).length / 45;
    const during = posts.filter((p) => p.hashtags.includes(tag) && p.created_at >= START + 55 * MIN && p.created_at < START + 65 * MIN).length / 10;
    expect(before).toBeGreaterThan(10); // already busy
    expect(during / before).toBeGreaterThan(2.4);
    expect(during / before).toBeLessThan(3.6);
    const ids = posts.filter((p) => p.hashtags.includes(tag)).map((p) => p.author.id);
    expect(ids.every((id) => /^s31-u\d+$/.test(id))).toBe(true); // background accounts only
  });

  it('makes an established burst of ordinary texts by known accounts, and a firestorm of given real texts addressed to the watch', () => {
    const texts = ['RT @someone: this is a real text one', '@a @b real text two &amp; more', 'real text three'];
    const o: GeneratorOptions = { ...base, events: [
      { kind: 'burst', tag: 'Stadtrat', at: START + 10 * MIN, peakPerMinute: 60, rampMinutes: 5, durationMinutes: 30, established: true },
      { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 50 * MIN, peakPerMinute: 30, rampMinutes: 5, durationMinutes: 30, texts },
    ] };
    const posts = all(o);
    const burst = posts.filter((p) => p.hashtags.includes('stadtrat'));
    expect(burst.length).toBeGreaterThan(500);
    expect(burst.every((p) => /^s31-u\d+$/.test(p.author.id))).toBe(true);
    expect(burst.some((p) => /Wahnsinn|Breaking|Gänsehaut|Wow, what|Goosebumps/.test(p.text))).toBe(false);
    const storm = posts.filter((p) => /real text/.test(p.text));
    expect(storm.length).toBeGreaterThan(300);
    expect(new Set(storm.map((p) => p.text.replace(/^@DB_(Bahn|Info) /, '')))).toEqual(new Set(['this is a real text one', 'real text two &amp; more', 'real text three']));
    expect(storm.every((p) => p.lang === 'en' && p.mentions.length === 1 && new WatchMatcher([db]).match(p).watches[0] === 'deutsche-bahn')).toBe(true);
    expect(labelsFor(o).firestorms).toEqual([{ watch: 'deutsche-bahn', onset: '2026-11-27T09:50:00Z' }]);
  });
});
