import { describe, expect, it } from 'vitest';
import { skeleton } from '../../processors/confusables.js';
import { comparable, detectImpersonation, editDistance, ImpersonationDetector } from '../../processors/impersonation.js';
import { StageA } from '../../processors/stage-a.js';
import { decodeEvent, encodeEvent } from '../../schemas/events-codec.js';
import { eventRow } from '../../sinks/clickhouse/rows.js';
import { type Post, postCodec, postKey, postToJson, toPost } from '../../schemas/post.js';
import { topicNames } from '../../schemas/topics.js';
import { type Watch, WatchMatcher } from '../../schemas/watches.js';
import { generate, labelsFor } from '../../sim/generator.js';
import { impersonationScenarios } from '../../bench/scenarios.js';
import { Metrics } from '../../lib/metrics.js';
import { createLogger } from '../../lib/log.js';

const DAY = 86_400_000;
const T = Date.parse('2026-11-27T10:00:00Z');
const WATCH: Watch = { id: 'acme-air', name: 'Acme Air', handles: ['@acmeair'], keywords: [], hashtags: [], min_severity: 3, sensitivity: 1, channels: [], own_accounts: ['@acmeair_de', '@acmeair_uk', '@AcmeAirHelp'] };

let n = 0;
function post(handle: string, o: { display?: string; ageDays?: number; text?: string; mentions?: string[]; reply?: string; platform?: string } = {}): Post {
  n++;
  return {
    id: `p${n}`, platform: o.platform ?? 'mastodon', created_at: T,
    author: { id: `a-${handle}`, handle, followers: 10, created_at: T - (o.ageDays ?? 3) * DAY, display_name: o.display ?? null },
    text: o.text ?? 'hello', lang: 'en', reply_to: null, reply_to_author: o.reply ?? null, repost_of: null, hashtags: [], mentions: o.mentions ?? [], metrics: { likes: 0, reposts: 0, replies: 0 },
  };
}
const flagged = (p: Post, watches: Watch[] = [WATCH]) => new ImpersonationDetector(watches).offer(p);

describe('confusables skeleton (UTS #39 subset)', () => {
  it('maps Cyrillic and Greek look-alikes and digit prototypes onto Latin', () => {
    expect(skeleton('аcmeаir')).toBe('acmeair'); // Cyrillic а U+0430
    expect(skeleton('асmеаіr')).toBe('acmeair'); // Cyrillic а с е і
    expect(skeleton('αcmeαir')).toBe('acmeair'); // Greek α
    expect(skeleton('acmeaIr')).toBe('acmealr'); // capital I → l, as the table says
    expect(comparable('ACME0A1R')).toBe('acmeoalr');
    expect(skeleton('rnodern')).toBe('modem');
  });
  it('measures Damerau–Levenshtein distance, transpositions as one edit', () => {
    expect(editDistance('acmeair', 'acmeair')).toBe(0);
    expect(editDistance('acmeiar', 'acmeair')).toBe(1);
    expect(editDistance('acmair', 'acmeair')).toBe(1);
    expect(editDistance('acmeairr', 'acmeair')).toBe(1);
    expect(editDistance('axmexir', 'acmeair')).toBe(2);
    expect(editDistance('zzzzzzzzzz', 'acmeair', 2)).toBe(3);
  });

  it('equals the full optimal-string-alignment table on random strings, and says "more than max" exactly when it is', () => {
    const full = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
        }
      }
      return d[a.length]![b.length]!;
    };
    let seed = 5;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const word = (n: number) => Array.from({ length: n }, () => 'abcé'[Math.floor(rnd() * 4)]).join('');
    for (let k = 0; k < 5000; k++) {
      const a = word(Math.floor(rnd() * 12));
      const b = word(1 + Math.floor(rnd() * 12));
      const d = full(a, b);
      expect(editDistance(a, b), `${a} ${b}`).toBe(d);
      for (const max of [0, 1, 2]) expect(editDistance(a, b, max) > max, `${a} ${b} ${max}`).toBe(d > max);
    }
  });
});

describe('ImpersonationDetector', () => {
  it.each([
    ['confusable characters', '@аcmeаir@evil.example'],
    ['an added separator', '@acme_air'],
    ['dots and dashes', '@acme.air-'],
    ['added digits', '@acmeair2026'],
    ['a digit for a letter', '@acme4ir'],
    ['a zero for an o and a one for an l in a word', '@acmeair_0fficia1'],
    ['one edit', '@acmeiar'],
    ['a support word', '@acmeair_support'],
    ['an official word in front', '@official_acmeair'],
    ['German help words', '@acmeair_kundenservice'],
    ['hilfe and a region', '@acme_air_hilfe_de'],
    ['real and hq', '@realacmeairhq'],
  ])('reports a young account imitating by %s', (_, handle) => {
    const [e, ...rest] = flagged(post(handle));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ type: 'impersonation', state: 'opened', watch: 'acme-air', imitates: '@acmeair', account: { platform: 'mastodon', handle } });
    expect(e!.id).toBe(`impersonation:acme-air:mastodon:a-${handle}:opened`);
  });

  it('reports an old account that addresses the watch, by its display name', () => {
    const [e] = flagged(post('@travel_desk_4471', { ageDays: 900, display: 'Acme Air Support', reply: '@acmeair' }));
    expect(e).toMatchObject({ imitates: '@acmeair', detected_at: '2026-11-27T10:00:00Z' });
    expect(e!.reasons.map((r) => r.code)).toEqual(['imitates_display_name', 'brand_words', 'addresses_watch']);
  });

  it('ignores an old look-alike that does not address the watch', () => {
    expect(flagged(post('@acme_air', { ageDays: 900, mentions: ['@someone'] }))).toEqual([]);
    expect(flagged(post('@acme_air', { ageDays: 900, mentions: ['@acmeair@mastodon.social'] }))).toHaveLength(1);
  });

  it.each([
    ['fans', '@acmeair_fan', undefined],
    ['fans who love it', '@ilove_acmeair', undefined],
    ['a parody handle', '@acmeair_parody', undefined],
    ['a parody display name', '@acme_air', 'Acme Air (Parody)'],
    ['a declared not-affiliated account', '@acmeair_news', 'Acme Air news – not affiliated'],
    ['satire', '@fakeacmeair', undefined],
    ['the brand itself', '@acmeair', undefined],
    ['own regional accounts', '@acmeair_de@mastodon.social', undefined],
    ['own help desk listed in the watch', '@AcmeAirHelp', undefined],
    ['unrelated similar words', '@acme_hardware', undefined],
    ['unrelated air words', '@fairair_travel', undefined],
    ['an air-conditioning shop', '@acmeaircon', undefined],
  ])('does not report %s', (_, handle, display) => {
    expect(flagged(post(handle, { display, mentions: ['@acmeair'] }))).toEqual([]);
  });

  it('reports each (watch, account) once, and again only after the pair was forgotten', () => {
    const d = new ImpersonationDetector([WATCH], { capacity: 2 });
    expect(d.offer(post('@acme_air'))).toHaveLength(1);
    expect(d.offer(post('@acme_air'))).toHaveLength(0);
    d.offer(post('@acmeair_help_2'));
    d.offer(post('@acmeair_support'));
    expect(d.offer(post('@acme_air'))).toHaveLength(1);
  });

  it('is deterministic: a replay gives the same events', () => {
    const ps = [post('@acme_air'), post('@аcmeаir'), post('@acmeair_fan')];
    const run = () => { const d = new ImpersonationDetector([WATCH]); return ps.flatMap((p) => d.offer(p)); };
    expect(run()).toEqual(run());
    expect(run()).toHaveLength(2);
  });
});

describe('impersonation in the live path and in detect', () => {
  it('stage A emits on the alerts topic exactly the impersonation events detect writes, each labelled impersonator once', () => {
    const sc = impersonationScenarios(0)[0]!;
    const opts = { ...sc.opts, minutes: 200, postsPerMinute: 20 };
    const posts = [...generate(opts)];
    const watches = opts.watches!;
    const fromDetect = [...detectImpersonation(posts.map((p) => toPost(postToJson(p), Infinity)), watches)];
    const matcher = new WatchMatcher(watches);
    const stage = new StageA({ topics: topicNames('t'), latenessMs: 60_000, postsPartitions: 1, countsPartitions: 1, matcher: () => matcher, metrics: new Metrics(), log: createLogger('silent') });
    stage.restore(0, null);
    const live: unknown[] = [];
    for (let i = 0; i < posts.length; i += 500) {
      const batch = posts.slice(i, i + 500).map((p, k) => ({ offset: String(i + k), key: Buffer.from(postKey(p)), value: postCodec().encode({ ...p, ingested_at: 0 }), timestamp: '0', attributes: 0, headers: {} }));
      for (const out of stage.process(0, batch).messages) if (out.topic === topicNames('t').alerts) live.push(...out.messages.map((m) => decodeEvent(m.value as Buffer)));
    }
    expect(live).toEqual(fromDetect);
    const labelled = (labelsFor(opts).impersonators ?? []).map((l) => `${l.watch} ${l.account}`).sort();
    expect(fromDetect.map((e) => `${e.watch} ${e.account.platform}:${e.account.id}`).sort()).toEqual(labelled);
  });
});

describe('impersonation events on the alerts topic and in ClickHouse', () => {
  it('survive the Avro round trip (events v2) and become an alerts row the dashboard lists', () => {
    const [e] = flagged(post('@acme_air', { mentions: ['@acmeair'] }));
    expect(decodeEvent(encodeEvent(e!))).toEqual(e);
    const { table, row } = eventRow(e!);
    expect(table).toBe('alerts');
    expect(row).toMatchObject({ id: e!.id, state: 'opened', watch: 'acme-air', severity: 3, inauthentic: 1, samples: JSON.stringify(e!.samples) });
    expect(row.summary).toMatch(/^Impersonation: @acme_air imitates @acmeair by its handle/);
  });
});
