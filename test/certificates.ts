// Certificates for transport tests, made by openssl at test time: a CA, a server certificate
// for 127.0.0.1/localhost and a client certificate (for mutual TLS), all signed by the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** The PKCS#8 server key followed by its certificate, one file (Kafka's PEM keystore). */
  serverKeystore: string;
  clientCert: string;
  clientKey: string;
}

/** Makes the files in a fresh temporary folder (2 days valid); returns their paths. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-'));
  const f = (name: string) => path.join(dir, name);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=trendstream test CA');
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=trendstream ${name}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  writeFileSync(f('server-keystore.pem'), readFileSync(f('server.key'), 'utf8') + readFileSync(f('server.pem'), 'utf8'));
  return {
    dir, ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), serverKeystore: f('server-keystore.pem'),
    clientCert: f('client.pem'), clientKey: f('client.key'),
  };
}
