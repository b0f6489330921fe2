// Shared test helpers: a config on fresh topics and database, a quiet logger, polling.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { loadConfig, type Config, type ConfigInput } from '../app/config.js';
import { createLogger } from '../lib/log.js';

let n = 0;
/** A unique name for this test's topics, tables and groups. */
export const uniqueName = (base: string): string => `${base}_${process.pid}_${Date.now().toString(36)}_${n++}`;

/** Config on fresh topics (prefix) and a fresh database; `store: 'chdb'` uses a new embedded store. */
export function testConfig(name: string, store: 'server' | 'chdb', overrides: ConfigInput = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      ...overrides,
      kafka: { brokers: inject('kafkaBrokers').split(','), topicPrefix: `${name}.`, ...overrides.kafka },
      clickhouse: store === 'server'
        ? { url: inject('clickhouseUrl'), database: name, ...overrides.clickhouse }
        : { path: mkdtempSync(path.join(os.tmpdir(), 'chdb-')), database: name, ...overrides.clickhouse },
      ingest: { port: 0, ...overrides.ingest },
      http: { port: 0, ...overrides.http },
    },
  });
}

export const testLogger = () => createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');

/** Polls `fn` until it returns a value for which `done` holds, or fails with the last value after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 120_000, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out waiting; last value: ${JSON.stringify(last).slice(0, 500)}`);
    await sleep(everyMs);
    last = await fn();
  }
  return last;
}
