// A real SMTP server for the e-mail delivery tests, run as its own process (smtp-server, the
// nodemailer project's server): STARTTLS with the given certificate, AUTH only over TLS with one
// user, every accepted message printed to stdout as a JSON line. Lines on stdin switch it between
// accepting and refusing (451, a server that is overloaded for a while).
// Usage: node --import tsx test/smtp-server.ts <port> <key.pem> <cert.pem> <user> <password> [accept|refuse]
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';

const [port, keyFile, certFile, user, password, mode] = process.argv.slice(2) as [string, string, string, string, string, string?];
let refusing = mode === 'refuse';
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = new SMTPServer({
  key: readFileSync(keyFile), cert: readFileSync(certFile),
  authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: false, logger: false, size: 1024 * 1024,
  onAuth(auth, _session, cb) {
    if (auth.username === user && auth.password === password) cb(null, { user: auth.username });
    else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
  },
  onMailFrom(_address, _session, cb) {
    if (refusing) cb(Object.assign(new Error('Try again later'), { responseCode: 451 }));
    else cb();
  },
  onData(stream, session, cb) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      out({ mail: { raw: Buffer.concat(chunks).toString('base64'), secure: session.secure, user: session.user,
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined, to: session.envelope.rcptTo.map((r) => r.address) } });
      cb();
    });
  },
});
server.on('error', (err) => process.stderr.write(`smtp server error: ${err.message}\n`));
server.listen(Number(port), '127.0.0.1', () => out({ listening: (server.server.address() as { port: number }).port }));
createInterface({ input: process.stdin }).on('line', (l) => { refusing = l.trim() === 'refuse'; out({ refusing }); });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
