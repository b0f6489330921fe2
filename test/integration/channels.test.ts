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
import type { AlertEvent } from '../../schemas/events.js';
import { WatchListSchema } from '../../schemas/watches.js';
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

describe('Teams and e-mail delivery', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); });

  it('delivers every alert once per idempotency key to Teams and over SMTP, through an outage and a refusing server', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'smtp-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });

    const teams = new Receiver();
    const teamsUrl = await teams.start();
    cleanups.push(() => teams.close());
    const smtp = new SmtpReceiver({ key, cert }, 'alerts', 'smtp-password-123');
    const smtpPort = await smtp.start(0);
    cleanups.push(() => smtp.close());

    const name = uniqueName('channels');
    const config = testConfig(name, 'server', {
      alerting: {
        dashboardUrl: 'https://dash.example/',
        channels: [
          { name: 'teams', kind: 'teams', url: teamsUrl },
          { name: 'mail', kind: 'email', host: '127.0.0.1', port: smtpPort, requireTLS: true, username: 'alerts', password: 'smtp-password-123', caFile: cert,
            from: 'Trendstream <alerts@pr.example>', to: ['pr@pr.example'], timeoutMs: 3000 },
        ],
      },
    });
    const log = testLogger();
    const metrics = new Metrics();
    const kafka = createKafka(config.kafka, log);
    const admin = kafka.admin();
    await admin.connect();
    const topics = await ensureTopics(admin, config.kafka);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const send = (es: AlertEvent[]) => producer.send({ topic: topics.alerts, messages: es.map((e) => ({ key: e.watch, value: encodeEvent(e) })) });
    for (const channel of config.alerting.channels) {
      const d = new AlertDelivery(kafka, { channel, topic: topics.alerts, groupId: `${name}-alerts-${channel.name}`, watches: () => watches,
        dashboardUrl: config.alerting.dashboardUrl, metrics, log, maxBackoffMs: 1000 });
      await d.start();
      cleanups.push(() => d.close());
    }
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
});
