// The demo's log split (issue 22): library components' lines (kafkajs, the ClickHouse client) go to a file, the rest stays on screen.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../lib/clickhouse/client.js';
import { componentsToFile, createLogger } from '../../lib/log.js';

describe('componentsToFile', () => {
  it('writes the lines of the named components to the file and every other line to the rest', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'log-split-')), 'state', 'libraries.log');
    const screen: string[] = [];
    const log = createLogger('info', componentsToFile(file, ['kafkajs', 'clickhouse'], { write: (l: string) => { screen.push(l); } }));
    log.child({ component: 'kafkajs' }).warn({ broker: '127.0.0.1:9092' }, 'The coordinator is loading');
    log.child({ component: 'pipeline' }).child({ component: 'clickhouse' }).warn({ module: 'Connection' }, 'socket closed');
    log.child({ component: 'pipeline' }).error('generator stopped');
    log.info('kafkajs is mentioned, but this is not its line');
    const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as { component?: string; msg: string });
    const filed = parse(readFileSync(file, 'utf8').trim().split('\n'));
    expect(filed.map((l) => [l.component, l.msg])).toEqual([['kafkajs', 'The coordinator is loading'], ['clickhouse', 'socket closed']]);
    expect(parse(screen).map((l) => [l.component, l.msg])).toEqual([['pipeline', 'generator stopped'], [undefined, 'kafkajs is mentioned, but this is not its line']]);
  });
});

describe('the ClickHouse client in pino', () => {
  it('logs its warnings as lines of component "clickhouse", which the demo files away', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'log-ch-')), 'libraries.log');
    const screen: string[] = [];
    const log = createLogger('info', componentsToFile(file, ['kafkajs', 'clickhouse'], { write: (l: string) => { screen.push(l); } }));
    // A URL parameter overriding a setting openStore gives makes the client warn while it is created.
    const store = openStore({ url: 'http://127.0.0.1:1/?request_timeout=5000', database: 'x', username: 'default', password: '', path: '' }, log);
    void store.close();
    const filed = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { component: string; level: number; msg: string });
    expect(filed.map((l) => [l.component, l.level, l.msg])).toEqual([['clickhouse', 40, '"request_timeout" is overridden by a URL parameter.']]);
    expect(screen).toEqual([]);
  });
});
