// A local HTTP receiver standing in for Slack or a webhook endpoint in tests: records each
// request, can fail on purpose for a while, and deduplicates by idempotency key.
import http from 'node:http';

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

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Accepted requests, one per idempotency key (what a deduplicating receiver keeps). */
  unique(): Received[] {
    const seen = new Map<string, Received>();
    for (const r of this.requests) if (!seen.has(String(r.headers['idempotency-key']))) seen.set(String(r.headers['idempotency-key']), r);
    return [...seen.values()];
  }

  async close(): Promise<void> { await new Promise<void>((r) => this.server.close(() => r())); }
}
