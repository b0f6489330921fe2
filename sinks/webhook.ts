// Alert delivery (issue 4, issue 22): Slack-compatible incoming webhooks, generic JSON webhooks
// signed with HMAC-SHA256 over "<timestamp>.<body>", Microsoft Teams (teams.ts) and e-mail
// (email.ts), the event id as idempotency key. One consumer group per channel: a dead endpoint
// pauses only its own channel, offsets commit only after delivery, so every alert is
// redelivered once the endpoint returns.
import { exitOnFatalCrash, trackLag } from '../lib/kafka/client.js';
import { createHmac } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../lib/log.js';
import { retry } from '../lib/retry.js';
import type { Metrics } from '../lib/metrics.js';
import { decodeEvent } from '../schemas/events-codec.js';
import { type AlertEvent, impersonationAlert } from '../schemas/events.js';
import type { Watch } from '../schemas/watches.js';
import { type Channel, DeliveryError, type HttpChannel, headline, routeAlert, type Sender } from './channel.js';
import { EmailSender } from './email.js';
import { teamsMessage } from './teams.js';

export { type Channel, DeliveryError } from './channel.js';

/** Signs a body for the generic webhook: hex HMAC-SHA256 of `${timestamp}.${body}`. */
export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * Text from outside (watch names, post ids, summaries quoting them) as Slack shows it literally:
 * `&`, `<` and `>` escaped as Slack asks, so no `<!channel>` ping or disguised `<url|link>` gets through.
 */
export function slackText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack message for an alert: severity, summary, reasons, sample posts and a link. */
export function slackMessage(e: AlertEvent, watchName: string, link?: string): Record<string, unknown> {
  const name = slackText(watchName);
  const head = headline(e, name);
  const reasons = e.reasons.map((r) => `• ${slackText(r.code.replace(/_/g, ' '))}: ${r.value} (baseline ${r.baseline})`).join('\n');
  const samples = e.samples.map((s) => `• ${slackText(s.platform)} post ${slackText(s.id)}`).join('\n');
  const summary = slackText(e.summary);
  return {
    text: `${head}. ${summary}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${summary}\n*Posts in window:* ${e.posts} · *negative:* ${Math.round(e.negative_share * 100)}%${e.inauthentic ? ' · ⚠️ likely bots / coordinated' : ''}` } },
      { type: 'section', text: { type: 'mrkdwn', text: `*Why*\n${reasons}` } },
      ...(samples ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Sample posts*\n${samples}` } }] : []),
      ...(link ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|Open the dashboard> · event ${e.id}` }] }] : []),
    ],
  };
}

const httpBody = (ch: HttpChannel, e: AlertEvent, watchName: string, link?: string): unknown =>
  ch.kind === 'slack' ? slackMessage(e, watchName, link) : ch.kind === 'teams' ? teamsMessage(e, watchName, link) : e;

/** Delivers one alert to one HTTP channel; throws DeliveryError (retryable unless a 4xx other than 408/429). */
export async function deliver(ch: HttpChannel, e: AlertEvent, watchName: string, link?: string, timeoutMs = 10_000): Promise<void> {
  const body = JSON.stringify(httpBody(ch, e, watchName, link));
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': e.id, 'x-trendstream-event-id': e.id };
  if (ch.kind === 'webhook') {
    headers['x-trendstream-timestamp'] = String(ts);
    if (ch.secret) headers['x-trendstream-signature'] = `sha256=${sign(ch.secret, ts, body)}`;
  }
  let res: Response;
  try {
    // A redirect is not followed: it would carry the alert (and its signature) to a host nobody configured.
    res = await fetch(ch.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new DeliveryError(`${ch.name}: ${(err as Error).message}`, true);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return;
  if (res.status >= 300 && res.status < 400) throw new DeliveryError(`${ch.name}: HTTP ${res.status} redirect not followed: configure the final URL`, false);
  throw new DeliveryError(`${ch.name}: HTTP ${res.status}`, res.status >= 500 || res.status === 408 || res.status === 429);
}

/** The sender of a channel: HTTP for Slack, webhooks and Teams, SMTP for e-mail. */
export function senderFor(ch: Channel): Sender {
  if (ch.kind === 'email') return new EmailSender(ch);
  return { send: (e, watchName, _to, link) => deliver(ch, e, watchName, link), close: async () => undefined };
}

export interface AlertDeliveryOptions {
  channel: Channel;
  topic: string;
  groupId: string;
  watches: () => readonly Watch[];
  dashboardUrl?: string;
  metrics: Metrics;
  log: Logger;
  /** Longest wait between retries. */
  maxBackoffMs?: number;
}

export class AlertDelivery {
  private readonly consumer: Consumer;
  private readonly sender: Sender;
  private running = false;

  constructor(kafka: Kafka, private readonly o: AlertDeliveryOptions) {
    this.consumer = kafka.consumer({ groupId: o.groupId, readUncommitted: false, allowAutoTopicCreation: false });
    this.sender = senderFor(o.channel);
  }

  get ready(): boolean { return this.running; }

  async start(): Promise<void> {
    exitOnFatalCrash(this.consumer, this.o.log);
    trackLag(this.consumer, this.o.metrics, `alerts-${this.o.channel.name}`);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    const labels = { component_kind: 'sink', component_id: `alerts-${this.o.channel.name}` };
    await this.consumer.run({
      autoCommit: true, autoCommitThreshold: 1, partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message, heartbeat }) => {
        if (!message.value) return;
        const decoded = decodeEvent(message.value);
        if (decoded.type === 'trend') return;
        // An impersonation reaches the PR team like an alert: severity 3, the summary naming account and imitated handle.
        const e = decoded.type === 'impersonation' ? impersonationAlert(decoded) : decoded;
        const w = this.o.watches().find((x) => x.id === e.watch);
        const to = routeAlert(w, this.o.channel, { type: decoded.type, severity: e.severity });
        if (!to) return;
        this.o.metrics.received.inc(labels);
        try {
          await retry(() => this.sender.send(e, w?.name ?? e.watch, to, this.o.dashboardUrl), {
            initialMs: 250, maxMs: this.o.maxBackoffMs ?? 30_000,
            retryable: (err) => (err as DeliveryError).retryable && this.running,
            onRetry: async (err, attempt) => {
              this.o.metrics.errors.inc({ ...labels, error_type: 'delivery', stage: 'sending' });
              if (attempt % 5 === 1) this.o.log.warn({ err, event: e.id, attempt }, 'alert delivery failing; retrying');
              await heartbeat();
            },
          });
          this.o.metrics.sent.inc(labels);
        } catch (err) {
          const de = err as DeliveryError;
          this.o.metrics.errors.inc({ ...labels, error_type: 'delivery', stage: 'sending' });
          if (de.retryable) throw de; // stopping: the alert is delivered after the restart
          this.o.log.error({ err: de, event: e.id }, 'alert rejected by the endpoint; not retried');
          this.o.metrics.discarded.inc({ ...labels, reason: 'rejected' });
        }
      },
    });
    this.running = true;
  }

  async close(): Promise<void> {
    this.running = false;
    try { await this.consumer.disconnect(); } finally { await this.sender.close(); }
  }
}
