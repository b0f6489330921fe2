#!/usr/bin/env node
// Entry of `npm run demo|test|eval|bench` on a fresh clone: installs the npm dependencies
// when they are missing (nothing else needs to be set up by hand), then runs the command.
// Kafka and ClickHouse are fetched, installed and started by the commands themselves.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [, , command, ...args] = process.argv;

const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.error) { console.error(`cannot run ${cmd}: ${r.error.message}`); process.exit(1); }
  return r.status ?? 1;
};

const needed = ['kafkajs', '@clickhouse/client', 'chdb', 'tsx', 'vitest', 'avsc'];
if (!needed.every((p) => existsSync(path.join(root, 'node_modules', p, 'package.json')))) {
  console.error('Installing npm dependencies (first run)…');
  const status = run('npm', ['install', '--no-audit', '--no-fund']);
  if (status !== 0) { console.error('npm install failed; see the output above'); process.exit(status); }
}

// The benchmarks' own dependencies (bench/package.json: the client compared with kafkajs, which
// declares Node >= 22.19 and so stays out of the project's install), for `bench` and `check`.
const benchDeps = () => {
  if (existsSync(path.join(root, 'bench', 'node_modules', '@platformatic', 'kafka', 'package.json'))) return 0;
  console.error('Installing the benchmarks\' own dependencies (bench/package.json)…');
  return run('npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund']);
};
if (command === 'bench-deps') process.exit(benchDeps());
if (command === 'bench') {
  const status = benchDeps();
  if (status !== 0) process.exit(status);
}

const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const vitest = path.join(root, 'node_modules', '.bin', 'vitest');
const targets = {
  // Not through the tsx command: on Ctrl-C it gives the program 30 ms to acknowledge the signal
  // and then kills it with SIGKILL, which a busy demo missed and left its Kafka broker running.
  // bin/trendstream.mjs registers tsx's loader in the demo's own process instead.
  demo: [process.execPath, ['bin/trendstream.mjs', 'demo', ...args]],
  test: [vitest, ['run', ...args]],
  eval: [tsx, ['bench/eval.ts', ...args]],
  bench: [tsx, ['bench/run.ts', ...args]],
};
const target = targets[command];
if (!target) { console.error(`unknown command ${command}; use one of ${Object.keys(targets).join(', ')}`); process.exit(1); }
// The command runs as our child and we wait for it. Ctrl-C reaches it from the terminal (same
// process group); signals sent to us alone (npm forwards SIGINT and SIGTERM) are passed on, and
// we never exit before it does, so a terminal or npm never sees the command "done" while it is
// still stopping what it started.
const child = spawn(target[0], target[1], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { if (child.exitCode === null) child.kill(sig); });
child.once('error', (e) => { console.error(`cannot run ${target[0]}: ${e.message}`); process.exit(1); });
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 1) : 1)));
