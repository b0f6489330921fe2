// The ClickHouse sink's shared insert on the ClickHouse server: the rows of the batches in
// flight go into one insert per table, a batch is released only once that insert is
// acknowledged, and a failed insert fails every batch that waited on it (they are retried).
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { inject, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../lib/clickhouse/client.js';
import { SharedInsert, type Tables } from '../../sinks/clickhouse/sink.js';
import { uniqueName } from '../helpers.js';

const HOSTILE: string[] = JSON.parse(readFileSync(new URL('../fixtures/hostile-strings.json', import.meta.url), 'utf8'));

const rows = (batch: string, n: number): Record<string, unknown>[] => Array.from({ length: n }, (_, x) => ({ batch, x }));
const tables = (entries: [string, Record<string, unknown>[]][]): Tables => new Map(entries);

async function withDb(fn: (store: Store, db: string) => Promise<void>): Promise<void> {
  const db = uniqueName('shared_insert');
  const store = openStore({ url: inject('clickhouseUrl'), database: db, username: 'default', password: '', path: '' });
  try {
    await store.command({ query: `CREATE DATABASE ${db}` });
    for (const t of ['a', 'b']) await store.command({ query: `CREATE TABLE ${db}.${t} (batch String, x UInt32) ENGINE = Memory` });
    await fn(store, db);
  } finally {
    await store.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await store.close();
  }
}

/** The store, recording each insert (table, rows) when ClickHouse acknowledged it, and the order of events. */
function recording(store: Store, log: string[]) {
  const inserts: { table: string; rows: number }[] = [];
  return {
    inserts,
    store: { insert: async (a: Parameters<Store['insert']>[0]) => {
      // The body is a stream of TabSeparated lines: read it to count them, and hand the same bytes on.
      const body = Buffer.concat(await (a.values as Readable).toArray());
      const r = await store.insert({ ...a, values: Readable.from([body], { objectMode: false }) });
      inserts.push({ table: a.table, rows: body.toString().split('\n').length - 1 });
      log.push(`acked ${a.table}`);
      return r;
    } } as Pick<Store, 'insert'>,
  };
}

async function count(store: Store, table: string): Promise<number> {
  const [r] = await (await store.query({ query: `SELECT toString(count()) AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(r!.n);
}

describe('the sink\'s shared insert (ClickHouse server)', () => {
  it('writes the batches in flight in one insert per table and releases each only after its insert is acknowledged', async () => {
    await withDb(async (store, db) => {
      const log: string[] = [];
      const rec = recording(store, log);
      const errors: unknown[] = [];
      const s = new SharedInsert({ store: rec.store, database: db, lingerMs: 300, maxRows: 1000, onError: (e) => errors.push(e) });
      await Promise.all([
        s.write(tables([['a', rows('p0', 5)]])).then(() => log.push('released p0')),
        s.write(tables([['a', rows('p1', 7)], ['b', rows('p1', 2)]])).then(() => log.push('released p1')),
        s.write(tables([['a', rows('p2', 9)], ['b', []]])).then(() => log.push('released p2')),
      ]);
      expect(rec.inserts).toEqual([{ table: `${db}.a`, rows: 21 }, { table: `${db}.b`, rows: 2 }]);
      expect(log.slice(0, 2)).toEqual([`acked ${db}.a`, `acked ${db}.b`]);
      expect(log.slice(2).sort()).toEqual(['released p0', 'released p1', 'released p2']);
      expect(await count(store, `${db}.a`)).toBe(21);
      expect(await count(store, `${db}.b`)).toBe(2);
      expect(errors).toEqual([]);
    });
  });

  it('inserts at once when maxRows is reached, without waiting for the linger, and starts a new insert after', async () => {
    await withDb(async (store, db) => {
      const rec = recording(store, []);
      // A linger longer than the test's timeout: only maxRows can release these batches.
      const s = new SharedInsert({ store: rec.store, database: db, lingerMs: 600_000, maxRows: 10, onError: () => {} });
      await Promise.all([s.write(tables([['a', rows('p0', 6)]])), s.write(tables([['a', rows('p1', 6)]]))]);
      await s.write(tables([['a', rows('p2', 10)]]));
      expect(rec.inserts).toEqual([{ table: `${db}.a`, rows: 12 }, { table: `${db}.a`, rows: 10 }]);
      expect(await count(store, `${db}.a`)).toBe(22);
    });
  });

  it('fails every batch of a failed insert, reports it once, and the next insert goes through', async () => {
    await withDb(async (store, db) => {
      const errors: { table: string; rows: number }[] = [];
      const s = new SharedInsert({ store, database: db, lingerMs: 100, maxRows: 1000, onError: (_e, table, n) => errors.push({ table, rows: n }) });
      const results = await Promise.allSettled([s.write(tables([['missing', rows('p0', 3)]])), s.write(tables([['missing', rows('p1', 4)]]))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(errors).toEqual([{ table: 'missing', rows: 7 }]);
      await s.write(tables([['a', rows('p0', 3)]]));
      expect(await count(store, `${db}.a`)).toBe(3);
    });
  });

  it('stores every hostile string, in String and Array(String) columns, exactly as the rows held it', async () => {
    await withDb(async (store, db) => {
      await store.command({ query: `CREATE TABLE ${db}.h (i UInt32, v String, tags Array(String), f Float32, t DateTime) ENGINE = Memory` });
      // Strings travel as UTF-8: a lone surrogate arrives as U+FFFD.
      const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
      const rowsIn = HOSTILE.map((v, i) => ({ i, v, tags: [v, `${v}'`, '\\', ''], f: i / 7, t: '2026-12-07 08:30:00' }));
      const s = new SharedInsert({ store, database: db, lingerMs: 10, maxRows: 1000, onError: () => {} });
      await s.write(tables([['h', rowsIn], ['a', [{ batch: 'another table in the same flush', x: 1 }]]]));
      const out = await (await store.query({ query: `SELECT i, v, tags, f, toString(t) AS t FROM ${db}.h ORDER BY i`, format: 'JSONEachRow' }))
        .json<{ i: number; v: string; tags: string[]; f: number; t: string }>();
      expect(out.map((r) => ({ ...r, i: Number(r.i), f: Math.fround(Number(r.f)) })))
        .toEqual(rowsIn.map((r) => ({ i: r.i, v: wellFormed(r.v), tags: r.tags.map(wellFormed), f: Math.fround(r.f), t: r.t })));
      expect(await count(store, `${db}.a`)).toBe(1);
    });
  });
});
