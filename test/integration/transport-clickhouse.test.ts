// ClickHouse over HTTPS with a private CA and a client certificate, against the real
// clickhouse-server 18.16 of deploy/local: its <https_port> with an openssl-made server
// certificate, and <verificationMode>strict</verificationMode> so that it requires a client
// certificate signed by the same CA.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startClickHouse } from '../../deploy/local/clickhouse.js';
import { stateHome, stopStale } from '../../deploy/local/process.js';
import { migrate, openStore, type ClickHouseConfig } from '../../lib/clickhouse/client.js';
import { makeCertificates, type Certificates } from '../certificates.js';
import { uniqueName } from '../helpers.js';

// A server of this test's own, beside the suite's: HTTP on base (TCP +1, replication +2), HTTPS on
// base+3, below the ephemeral port range for the reason transport.test.ts gives.
const base = Number(process.env.TEST_CLICKHOUSE_TLS_PORT ?? 28323);
const name = `test-clickhouse-tls-${base}`;
const httpsUrl = `https://127.0.0.1:${base + 3}`;

const cfg = (env: Record<string, string>): ClickHouseConfig => loadConfig({ env: { CLICKHOUSE_URL: httpsUrl, ...env } }).clickhouse;

/** `SELECT version()` through a store opened from `c`; the error message when it fails. */
async function version(c: ClickHouseConfig): Promise<string> {
  const store = openStore(c);
  try {
    const [row] = await (await store.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
    return row!.v;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  } finally {
    await store.close();
  }
}

describe('ClickHouse over HTTPS (real clickhouse-server)', () => {
  let tls: Certificates;

  beforeAll(async () => {
    tls = makeCertificates();
    await startClickHouse({
      port: base, name, fresh: true,
      extra: `<https_port>${base + 3}</https_port>
  <openSSL><server>
    <certificateFile>${tls.serverCert}</certificateFile><privateKeyFile>${tls.serverKey}</privateKeyFile>
    <verificationMode>strict</verificationMode><caConfig>${tls.ca}</caConfig><loadDefaultCAFile>false</loadDefaultCAFile>
    <cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3</disableProtocols><preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>`,
    });
  });

  afterAll(async () => {
    await stopStale('clickhouse', path.join(stateHome(), name));
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  });

  it('migrates and queries with the CA and a client certificate', async () => {
    const c = cfg({ CLICKHOUSE_CA_FILE: tls.ca, CLICKHOUSE_CERT_FILE: tls.clientCert, CLICKHOUSE_KEY_FILE: tls.clientKey, CLICKHOUSE_DATABASE: uniqueName('tls') });
    expect(await version(c)).toBe('18.16.1');
    const store = openStore(c);
    try {
      await migrate(store, c.database);
      const rows = await (await store.query({ query: `SELECT name FROM system.tables WHERE database = '${c.database}' ORDER BY name`, format: 'JSONEachRow' })).json<{ name: string }>();
      expect(rows.map((r) => r.name)).toEqual(['alert_feedback', 'alerts', 'erasure_requests', 'hashtag_minute', 'posts', 'trends', 'watch_minute']);
      await store.command({ query: `DROP DATABASE ${c.database}` });
    } finally {
      await store.close();
    }
  });

  it('fails without the CA (the system CAs do not know it) and without the client certificate the server requires', async () => {
    expect(await version(cfg({}))).toMatch(/^error: .*self-signed certificate in certificate chain/);
    expect(await version(cfg({ CLICKHOUSE_CA_FILE: tls.ca }))).toMatch(/^error: .*alert certificate required/);
  });

  it('names the setting of a missing file, and refuses TLS files with an http:// URL', () => {
    expect(() => openStore(cfg({ CLICKHOUSE_CA_FILE: path.join(tls.dir, 'missing.pem') }))).toThrow(/cannot read clickhouse\.caFile \(CLICKHOUSE_CA_FILE\) .*missing\.pem: ENOENT/);
    expect(() => loadConfig({ env: { CLICKHOUSE_URL: `http://127.0.0.1:${base}`, CLICKHOUSE_CA_FILE: tls.ca } }))
      .toThrow(/clickhouse\.caFile: TLS files need an https:\/\/ clickhouse\.url \(CLICKHOUSE_URL\)/);
  });
});
