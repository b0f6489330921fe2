// Teams and e-mail delivery end to end (issue 22): alerts on a real `alerts` topic go through one
// consumer group per channel to a local Teams stand-in (HTTP) and a real SMTP server process with
// STARTTLS and AUTH. Both receivers go away mid-run (the Teams endpoint stops listening, the SMTP
// process is killed), come back answering "try later" (503 / 451), then accept again: each ends
// up with every alert, once per idempotency key (event id / Message-ID), and nothing else.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertDelivery } from '../../sinks/webhook.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { Metrics } from '../../lib/metrics.js';
import { encodeEvent } from '../../schemas/events-codec.js';
import type { ConfigInput } from '../../app/config.js';
import type { AlertEvent, ImpersonationEvent } from '../../schemas/events.js';
import { type Watch, WatchListSchema } from '../../schemas/watches.js';
import { messageId } from '../../sinks/email.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { Receiver, SmtpReceiver } from '../receiver.js';

const HOSTILE = 'ACME <at>Everyone</at> **urgent** [login](https://evil.example) <img src=x onerror=alert(1)>';
const watches = WatchListSchema.parse([
  { id: 'acme', name: HOSTILE, handles: ['acme'], email_to: ['pr-acme@pr.example'] },
  { id: 'bahn', name: 'Deutsche Bahn', handles: ['db_bahn'] },
]);

/** Alert episodes: for each watch and start minute an opening, an escalation and a resolution. */
function alerts(minutes: number[]): AlertEvent[] {
  return minutes.flatMap((m) => watches.flatMap((w) => (['opened', 'escalated', 'resolved'] as const).map((state, i): AlertEvent => {
    const at = new Date(Date.UTC(2026, 10, 27, 10, m)).toISOString().replace('.000Z', 'Z');
    return {
      id: `alert:${w.id}:${at}:${state}`, type: 'alert', state, watch: w.id, severity: 3 + i, detected_at: at, posts: 100 * (m + 1), negative_share: 0.7,
      inauthentic: false, reasons: [{ code: 'volume', value: 5 + i, baseline: 1 }], summary: `Volume ${5 + i}x baseline <!channel> **now**`, samples: [{ platform: 'mastodon', id: `<at>post-${m}</at>` }],
    };
  })));
}

type ChannelInput = NonNullable<NonNullable<ConfigInput['alerting']>['channels']>[number];

/** A self-signed certificate for the SMTP server's STARTTLS, and the server process. */
function smtpServer(cleanups: (() => Promise<unknown>)[]): { smtp: SmtpReceiver; cert: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'smtp-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const smtp = new SmtpReceiver({ key, cert }, 'alerts', 'smtp-password-123');
  cleanups.push(() => smtp.close());
  return { smtp, cert };
}

const mailChannel = (port: number, cert: string) => ({ name: 'mail', kind: 'email' as const, host: '127.0.0.1', port, requireTLS: true, username: 'alerts', password: 'smtp-password-123', caFile: cert,
  from: 'Trendstream <alerts@pr.example>', to: ['pr@pr.example'], timeoutMs: 3000 });

/** The alerts topic, a producer on it and one AlertDelivery per configured channel, all started. */
async function deliveries(name: string, channels: ChannelInput[], ws: readonly Watch[], metrics: Metrics, cleanups: (() => Promise<unknown>)[]) {
  const config = testConfig(name, 'server', { alerting: { dashboardUrl: 'https://dash.example/', channels } });
  const log = testLogger();
  const kafka = createKafka(config.kafka, log);
  const admin = kafka.admin();
  await admin.connect();
  const topics = await ensureTopics(admin, config.kafka);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  for (const channel of config.alerting.channels) {
    const d = new AlertDelivery(kafka, { channel, topic: topics.alerts, groupId: `${name}-alerts-${channel.name}`, watches: () => ws,
      dashboardUrl: config.alerting.dashboardUrl, metrics, log, maxBackoffMs: 1000 });
    await d.start();
    cleanups.push(() => d.close());
  }
  /** Sends events keyed by watch; with `partition`, all on it, so each channel handles them in the order sent. */
  return (es: (AlertEvent | ImpersonationEvent)[], partition?: number) =>
    producer.send({ topic: topics.alerts, messages: es.map((e) => ({ key: e.watch, partition, value: encodeEvent(e) })) });
}

describe('Teams and e-mail delivery', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); });

  it('delivers every alert once per idempotency key to Teams and over SMTP, through an outage and a refusing server', async () => {
    const { smtp, cert } = smtpServer(cleanups);
    const smtpPort = await smtp.start(0);
    const teams = new Receiver();
    const teamsUrl = await teams.start();
    cleanups.push(() => teams.close());
    const metrics = new Metrics();
    const send = await deliveries(uniqueName('channels'), [{ name: 'teams', kind: 'teams', url: teamsUrl }, mailChannel(smtpPort, cert)], watches, metrics, cleanups);
    const failures = async (channel: string) => (await metrics.errors.get()).values.filter((v) => v.labels.component_id === `alerts-${channel}`).reduce((s, v) => s + v.value, 0);
    const teamsIds = () => new Set(teams.unique().map((r) => String(r.headers['idempotency-key'])));
    const mailIds = async () => new Set((await smtp.unique()).map((m) => String(m.parsed.headers.get('x-trendstream-event-id'))));

    // Both receivers up.
    const first = alerts([0]);
    await send(first);
    await waitFor(async () => [teamsIds().size, (await mailIds()).size], ([t, m]) => t === first.length && m === first.length, 60_000);

    // Both gone: the Teams endpoint stops listening, the SMTP server process is killed.
    await teams.close();
    await smtp.kill();
    const second = alerts([10]);
    await send(second);
    const [t0, m0] = [await failures('teams'), await failures('mail')];
    await waitFor(async () => [await failures('teams') - t0, await failures('mail') - m0], ([t, m]) => t! >= 3 && m! >= 3, 60_000, 200);

    // Back, but answering "try again later" (503 from Teams, 451 from SMTP).
    teams.failing = true;
    await teams.start(teams.port);
    await smtp.start(smtpPort, true);
    const [t1, m1] = [await failures('teams'), await failures('mail')];
    await waitFor(async () => [await failures('teams') - t1, await failures('mail') - m1], ([t, m]) => t! >= 3 && m! >= 3, 60_000, 200);
    expect(teamsIds().size).toBe(first.length);
    expect((await mailIds()).size).toBe(first.length);

    // Accepting again: the held alerts and new ones all arrive.
    teams.failing = false;
    await smtp.refuse(false);
    const third = alerts([20]);
    await send(third);
    const all = [...first, ...second, ...third];
    const ids = all.map((e) => e.id).sort();
    await waitFor(async () => [teamsIds().size, (await mailIds()).size], ([t, m]) => t! >= all.length && m! >= all.length, 120_000);

    // Teams: every alert once per idempotency key, each a card naming its event, copies identical.
    expect([...teamsIds()].sort()).toEqual(ids);
    for (const r of teams.requests) {
      const first = teams.requests.find((x) => x.headers['idempotency-key'] === r.headers['idempotency-key'])!;
      expect(r.body).toBe(first.body);
      const msg = JSON.parse(r.body);
      expect(msg.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
      const runs = msg.attachments[0].content.body.flatMap((b: { inlines: { text: string }[] }) => b.inlines.map((i) => i.text));
      expect(runs).toContain(`event ${r.headers['idempotency-key']}`);
    }
    const acme = JSON.parse(teams.unique().find((r) => r.headers['idempotency-key'] === first[0]!.id)!.body);
    expect(acme.attachments[0].content.body[0].inlines[0].text).toBe(`🟠 Shitstorm alert: ${HOSTILE} — severity 3/6 (firestorm building)`);
    expect(acme.attachments[0].content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: 'https://dash.example/' }]);

    // E-mail: every alert once per Message-ID, the Message-ID derived from the event id, over
    // STARTTLS with AUTH, to the watch's own recipients where it names them.
    const mails = await smtp.received();
    const unique = await smtp.unique();
    expect(unique.map((m) => String(m.parsed.headers.get('x-trendstream-event-id'))).sort()).toEqual(ids);
    for (const m of mails) {
      const e = all.find((x) => x.id === m.parsed.headers.get('x-trendstream-event-id'))!;
      expect(m.parsed.messageId).toBe(messageId(e.id, 'pr.example'));
      expect([m.secure, m.user, m.from]).toEqual([true, 'alerts', 'alerts@pr.example']);
      expect(m.to).toEqual(e.watch === 'acme' ? ['pr-acme@pr.example'] : ['pr@pr.example']);
      expect(m.parsed.inReplyTo).toBe(e.state === 'opened' ? undefined : messageId(e.id.replace(/:(escalated|resolved)$/, ':opened'), 'pr.example'));
      expect(m.parsed.text).toContain(e.summary);
      expect(m.parsed.html).toContain('Volume');
      expect(m.parsed.html).not.toMatch(/<at>|<!channel>|<img|onerror=alert\(1\)>/);
    }
    const acmeMail = unique.find((m) => m.parsed.headers.get('x-trendstream-event-id') === first[0]!.id)!;
    expect(acmeMail.parsed.subject).toBe(`[trendstream] 🟠 Shitstorm alert: ${HOSTILE} — severity 3/6 (firestorm building)`);
    expect(acmeMail.parsed.html).toContain('ACME &lt;at&gt;Everyone&lt;/at&gt; **urgent** [login](https://evil.example) &lt;img src=x onerror=alert(1)&gt;');
    expect(acmeMail.parsed.text).toContain(`Sample posts:\n- mastodon post <at>post-0</at>`);
  });

  it('delivers each severity only to the channels and recipients the watch routes it to', async () => {
    const { smtp, cert } = smtpServer(cleanups);
    const smtpPort = await smtp.start(0);
    const slack = new Receiver();
    const teams = new Receiver();
    const [slackUrl, teamsUrl] = [await slack.start(), await teams.start()];
    cleanups.push(() => slack.close(), () => teams.close());
    const ws = WatchListSchema.parse([
      { id: 'rail', name: 'Rail', handles: ['rail'], routes: [
        { min_severity: 3, channels: ['slack'] },
        { min_severity: 5, channels: ['mail'], email_to: ['ceo@pr.example'] },
        { min_severity: 6, channels: ['mail', 'teams'], email_to: ['ceo@pr.example', 'legal@pr.example'] },
        { channels: ['mail'], email_to: ['brand@pr.example'], types: ['impersonation'] },
      ] },
      { id: 'legacy', name: 'Legacy', handles: ['legacy'], channels: ['teams'] },
      { id: 'all', name: 'All', handles: ['all'] },
    ]);
    const at = (m: number) => new Date(Date.UTC(2026, 10, 27, 11, m)).toISOString().replace('.000Z', 'Z');
    const alert = (watch: string, m: number, state: AlertEvent['state'], severity: number): AlertEvent => ({
      id: `alert:${watch}:${at(m)}:${state}`, type: 'alert', state, watch, severity, detected_at: at(m), posts: 100, negative_share: 0.7,
      inauthentic: false, reasons: [{ code: 'volume', value: 5, baseline: 1 }], summary: `Severity ${severity}`, samples: [],
    });
    const impersonation: ImpersonationEvent = {
      id: 'impersonation:rail:mastodon:a-9:opened', type: 'impersonation', state: 'opened', watch: 'rail', account: { platform: 'mastodon', id: 'a-9', handle: '@rail_support' },
      imitates: '@rail', detected_at: at(3), reasons: [{ code: 'handle_distance', value: 1, baseline: 0 }], summary: '@rail_support imitates @rail', samples: [{ platform: 'mastodon', id: 'p-1' }],
    };
    // Rail escalates 3 → 4 → 5 → 6 and resolves at its peak; an impersonation of it; a watch
    // without routes naming Teams; last, one without routes or channels, which goes everywhere.
    const rail = [alert('rail', 0, 'opened', 3), alert('rail', 1, 'escalated', 4), alert('rail', 2, 'escalated', 5), alert('rail', 4, 'escalated', 6), alert('rail', 9, 'resolved', 6)];
    const legacy = [alert('legacy', 0, 'opened', 4), alert('legacy', 9, 'resolved', 4)];
    const last = alert('all', 10, 'opened', 3);
    const send = await deliveries(uniqueName('routing'), [{ name: 'slack', kind: 'slack', url: slackUrl }, { name: 'teams', kind: 'teams', url: teamsUrl }, mailChannel(smtpPort, cert)], ws, new Metrics(), cleanups);
    await send([...rail.slice(0, 3), impersonation, ...rail.slice(3), ...legacy, last], 0);

    // All on one partition: once the last event has reached a receiver, so has everything routed to it before.
    const httpIds = (r: Receiver) => r.unique().map((x) => String(x.headers['idempotency-key']));
    const mails = async () => (await smtp.unique()).map((m) => [String(m.parsed.headers.get('x-trendstream-event-id')), m.to.join(',')]);
    await waitFor(async () => [httpIds(slack), httpIds(teams), (await mails()).map(([id]) => id)], (xs) => xs.every((ids) => ids.includes(last.id)), 120_000);
    expect(httpIds(slack)).toEqual([...rail.slice(0, 3), impersonation, ...rail.slice(3), last].map((e) => e.id));
    expect(httpIds(teams)).toEqual([rail[3]!.id, rail[4]!.id, legacy[0]!.id, legacy[1]!.id, last.id]);
    expect(await mails()).toEqual([
      [rail[2]!.id, 'ceo@pr.example'],
      [impersonation.id, 'brand@pr.example'],
      [rail[3]!.id, 'ceo@pr.example,legal@pr.example'],
      [rail[4]!.id, 'ceo@pr.example,legal@pr.example'],
      [last.id, 'pr@pr.example'],
    ]);
  });
});
