// `npm run build` (scripts/build.mjs): the compiled tree the image runs. It must load every
// module, carry the files modules read beside themselves, and give the same output as the
// sources run through tsx (bin/trendstream.mjs), byte for byte, for `analyze` and `detect`.
// Built into a folder of its own inside the checkout (so node_modules resolves), not dist/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeScenarioFiles } from './harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const state = path.join(root, '.trendstream');
mkdirSync(state, { recursive: true });
const work = mkdtempSync(path.join(state, 'build-test-'));
const out = path.join(work, 'dist');
const run = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'error' }, timeout: 300_000 });
const sources = path.join(root, 'bin', 'trendstream.mjs');
const compiled = path.join(out, 'bin', 'trendstream.mjs');

afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = path.join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});

describe('the compiled tree (npm run build)', () => {
  it('builds, loads every module and carries the files modules read beside themselves', () => {
    const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--out', out], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(b.status, b.stderr).toBe(0);
    const modules = files(out).filter((f) => f.endsWith('.js') && !f.includes(`${path.sep}public${path.sep}`));
    expect(modules.length).toBeGreaterThan(80);
    for (const asset of ['processors/text/toxicity-model.bin', 'processors/text/eld-small.bin', 'schemas/post.v2.avsc', 'schemas/migrations/001_tables.sql',
      'serve/public/index.html', 'serve/public/app.js', 'serve/public/style.css', 'deploy/local/kafka-pom.xml']) {
      expect(readFileSync(path.join(out, asset)).equals(readFileSync(path.join(root, asset))), asset).toBe(true);
    }
    // Every module but the CLI entry (which parses argv when loaded) imports without error.
    const importAll = `for (const f of ${JSON.stringify(modules.filter((f) => !f.endsWith(path.join('cli', 'main.js'))))}) await import(f); console.log('ok')`;
    const loaded = spawnSync(process.execPath, ['--input-type=module', '-e', importAll], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout.trim()).toBe('ok');
    const help = run(compiled, ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/analyze \[options\]/);
  });

  it('analyze and detect write what the sources write, byte for byte', () => {
    const fixture = path.join(root, 'test', 'fixtures', 'analyze.ndjson');
    const a = [sources, compiled].map((bin) => run(bin, ['analyze', '--input', fixture, '--output', '-']));
    expect(a[1]!.status, a[1]!.stderr).toBe(0);
    expect(a[1]!.stdout.split('\n').length).toBeGreaterThan(5);
    expect(a[1]!.stdout).toBe(a[0]!.stdout);

    const { input, watches } = writeScenarioFiles(work, { seed: 9, minutes: 40, postsPerMinute: 400, burstAt: 12, stormAt: 18 });
    const events = [sources, compiled].map((bin, i) => {
      const file = path.join(work, `events-${i}.ndjson`);
      const r = run(bin, ['detect', '--input', input, '--output', file, '--watches', watches]);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(file, 'utf8');
    });
    const kinds = new Set(events[0]!.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type));
    expect([...kinds].sort()).toEqual(['alert', 'trend']);
    expect(events[1]).toBe(events[0]);
  });
});
