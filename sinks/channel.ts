// What every alert channel shares (issue 4, issue 22): the configured channel kinds and the
// error a delivery attempt throws. The HTTP kinds live in webhook.ts and teams.ts, e-mail in
// email.ts; sinks/webhook.ts runs one consumer group per channel over all of them.
import { type AlertEvent, SEVERITY_TEXT } from '../schemas/events.js';
import type { Watch } from '../schemas/watches.js';

/** Slack incoming webhook, signed generic webhook, or a Microsoft Teams Workflows webhook. */
export interface HttpChannel {
  name: string;
  kind: 'slack' | 'webhook' | 'teams';
  url: string;
  /** HMAC secret of a generic webhook. */
  secret?: string;
}

/** SMTP delivery: STARTTLS whenever the server offers it (or implicit TLS with `secure`). */
export interface EmailChannel {
  name: string;
  kind: 'email';
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465); otherwise STARTTLS when offered. */
  secure: boolean;
  /** Refuse to send when the server does not offer STARTTLS. */
  requireTLS: boolean;
  username?: string;
  password?: string;
  /** PEM file of a CA to trust besides the system's (a company relay with its own CA). */
  caFile?: string;
  from: string;
  to: string[];
  /** Connection, greeting and socket timeout of one attempt. */
  timeoutMs: number;
}

export type Channel = HttpChannel | EmailChannel;

export class DeliveryError extends Error {
  readonly code = 'delivery_failed';
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) { super(message, options); this.name = 'DeliveryError'; }
}

/**
 * Delivers alerts to one channel. `send` gets the watch's name and, on e-mail channels, the
 * recipients the routing chose; it throws DeliveryError. `close` releases connections.
 */
export interface Sender {
  send(e: AlertEvent, watchName: string, to: readonly string[], link?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether an alert goes to a channel, and to whom: `null` when the watch does not route it there,
 * else the recipients (e-mail channels; empty for the others). With `routes`, every route whose
 * `min_severity` and `types` the alert meets and which names the channel adds its recipients
 * (its `email_to`, else the watch's, else the channel's). Without, every alert goes to the
 * watch's `channels` (all when empty). An unknown watch's alerts go everywhere, to the
 * channel's recipients. Severities only rise within an episode and a resolution carries its
 * peak, so an escalation reaches where its new severity routes it and the resolution reaches
 * every receiver of the episode.
 */
export function routeAlert(watch: Watch | undefined, ch: Channel, alert: { type: 'alert' | 'impersonation'; severity: number }): string[] | null {
  const fallback = watch?.email_to?.length ? watch.email_to : ch.kind === 'email' ? ch.to : [];
  if (!watch?.routes) {
    if (watch?.channels.length && !watch.channels.includes(ch.name)) return null;
    return ch.kind === 'email' ? [...fallback] : [];
  }
  const hits = watch.routes.filter((r) => alert.severity >= r.min_severity && r.channels.includes(ch.name) && (!r.types || r.types.includes(alert.type)));
  if (hits.length === 0) return null;
  if (ch.kind !== 'email') return [];
  return [...new Set(hits.flatMap((r) => r.email_to ?? fallback))];
}

/**
 * Every (watch, channel name) where a watch sends alerts, in `channels` or a route, to a channel
 * that is not configured: its alerts go nowhere there. Deliberate routing never names a missing
 * channel, so the alert sink reports these rather than drop alerts silently.
 */
export function unconfiguredChannels(watches: readonly Watch[], configured: ReadonlySet<string>): { watch: string; channel: string }[] {
  const out: { watch: string; channel: string }[] = [];
  for (const w of watches) {
    const named = new Set([...w.channels, ...(w.routes ?? []).flatMap((r) => r.channels)]);
    for (const channel of named) if (!configured.has(channel)) out.push({ watch: w.id, channel });
  }
  return out;
}

/** The episode an alert event belongs to: its id without the trailing state (`alert:w:<opened at>`). */
export const episodeId = (id: string): string => id.replace(/:(opened|escalated|resolved)$/, '');

/** One line of outside text: control characters and line breaks become spaces, at most `max` characters. */
export function oneLine(s: string, max = 300): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export const EMOJI = ['', '🟢', '🟡', '🟠', '🔴', '🔥', '🚨'];

/** The first line of every alert message; `name` already made safe for the medium. */
export function headline(e: AlertEvent, name: string): string {
  if (e.state === 'resolved') return `✅ Resolved: ${name}`;
  return `${EMOJI[e.severity]} ${e.state === 'escalated' ? 'Escalated' : 'Shitstorm alert'}: ${name} — severity ${e.severity}/6 (${SEVERITY_TEXT[e.severity]})`;
}

/** "volume: 7.9 (baseline 1)" per reason; codes are ours, values numbers. */
export const reasonLines = (e: AlertEvent): string[] => e.reasons.map((r) => `${r.code.replace(/_/g, ' ')}: ${r.value} (baseline ${r.baseline})`);

/** "Posts in window: 830 · negative: 71%" and the bot warning. */
export const countsLine = (e: AlertEvent): string =>
  `Posts in window: ${e.posts} · negative: ${Math.round(e.negative_share * 100)}%${e.inauthentic ? ' · ⚠️ likely bots / coordinated' : ''}`;
