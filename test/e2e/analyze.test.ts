// `trendstream analyze` as a data team runs it (CONTRACTS §1): NDJSON texts in, one score line per
// valid input line out, in input order, equal to what stage A computes in-process and stores (as
// float32); bad lines reported on stderr by line number and skipped; exit 1 on bad arguments or a
// missing file.
// Needs no server (it runs the CLI as a process on a small fixture).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseText } from '../../processors/text/sentiment.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const bin = path.join(root, 'bin', 'trendstream.mjs');
const fixture = path.join(root, 'test', 'fixtures', 'analyze.ndjson');
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', input, timeout: 120_000 });

describe('trendstream analyze', () => {
  it('scores every valid line in input order, as the pipeline does, and reports bad lines by number', () => {
    const r = cli(['analyze', '--input', fixture, '--output', '-']);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((o) => o.id)).toEqual(['de-1', 'de-2', '3', 'en-4', 'fr-5', 'und-6']);
    const inputs = readFileSync(fixture, 'utf8').split('\n').flatMap((l) => { try { return [JSON.parse(l) as { id: string | number; text?: string; lang?: string | null }]; } catch { return []; } });
    // The scores as the pipeline stores them (float32), written as the shortest decimal that reads back.
    const f32 = (x: Record<string, unknown>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, typeof v === 'number' ? Math.fround(v) : v]));
    for (const o of out) {
      const src = inputs.find((i) => String(i.id) === o.id)!;
      const { lang, scores } = analyseText(src.text!, src.lang ?? null);
      expect(f32(o)).toEqual(f32({ id: o.id, lang, ...scores }));
      expect(Object.keys(o)).toEqual(['id', 'lang', 'sentiment', 'negative', 'positive', 'toxic', 'toxicity', 'arousal']);
    }
    expect(out.map((o) => o.lang)).toEqual(['de', 'de', 'en', 'en', 'fr', 'und']);
    expect(out.find((o) => o.id === 'de-2')!.toxic).toBe(true);
    expect(out.find((o) => o.id === '3')!.toxic).toBe(false);
    expect(out.find((o) => o.id === '3')!.positive).toBe(true);
    const bad = r.stderr.trim().split('\n');
    expect(bad).toHaveLength(3);
    expect(bad[0]).toMatch(/line 5: not valid JSON/);
    expect(bad[1]).toMatch(/line 6: "text"/);
    expect(bad[2]).toMatch(/line 10: "lang"/);
  });

  it('reads stdin and writes stdout with -', () => {
    const r = cli(['analyze', '--input', '-', '--output', '-'], '{"id":"a","text":"Das ist wirklich super, danke!"}\n{"id":"b","text":"you are a complete idiot"}\n');
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; lang: string; toxic: boolean });
    expect(out.map((o) => [o.id, o.lang, o.toxic])).toEqual([['a', 'de', false], ['b', 'en', true]]);
  });

  it('exits 1 on a missing input file or missing arguments', () => {
    const missing = cli(['analyze', '--input', path.join(root, 'no-such-file.ndjson'), '--output', '-']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/input file not found/);
    const noArgs = cli(['analyze', '--output', '-']);
    expect(noArgs.status).toBe(1);
    expect(noArgs.stderr).toMatch(/--input/);
  });

  it('exits 2 naming the file when the output cannot be written', () => {
    const out = path.join(root, 'no-such-dir', 'scores.ndjson');
    const r = cli(['analyze', '--input', fixture, '--output', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(out);
  });
});
