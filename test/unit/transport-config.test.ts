// Transport settings: the Kafka TLS/SASL and ClickHouse TLS variables map onto the config,
// unsafe or incomplete combinations are refused naming the settings, files are read at start
// with errors naming the setting, and OAuth tokens are fetched once per lifetime.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, redact } from '../../app/config.js';
import { tlsOptions } from '../../lib/clickhouse/client.js';
import { transportOptions } from '../../lib/kafka/client.js';
import { clientCredentialsProvider } from '../../lib/kafka/oauth.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'transport-config-'));
const file = (name: string, text: string) => { const p = path.join(dir, name); writeFileSync(p, text); return p; };
const kafka = (env: Record<string, string>) => loadConfig({ env: { KAFKA_BROKERS: 'k:9093', ...env } }).kafka;

describe('Kafka transport config', () => {
  it('maps TLS files and SASL variables, and hands kafkajs the files\' contents', () => {
    const ca = file('ca.pem', 'CA PEM');
    const c = kafka({ KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: file('c.pem', 'CERT'), KAFKA_SSL_KEY_FILE: file('c.key', 'KEY'),
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(c).toMatchObject({ ssl: true, sslCaFile: ca, sslRejectUnauthorized: true, saslAllowPlaintext: false, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(transportOptions(c)).toEqual({ ssl: { rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT', key: 'KEY' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(transportOptions(kafka({}))).toEqual({ ssl: false });
  });

  it('refuses SASL PLAIN and OAUTHBEARER without TLS unless allowed on purpose', () => {
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(() => kafka(plain)).toThrow(/kafka\.sasl: SASL PLAIN without TLS sends the password in clear text: set KAFKA_SSL=1 \(kafka\.ssl\), or KAFKA_SASL_ALLOW_PLAINTEXT=1 \(kafka\.saslAllowPlaintext\)/);
    expect(() => kafka({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTH_TOKEN_FILE: '/t' })).toThrow(/SASL OAUTHBEARER without TLS sends the token in clear text/);
    expect(kafka({ ...plain, KAFKA_SASL_ALLOW_PLAINTEXT: '1' }).sasl?.mechanism).toBe('plain');
    expect(kafka({ ...plain, KAFKA_SSL: '1' }).sasl?.mechanism).toBe('plain');
    // SCRAM never sends the password.
    expect(kafka({ ...plain, KAFKA_SASL_MECHANISM: 'scram-sha-256' }).sasl?.mechanism).toBe('scram-sha-256');
  });

  it('refuses incomplete TLS and OAUTHBEARER settings, naming them', () => {
    expect(() => kafka({ KAFKA_SSL_CA_FILE: '/ca.pem' })).toThrow(/kafka\.ssl: sslCaFile, sslCertFile and sslKeyFile need TLS on: set KAFKA_SSL=1/);
    expect(() => kafka({ KAFKA_SSL: '1', KAFKA_SSL_CERT_FILE: '/c.pem' })).toThrow(/kafka\.sslKeyFile: a client certificate needs both sslCertFile and sslKeyFile/);
    const oauth = { KAFKA_SSL: '1', KAFKA_SASL_MECHANISM: 'oauthbearer' };
    expect(() => kafka(oauth)).toThrow(/kafka\.sasl: OAUTHBEARER needs exactly one of tokenUrl \(KAFKA_SASL_OAUTH_TOKEN_URL\) and tokenFile/);
    expect(() => kafka({ ...oauth, KAFKA_SASL_OAUTH_TOKEN_URL: 'https://idp/token' })).toThrow(/kafka\.sasl\.clientId: a token endpoint needs clientId and clientSecret/);
    expect(() => kafka({ ...oauth, KAFKA_SASL_OAUTH_TOKEN_URL: 'ftp://idp/token', KAFKA_SASL_OAUTH_CLIENT_ID: 'c', KAFKA_SASL_OAUTH_CLIENT_SECRET: 's' })).toThrow(/kafka\.sasl\.tokenUrl: must be an http\(s\) URL/);
  });

  it('names the setting of a file it cannot read', () => {
    expect(() => transportOptions(kafka({ KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: path.join(dir, 'nope.pem') })))
      .toThrow(/cannot read kafka\.sslCaFile \(KAFKA_SSL_CA_FILE\) .*nope\.pem: ENOENT/);
    expect(() => transportOptions(kafka({ KAFKA_SSL: '1', KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTH_TOKEN_FILE: path.join(dir, 'no-token') })))
      .toThrow(/cannot read kafka\.sasl\.tokenFile \(KAFKA_SASL_OAUTH_TOKEN_FILE\)/);
  });

  it('never shows the SASL password or the OAuth client secret', () => {
    const c = loadConfig({ env: { KAFKA_SSL: '1', KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTH_TOKEN_URL: 'https://idp/token', KAFKA_SASL_OAUTH_CLIENT_ID: 'c', KAFKA_SASL_OAUTH_CLIENT_SECRET: 'very-secret' } });
    expect(JSON.stringify(redact(c))).not.toContain('very-secret');
    expect((redact(c) as { kafka: { sasl: { clientSecret: string } } }).kafka.sasl.clientSecret).toBe('[redacted]');
  });
});

describe('OAuth client-credentials tokens', () => {
  it('fetches a token once per lifetime, shared by concurrent connections, and again shortly before it expires', async () => {
    let issued = 0;
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        bodies.push(`${req.headers.authorization} ${body}`);
        res.end(JSON.stringify({ access_token: `token-${++issued}`, expires_in: 300 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      let clock = 1_000_000;
      const get = clientCredentialsProvider({ tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/t`, clientId: 'id:1', clientSecret: 's&2', scope: 'kafka' }, () => clock);
      expect(await Promise.all([get(), get(), get()])).toEqual([{ value: 'token-1' }, { value: 'token-1' }, { value: 'token-1' }]);
      clock += 239_000; // 300 s lifetime, renewed 60 s before the end
      expect(await get()).toEqual({ value: 'token-1' });
      clock += 1_000;
      expect(await get()).toEqual({ value: 'token-2' });
      expect(bodies[0]).toBe(`Basic ${Buffer.from('id%3A1:s%262').toString('base64')} grant_type=client_credentials&scope=kafka`);
      expect(issued).toBe(2);
    } finally {
      server.close();
    }
  });
});

describe('ClickHouse TLS config', () => {
  it('maps the CA and client certificate onto @clickhouse/client\'s tls option', () => {
    const c = loadConfig({ env: { CLICKHOUSE_URL: 'https://ch:8443', CLICKHOUSE_CA_FILE: file('ch-ca.pem', 'CA'), CLICKHOUSE_CERT_FILE: file('ch.pem', 'CERT'), CLICKHOUSE_KEY_FILE: file('ch.key', 'KEY') } }).clickhouse;
    expect(tlsOptions(c)).toEqual({ tls: { ca_cert: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    expect(tlsOptions({ caFile: c.caFile })).toEqual({ tls: { ca_cert: Buffer.from('CA') } });
    expect(tlsOptions({})).toEqual({});
    expect(() => loadConfig({ env: { CLICKHOUSE_URL: 'https://ch:8443', CLICKHOUSE_CERT_FILE: '/c', CLICKHOUSE_KEY_FILE: '/k' } })).toThrow(/clickhouse\.caFile: a client certificate needs caFile too/);
  });
});
