// `npm run demo` and Ctrl-C as a person at a terminal does it (issue 22): the demo runs under
// `script` in a pseudo-terminal, and a Ctrl-C byte written to the terminal makes its line
// discipline send SIGINT to the whole foreground process group (npm, bootstrap, the demo). At
// each point of a run — while the broker starts, while the generator feeds, with the top
// hashtags on screen — the demo says it stopped, and no process of that run is left: neither one
// carrying the run's marker in its environment (the demo, its broker, anything they started)
// nor the broker named in its pid file. And the libraries' log lines (kafkajs, the ClickHouse
// client) never reach the screen: they go to the demo's log file under its state folder. On a
// fresh broker kafkajs always logs some (the first coordinator lookups find Kafka's internal
// topics not created yet, or loading), so the file's having them is asserted.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { freePort, portOpen } from '../../deploy/local/process.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** Pids of live processes whose environment holds `marker` (zombies have none left). */
function marked(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`).includes(marker)) pids.push(Number(d));
    } catch { /* gone meanwhile, or not ours */ }
  }
  return pids;
}

/** A port whose successor (the KRaft controller's) is free as well. */
async function brokerPort(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65000 && !(await portOpen(p + 1))) return p;
  }
}

interface Run { output: string; code: number | null; leftover: number[]; pidFileLeft: boolean; brokerStarted: boolean; libraryLog: string }

/**
 * Runs the demo in a pseudo-terminal, presses Ctrl-C once `when` matches its screen (and, with
 * `brokerSpawned`, once the broker process runs in its own session, which its pid file says:
 * the storage format before it runs synchronously for a second or more), waits for the end.
 */
async function ctrlC(when: RegExp, brokerSpawned = false): Promise<Run> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'demo-ctrlc-'));
  const marker = `TRENDSTREAM_DEMO_RUN=${randomUUID()}`;
  const port = await brokerPort();
  const env: NodeJS.ProcessEnv = { ...process.env, TRENDSTREAM_HOME: home, TRENDSTREAM_CHDB_PATH: path.join(home, 'chdb'), TRENDSTREAM_HTTP_PORT: '0', TRENDSTREAM_INGEST_PORT: '0', TERM: 'xterm', LOG_LEVEL: 'warn' };
  delete env.KAFKA_BROKERS;
  delete env.CLICKHOUSE_URL;
  env[marker.split('=')[0]!] = marker.split('=')[1];
  const cmd = `npm run demo -- --kafka-port ${port} --rate 600 --speed 60`;
  const term = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let pressed = false;
  const brokerLog = path.join(home, 'demo-kafka', 'kafka.log');
  const pidFile = path.join(home, 'demo-kafka', 'kafka.pid');
  const exited = new Promise<number | null>((r) => term.once('exit', (code) => r(code)));
  const press = () => {
    if (pressed || !when.test(output) || (brokerSpawned && !existsSync(pidFile))) return;
    pressed = true;
    term.stdin!.write('\x03');
  };
  const onData = (d: Buffer) => { output += d.toString(); press(); };
  term.stdout!.on('data', onData);
  term.stderr!.on('data', onData);
  const poll = setInterval(press, 20);
  try {
    const code = await exited;
    const libraryLog = path.join(home, 'demo-libraries.log');
    return { output, code, leftover: marked(marker), pidFileLeft: existsSync(pidFile), brokerStarted: existsSync(brokerLog), libraryLog: existsSync(libraryLog) ? readFileSync(libraryLog, 'utf8') : '' };
  } finally {
    clearInterval(poll);
    for (const pid of marked(marker)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}

/** Log lines of the libraries on the screen: JSON lines naming the kafkajs or ClickHouse client component. */
const LIBRARY_LINE = /"component":"(kafkajs|clickhouse)"/;

// Concurrently (each run has its own broker port, state folder and marker): one after another the three
// runs took 214 s on the shared 2-core machine, together 188 s.
describe.concurrent('npm run demo and Ctrl-C', () => {
  it('stops everything it started when Ctrl-C comes while the broker starts: no pipeline is started after it', async ({ expect }) => {
    const r = await ctrlC(/Starting Apache Kafka/, true);
    expect(r.output).toContain('Stopping…');
    expect(r.output).toContain('Stopped.');
    expect(r.output).not.toContain('Dashboard:');
    expect(r.brokerStarted).toBe(true);
    expect([r.code, r.leftover, r.pidFileLeft]).toEqual([130, [], false]);
  });

  it('stops everything it started when Ctrl-C comes while the generator feeds', async ({ expect }) => {
    const r = await ctrlC(/Dashboard: http/);
    expect(r.output).toContain('Stopped.');
    expect(r.output).not.toMatch(LIBRARY_LINE);
    expect([r.code, r.leftover, r.pidFileLeft]).toEqual([130, [], false]);
  });

  it('stops everything it started when Ctrl-C comes late, with the top hashtags on screen, and kept the libraries\' log lines off it, in its log file', async ({ expect }) => {
    const r = await ctrlC(/ 1\. #\S+ +\d+ posts/);
    expect(r.output).toContain('Stopped.');
    expect([r.code, r.leftover, r.pidFileLeft]).toEqual([130, [], false]);
    // The libraries' lines went to the log file, none to the screen.
    expect(r.output).not.toMatch(LIBRARY_LINE);
    const lines = r.libraryLog.trim().split('\n').map((l) => JSON.parse(l) as { component: string });
    expect(lines.some((l) => l.component === 'kafkajs')).toBe(true);
    expect(lines.filter((l) => l.component !== 'kafkajs' && l.component !== 'clickhouse')).toEqual([]);
  });
});
