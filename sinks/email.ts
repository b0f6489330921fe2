// E-mail delivery over SMTP with nodemailer (issue 22): multipart plain text and HTML, every
// piece of outside text HTML-escaped, and a Message-ID derived from the event id, so a
// redelivered alert carries the same Message-ID and mail systems (and people) can drop the copy.
// Follow-ups of an episode (escalated, resolved) thread under the opening mail.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertEvent } from '../schemas/events.js';
import { countsLine, DeliveryError, type EmailChannel, episodeId, headline, oneLine, reasonLines, type Sender } from './channel.js';

/** Text for HTML element content and attribute values. */
export function htmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** `<hex@domain>` for an event id: the same id always gives the same Message-ID. */
export function messageId(eventId: string, domain: string): string {
  return `<${createHash('sha256').update(eventId).digest('hex').slice(0, 40)}.alert@${domain}>`;
}

export interface AlertMail {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** The opening mail's Message-ID for an escalation or resolution (threading). */
  inReplyTo?: string;
  headers: Record<string, string>;
}

/** The domain of the sender address (Message-IDs are scoped to it), or a reserved one. */
const domainOf = (from: string): string => /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'trendstream.invalid';

/** The mail for an alert: subject, plain text and HTML with the same content. */
export function alertMail(e: AlertEvent, watchName: string, from: string, link?: string): AlertMail {
  const name = oneLine(watchName, 150);
  const head = headline(e, name);
  const summary = oneLine(e.summary, 2000);
  const reasons = reasonLines(e);
  const samples = e.samples.slice(0, 10).map((s) => `${oneLine(s.platform, 40)} post ${oneLine(s.id, 200)}`);
  const text = [
    head, '', summary, countsLine(e), '', 'Why:', ...reasons.map((r) => `- ${r}`),
    ...(samples.length ? ['', 'Sample posts:', ...samples.map((s) => `- ${s}`)] : []),
    '', ...(link ? [`Dashboard: ${link}`] : []), `Event: ${e.id}`, '',
  ].join('\n');
  const li = (xs: string[]) => `<ul>${xs.map((x) => `<li>${htmlText(x)}</li>`).join('')}</ul>`;
  const html = [
    '<!doctype html><html><body>',
    `<h2>${htmlText(head)}</h2>`,
    `<p>${htmlText(summary)}</p>`,
    `<p>${htmlText(countsLine(e))}</p>`,
    `<h3>Why</h3>${li(reasons)}`,
    ...(samples.length ? [`<h3>Sample posts</h3>${li(samples)}`] : []),
    ...(link ? [`<p><a href="${htmlText(link)}">Open the dashboard</a></p>`] : []),
    `<p style="color:#666">Event ${htmlText(e.id)}</p>`,
    '</body></html>',
  ].join('\n');
  const domain = domainOf(from);
  return {
    subject: `[trendstream] ${head}`,
    text, html,
    messageId: messageId(e.id, domain),
    ...(e.state === 'opened' ? {} : { inReplyTo: messageId(`${episodeId(e.id)}:opened`, domain) }),
    headers: { 'X-Trendstream-Event-Id': oneLine(e.id, 200) },
  };
}

/** Whether an SMTP failure may pass: connection trouble and 4xx replies do, 5xx replies do not. */
export function smtpRetryable(err: { responseCode?: number; code?: string }): boolean {
  if (err.responseCode !== undefined) return err.responseCode < 500;
  return err.code !== 'EENVELOPE' && err.code !== 'EMESSAGE';
}

/** Sends alerts over one SMTP channel; a connection per mail (alerts are rare, outages are not). */
export class EmailSender implements Sender {
  private readonly transport: Transporter;

  constructor(private readonly ch: EmailChannel) {
    this.transport = nodemailer.createTransport({
      host: ch.host, port: ch.port, secure: ch.secure, requireTLS: ch.requireTLS,
      ...(ch.username ? { auth: { user: ch.username, pass: ch.password ?? '' } } : {}),
      ...(ch.caFile ? { tls: { ca: readFileSync(ch.caFile, 'utf8') } } : {}),
      connectionTimeout: ch.timeoutMs, greetingTimeout: ch.timeoutMs, socketTimeout: ch.timeoutMs,
      disableFileAccess: true, disableUrlAccess: true,
    });
  }

  /** Sends the alert to the recipients the routing chose (routeAlert); throws DeliveryError. */
  async send(e: AlertEvent, watchName: string, to: readonly string[], link?: string): Promise<void> {
    const m = alertMail(e, watchName, this.ch.from, link);
    try {
      await this.transport.sendMail({
        from: this.ch.from, to: [...to], subject: m.subject, text: m.text, html: m.html, messageId: m.messageId,
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo, references: [m.inReplyTo] } : {}), headers: m.headers,
      });
    } catch (err) {
      const x = err as { message: string; responseCode?: number; code?: string };
      throw new DeliveryError(`${this.ch.name}: ${x.message}`, smtpRetryable(x), { cause: err });
    }
  }

  async close(): Promise<void> { this.transport.close(); }
}
