// Kafka transport security against a real broker: one node with SSL, mutual-TLS and SASL_SSL
// listeners, certificates made by openssl for this run, and a local OAuth 2 token endpoint
// handing out unsigned JWTs to the broker's unsecured OAUTHBEARER validator.
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startKafka, type LocalKafka } from '../../deploy/local/kafka.js';
import { portOpen } from '../../deploy/local/process.js';
import { createKafka, Kafka, transportOptions, type KafkaConfig } from '../../lib/kafka/client.js';
import { makeCertificates, type Certificates } from '../certificates.js';
import { testLogger, uniqueName, waitFor } from '../helpers.js';

// A broker of this test's own, beside the suite's: plaintext on base, controller base+1. Its ports
// lie below Linux's ephemeral range (32768-60999): started mid-run, it could otherwise find one
// held by a client connection of the run (a CI run failed so: "failed to bind to 127.0.0.1:39296").
const base = Number(process.env.TEST_KAFKA_TLS_PORT ?? 29292);
const port = { ssl: base + 2, mtls: base + 3, saslSsl: base + 4, tokens: base + 10 };
/** An unsigned JWT (alg none), as Kafka's unsecured OAUTHBEARER validator accepts. */
const unsignedJwt = (sub: string, lifetimeS: number): string => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none' })}.${b64({ sub, iat: now, exp: now + lifetimeS })}.`;
};

/** A client-credentials token endpoint for client `trendstream` with secret `s3cret-for-tests`; counts the tokens it issued. */
function tokenEndpoint(): Server & { issued: number } {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const ok = req.headers.authorization === `Basic ${Buffer.from('trendstream:s3cret-for-tests').toString('base64')}`
        && form.get('grant_type') === 'client_credentials' && form.get('scope') === 'kafka';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      if (ok) server.issued++;
      res.end(JSON.stringify(ok ? { access_token: unsignedJwt('trendstream', 3600), token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_client' }));
    });
  }) as Server & { issued: number };
  server.issued = 0;
  return server;
}

const cfg = (brokerPort: number, env: Record<string, string>): KafkaConfig => loadConfig({ env: { KAFKA_BROKERS: `127.0.0.1:${brokerPort}`, ...env } }).kafka;

/** Creates a topic, produces one message and consumes it back; returns the value read. */
async function roundTrip(kafka: Kafka): Promise<string> {
  const topic = uniqueName('transport');
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: topic });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: `hello over ${topic}` }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => { got.push(String(message.value)); } });
    await waitFor(async () => got.length, (n) => n > 0, 60_000, 100);
    expect(got).toEqual([`hello over ${topic}`]);
    return got[0]!;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
}

/** The error of connecting an admin once, without retries (undefined when it connects). */
async function connectError(c: KafkaConfig): Promise<string | undefined> {
  const admin = new Kafka({ brokers: c.brokers, ...transportOptions(c), retry: { retries: 0 }, logCreator: () => () => {} }).admin();
  try { await admin.connect(); await admin.listTopics(); return undefined; } catch (e) { return String((e as Error).message); } finally { await admin.disconnect(); }
}

describe('Kafka transport security (real broker)', () => {
  let broker: LocalKafka;
  let tokens: ReturnType<typeof tokenEndpoint>;
  let tls: Certificates;
  const log = testLogger();

  beforeAll(async () => {
    tls = makeCertificates();
    const ks = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': tls.serverKeystore };
    tokens = tokenEndpoint();
    await new Promise<void>((r) => tokens.listen(port.tokens, '127.0.0.1', r));
    broker = await startKafka({
      port: base, name: `test-kafka-transport-${base}`, fresh: true,
      // SCRAM users live in the cluster metadata: written when the node is formatted.
      scramUsers: [{ name: 'bob', password: 'bob-secret' }],
      listeners: [
        { name: 'SSL', protocol: 'SSL', port: port.ssl, config: ks },
        { name: 'MTLS', protocol: 'SSL', port: port.mtls, config: { ...ks, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': tls.ca, 'ssl.client.auth': 'required' } },
        {
          name: 'SASL_SSL', protocol: 'SASL_SSL', port: port.saslSsl, config: {
            ...ks, 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
            'plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
            'scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
            'scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
            // No JWKS configured: Kafka validates with its unsecured validator (unsigned JWTs, sub and exp checked).
            'oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
          },
        },
      ],
    });
    for (const p of [port.ssl, port.mtls, port.saslSsl]) await waitFor(() => portOpen(p), Boolean, 60_000, 200);
  });

  afterAll(async () => {
    await broker?.stop();
    tokens?.close();
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  });

  it('produces and consumes over TLS when given the CA that signed the broker', async () => {
    const c = cfg(port.ssl, { KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca });
    expect(await roundTrip(createKafka(c, log))).toMatch(/^hello over /);
  });

  it('refuses a broker whose certificate the configured trust does not cover', async () => {
    // The system CAs do not know the test CA.
    expect(await connectError(cfg(port.ssl, { KAFKA_SSL: '1' }))).toMatch(/unable to verify the first certificate/);
  });

  it('connects to a broker that requires a client certificate only with one (mTLS)', async () => {
    const withCert = cfg(port.mtls, { KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca, KAFKA_SSL_CERT_FILE: tls.clientCert, KAFKA_SSL_KEY_FILE: tls.clientKey });
    expect(await roundTrip(createKafka(withCert, log))).toMatch(/^hello over /);
    expect(await connectError(cfg(port.mtls, { KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca }))).toMatch(/alert bad certificate|certificate required/);
  });

  it('authenticates with SASL PLAIN over SASL_SSL, and a wrong password is refused', async () => {
    const plain = (password: string) => cfg(port.saslSsl, { KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: password });
    expect(await roundTrip(createKafka(plain('alice-secret'), log))).toMatch(/^hello over /);
    expect(await connectError(plain('wrong'))).toMatch(/Authentication failed|invalid username or password/i);
  });

  it('authenticates with SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_SSL', async () => {
    for (const mechanism of ['scram-sha-256', 'scram-sha-512']) {
      const c = cfg(port.saslSsl, { KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'bob', KAFKA_SASL_PASSWORD: 'bob-secret' });
      expect(await roundTrip(createKafka(c, log))).toMatch(/^hello over /);
    }
  });

  it('authenticates with OAUTHBEARER tokens from a client-credentials endpoint, one token for every connection', async () => {
    const oauth = (secret: string) => cfg(port.saslSsl, {
      KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca, KAFKA_SASL_MECHANISM: 'oauthbearer',
      KAFKA_SASL_OAUTH_TOKEN_URL: `http://127.0.0.1:${port.tokens}/token`, KAFKA_SASL_OAUTH_CLIENT_ID: 'trendstream',
      KAFKA_SASL_OAUTH_CLIENT_SECRET: secret, KAFKA_SASL_OAUTH_SCOPE: 'kafka',
    });
    expect(await roundTrip(createKafka(oauth('s3cret-for-tests'), log))).toMatch(/^hello over /);
    // Admin, producer and consumer (and the group coordinator) each authenticated; the token was fetched once.
    expect(tokens.issued).toBe(1);
    expect(await connectError(oauth('wrong-secret'))).toMatch(/token endpoint http:\/\/127\.0\.0\.1:\d+\/token answered 401/);
  });

  it('authenticates with OAUTHBEARER from a token file', async () => {
    writeFileSync(path.join(tls.dir, 'token'), `${unsignedJwt('trendstream', 600)}\n`);
    const c = cfg(port.saslSsl, { KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: tls.ca, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTH_TOKEN_FILE: path.join(tls.dir, 'token') });
    expect(await roundTrip(createKafka(c, log))).toMatch(/^hello over /);
    // An expired token: the broker refuses the authentication, and kafkajs has no broker left to ask.
    writeFileSync(path.join(tls.dir, 'token'), `${unsignedJwt('trendstream', -60)}\n`);
    expect(await connectError(c)).toMatch(/OAUTHBEARER|No brokers in the broker pool/);
  });

  it('refuses SASL PLAIN without TLS in config validation, naming the settings', () => {
    expect(() => cfg(base, { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'alice-secret' }))
      .toThrow(/kafka\.sasl: SASL PLAIN without TLS sends the password in clear text: set KAFKA_SSL=1 \(kafka\.ssl\), or KAFKA_SASL_ALLOW_PLAINTEXT=1/);
  });
});
