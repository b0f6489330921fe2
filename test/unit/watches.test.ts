import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fold } from '../../schemas/normalise.js';
import { type Watch, WatchMatcher, WatchSchema } from '../../schemas/watches.js';
import { generate } from '../../sim/generator.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';

const watch = (o: Partial<Watch> & { id: string }): Watch => WatchSchema.parse({ name: o.id, ...o });
const post = (text: string, o: { hashtags?: string[]; mentions?: string[]; reply?: string } = {}) =>
  ({ text, hashtags: o.hashtags ?? [], mentions: o.mentions ?? [], reply_to_author: o.reply ?? null });

/** What keyword matching means, without the matcher's shortcuts: each keyword's pattern over the folded text. */
function keywordReference(watches: readonly Watch[], text: string): string[] {
  const folded = fold(text);
  const ids = new Set<string>();
  for (const w of watches) {
    for (const k of w.keywords) {
      const esc = fold(k).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
      if (new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])${esc}(?![\\p{L}\\p{M}\\p{N}_])`, 'u').test(folded)) ids.add(w.id);
    }
  }
  return [...ids].sort();
}

describe('WatchMatcher', () => {
  const db = watch({ id: 'deutsche-bahn', handles: ['@DB_Bahn'], keywords: ['deutsche bahn', 'db navigator'], hashtags: ['Bahnchaos'] });
  const street = watch({ id: 'strasse', keywords: ['Straße', 'a.b (c)'] });
  const m = new WatchMatcher([db, street]);

  it('matches keywords as whole words, case and width folded, with any whitespace between their words', () => {
    expect(m.match(post('Die Deutsche   Bahn ist zu spät')).watches).toEqual(['deutsche-bahn']);
    expect(m.match(post('DEUTSCHE\nBAHN!')).watches).toEqual(['deutsche-bahn']);
    expect(m.match(post('Die deutschebahn')).watches).toEqual([]);
    expect(m.match(post('xdeutsche bahn')).watches).toEqual([]);
    expect(m.match(post('deutsche bahnhof')).watches).toEqual([]);
    expect(m.match(post('Ｄｅｕｔｓｃｈｅ Ｂａｈｎ')).watches).toEqual(['deutsche-bahn']); // full-width: NFKC
    expect(m.match(post('In der STRASSE')).watches).toEqual(['strasse']); // ß folds to ss
    expect(m.match(post('siehe a.b (c) hier')).watches).toEqual(['strasse']); // pattern characters are literal
    expect(m.match(post('siehe axb (c) hier')).watches).toEqual([]);
  });

  it('matches hashtags and handles, and names the watches whose handles a post addresses', () => {
    expect(m.match(post('nichts', { hashtags: ['bahnchaos'] }))).toEqual({ watches: ['deutsche-bahn'], mentioned: [] });
    expect(m.match(post('nichts', { mentions: ['@db_bahn'] }))).toEqual({ watches: ['deutsche-bahn'], mentioned: ['deutsche-bahn'] });
    expect(m.match(post('nichts', { mentions: ['@DB_Bahn@social.example'] }))).toEqual({ watches: ['deutsche-bahn'], mentioned: ['deutsche-bahn'] });
    expect(m.match(post('nichts', { reply: '@db_bahn' })).mentioned).toEqual(['deutsche-bahn']);
    expect(m.match(post('Straße', { hashtags: ['bahnchaos'] }))).toEqual({ watches: ['deutsche-bahn', 'strasse'], mentioned: [] });
  });

  it('finds exactly the keywords their patterns find, over generated posts and hostile strings', () => {
    const watches = [...EVAL_WATCHES, street, watch({ id: 'emoji', keywords: ['🚆 chaos', 'İstanbul'] })];
    const matcher = new WatchMatcher(watches);
    const hostile = JSON.parse(readFileSync(new URL('../fixtures/hostile-strings.json', import.meta.url), 'utf8')) as string[];
    const texts = [...hostile, ...hostile.map((h) => `deutsche ${h} bahn telekom${h}`), 'istanbul', '🚆  Chaos', 'TELEKOM', 'telekomausfall'];
    let n = 0;
    for (const p of generate({ seed: 7, start: Date.parse('2026-11-24T06:00:00Z'), minutes: 60, postsPerMinute: 300, watches: EVAL_WATCHES,
      events: [{ kind: 'firestorm', watch: 'telekom', at: Date.parse('2026-11-24T06:10:00Z'), peakPerMinute: 200, rampMinutes: 3, durationMinutes: 20 }] })) {
      texts.push(p.text);
      if (++n >= 15_000) break;
    }
    let matched = 0;
    for (const text of texts) {
      const want = keywordReference(watches, text);
      expect(matcher.match(post(text)).watches, text).toEqual(want);
      if (want.length) matched++;
    }
    expect(matched).toBeGreaterThan(500); // the firestorm's posts name the watch
  });
});
