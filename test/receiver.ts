// Local receivers for the alert channels in tests: an HTTP server standing in for Slack, Teams
// or a webhook endpoint (records each request, can fail on purpose for a while, deduplicates by
// idempotency key), and a real SMTP server run as its own process (test/smtp-server.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ParsedMail, simpleParser } from 'mailparser';

export interface Received { headers: http.IncomingHttpHeaders; body: string }

export class Receiver {
  readonly requests: Received[] = [];
  /** While true, every request is answered 503 (an endpoint that is down). */
  failing = false;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.failing) { res.writeHead(503).end('down'); return; }
      this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  port = 0;

  /** Listens on `port` (0: any free one; the old port again after `close`, as an endpoint coming back). */
  async start(port = 0): Promise<string> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Accepted requests, one per idempotency key (what a deduplicating receiver keeps). */
  unique(): Received[] {
    const seen = new Map<string, Received>();
    for (const r of this.requests) if (!seen.has(String(r.headers['idempotency-key']))) seen.set(String(r.headers['idempotency-key']), r);
    return [...seen.values()];
  }

  /** Stops listening and drops open connections: the endpoint is gone until `start(port)`. */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await closed;
  }
}

export interface ReceivedMail { parsed: ParsedMail; raw: string; secure: boolean; user: unknown; from: string; to: string[] }

/** The SMTP server process: every message it accepted, parsed; refusing and crashing on demand. */
export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];
  private proc?: ChildProcess;
  private pending: Promise<void>[] = [];
  private waiters: ((o: Record<string, unknown>) => void)[] = [];
  port = 0;

  constructor(private readonly tls: { key: string; cert: string }, private readonly user: string, private readonly password: string) {}

  /** Starts the server process on `port` (0: a free one), refusing from the start or not, and waits until it listens. */
  async start(port = this.port, refusing = false): Promise<number> {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-server.ts');
    const proc = spawn(process.execPath, ['--import', 'tsx', script, String(port), this.tls.key, this.tls.cert, this.user, this.password, refusing ? 'refuse' : 'accept'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o.mail) {
        const m = o.mail as Omit<ReceivedMail, 'parsed'>;
        const raw = Buffer.from(m.raw, 'base64').toString('utf8');
        this.pending.push(simpleParser(raw).then((parsed) => { this.mails.push({ ...m, raw, parsed }); }));
      } else this.waiters.shift()?.(o);
    });
    const listening = await this.next(proc);
    this.port = listening.listening as number;
    return this.port;
  }

  private next(proc: ChildProcess): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`smtp server exited with ${code}`));
      proc.once('exit', onExit);
      this.waiters.push((o) => { proc.off('exit', onExit); resolve(o); });
    });
  }

  /** Answers 451 to every new message (true) or accepts again (false). */
  async refuse(on: boolean): Promise<void> {
    const ack = this.next(this.proc!);
    this.proc!.stdin!.write(on ? 'refuse\n' : 'accept\n');
    await ack;
  }

  /** Kills the process (SIGKILL: a crash, connections reset); `start()` brings it back on the same port. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    await Promise.all(this.pending);
  }

  /** Parsed mails so far (waits for parsing of the ones already received). */
  async received(): Promise<ReceivedMail[]> {
    await Promise.all(this.pending);
    return this.mails;
  }

  /** One mail per Message-ID (what a deduplicating mail system keeps). */
  async unique(): Promise<ReceivedMail[]> {
    const seen = new Map<string, ReceivedMail>();
    for (const m of await this.received()) if (!seen.has(m.parsed.messageId!)) seen.set(m.parsed.messageId!, m);
    return [...seen.values()];
  }

  async close(): Promise<void> { await this.kill(); }
}
