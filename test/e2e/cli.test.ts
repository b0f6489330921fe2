// The `trendstream` command as a person and a script use it: --help on every command, errors
// with exit codes scripts can rely on (1 bad arguments or input, 2 runtime failure), and
// `detect` over a large file: a progress bar on a terminal, silence without one, and the
// same events as the detectors in-process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { detectPosts, DEFAULT_LATENESS_MS } from '../../processors/detect.js';
import { writeScenarioFiles } from './harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const bin = path.join(root, 'bin', 'trendstream.mjs');
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', input, env: { ...process.env, LOG_LEVEL: 'error' }, timeout: 300_000 });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-'));

describe('trendstream CLI', () => {
  it('prints --help for every command and exits 0', () => {
    for (const cmd of [[], ['demo'], ['detect'], ['analyze'], ['ingest'], ['process'], ['sink'], ['serve'], ['migrate'], ['top'], ['alerts'], ['watches', 'validate']]) {
      const r = cli([...cmd, '--help']);
      expect(r.status, `${cmd.join(' ')} --help`).toBe(0);
      expect(r.stdout).toMatch(/Usage: trendstream/);
    }
  });

  it('exits 1 on bad arguments or unreadable input, naming the problem', () => {
    const missing = cli(['detect', '--output', '-']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--input/);
    const noFile = cli(['detect', '--input', path.join(tmp, 'nope.ndjson'), '--output', '-']);
    expect(noFile.status).toBe(1);
    expect(noFile.stderr).toMatch(/input file not found/);
    const badWatches = path.join(tmp, 'bad-watches.json');
    writeFileSync(badWatches, JSON.stringify([{ id: 'Bad Id', name: 'x' }]));
    const v = cli(['watches', 'validate', badWatches]);
    expect(v.status).toBe(1);
    expect(v.stdout + v.stderr).toMatch(/id/);
    expect(cli(['process', '--stage', 'c', '--watches', badWatches]).status).toBe(1);
    expect(cli(['no-such-command']).status).toBe(1);
    const goodWatches = path.join(tmp, 'watches.json');
    writeFileSync(goodWatches, JSON.stringify(EVAL_WATCHES));
    expect(cli(['watches', 'validate', goodWatches]).status).toBe(0);
  });

  it('ingest and serve refuse to start without tokens or --insecure-no-auth, naming the token settings', () => {
    // Nothing is reachable: the refusal comes before any connection.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'error', KAFKA_BROKERS: '127.0.0.1:9', CLICKHOUSE_URL: 'http://127.0.0.1:9' };
    const run = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...env, ...extra }, timeout: 60_000 });
    const ingest = run(['ingest']);
    expect(ingest.status).toBe(1);
    expect(ingest.stderr).toMatch(/refusing to serve without authentication: ingest needs a bearer token: set TRENDSTREAM_INGEST_TOKENS \(config ingest\.tokens\)/);
    expect(ingest.stderr).toMatch(/--insecure-no-auth/);
    const serve = run(['serve']);
    expect(serve.status).toBe(1);
    expect(serve.stderr).toMatch(/TRENDSTREAM_API_READ_TOKENS and\/or TRENDSTREAM_API_ADMIN_TOKENS \(config api\.readTokens, api\.adminTokens\)/);
    // An API token alone does not open ingest, nor an ingest token the API.
    expect(run(['ingest'], { TRENDSTREAM_API_ADMIN_TOKENS: 'admin-token-0123456789' }).status).toBe(1);
    expect(run(['serve'], { TRENDSTREAM_INGEST_TOKENS: 'ingest-token-0123456789' }).status).toBe(1);
  });

  it('exits 2 when the API it asks is not there', () => {
    const r = cli(['top', '--url', 'http://127.0.0.1:9']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot reach/);
  });

  it('detect over a large file: same events as in-process, a progress bar on a terminal only', () => {
    const { posts, input, watches } = writeScenarioFiles(tmp, { seed: 5, minutes: 120, postsPerMinute: 1500, burstAt: 40, stormAt: 70, extra: '{"not": "a post"}\n' });
    const expected = [...detectPosts(posts, { latenessMs: DEFAULT_LATENESS_MS, watches: EVAL_WATCHES })];
    expect(expected.length).toBeGreaterThan(2);

    const plain = cli(['detect', '--input', input, '--output', path.join(tmp, 'out.ndjson'), '--watches', watches]);
    expect(plain.status).toBe(0);
    expect(plain.stderr).not.toMatch(/posts\/s/);
    expect(plain.stderr).toMatch(/skipped 1 invalid line/);
    const got = readFileSync(path.join(tmp, 'out.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(got).toEqual(JSON.parse(JSON.stringify(expected)));

    // A pseudo-terminal through util-linux `script`: the bar shows rate and ETA.
    const cmd = `${process.execPath} ${bin} detect --input ${input} --output ${path.join(tmp, 'tty.ndjson')} --watches ${watches}`;
    const tty = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/detect \|.*\| \d+% · [\d,]+ posts · [\d,]+ posts\/s · ETA/);
    expect(readFileSync(path.join(tmp, 'tty.ndjson'), 'utf8')).toBe(readFileSync(path.join(tmp, 'out.ndjson'), 'utf8'));
  });
});
