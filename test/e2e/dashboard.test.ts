// The dashboard in a real browser (Debian's headless Chromium driven by playwright-core)
// while a firestorm scenario plays through the whole pipeline: the trending list (with the
// bot campaign marked), an opened alert with its reasons and samples, and a uPlot chart
// appear and refresh; German/English toggle; acknowledging works with an admin token.
// Saves a screenshot to test/artifacts/dashboard.png.
import { existsSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { generate } from '../../sim/generator.js';
import type { Post } from '../../schemas/post.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline, type Pipeline } from '../../app/pipeline.js';
import { registerApi } from '../../serve/api.js';
import { registerDashboard } from '../../serve/dashboard.js';
import { WatchStore } from '../../serve/watch-store.js';
import { testConfig, testLogger, uniqueName } from '../helpers.js';
import { closingPosts } from '../truth.js';

const START = Date.parse('2026-11-21T14:00:00Z');
const M = 60_000;
const READ = 'read-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/', import.meta.url);

const posts: Post[] = [...generate({
  seed: 91, start: START, minutes: 32, postsPerMinute: 150, rhythm: false, disorderMs: 10_000, watches: EVAL_WATCHES,
  events: [
    { kind: 'burst', tag: 'Glatteis', at: START + 12 * M, peakPerMinute: 150, rampMinutes: 2, durationMinutes: 40, lang: 'de' },
    { kind: 'campaign', tag: 'WahlBetrug', at: START + 13 * M, perMinute: 100, durationMinutes: 40, accounts: 20 },
    { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 16 * M, peakPerMinute: 150, rampMinutes: 3, durationMinutes: 40, tag: 'Bahnchaos' },
  ],
})];

describe('dashboard in a browser', () => {
  const name = uniqueName('dash');
  const config = testConfig(name, 'server', { kafka: { postsPartitions: 2, countsPartitions: 2 } });
  const watches = new WatchStore({ watches: EVAL_WATCHES });
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let browser: Browser;
  let base = '';
  let playing: Promise<void> = Promise.resolve();
  let stop = false;

  /** Plays the scenario: the first 10 minutes at once, then a minute of event time every 400 ms, then posts that close the last minutes. */
  async function play(): Promise<void> {
    const cut = (m: number) => START + m * M;
    await pipeline.producer!.send(posts.filter((p) => p.created_at < cut(10)));
    for (let m = 10; m < 32 && !stop; m++) {
      await pipeline.producer!.send(posts.filter((p) => p.created_at >= cut(m) && p.created_at < cut(m + 1)));
      await sleep(400);
    }
    await pipeline.producer!.send(closingPosts(Math.max(...posts.map((p) => p.created_at))));
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    pipeline = await startPipeline({ config, roles: ['ingest', 'process', 'sink'], log: testLogger(), metrics: new Metrics(), watches: () => watches.get(), http: false });
    app = Fastify({ logger: false });
    registerApi(app, { store: pipeline.store!, database: config.clickhouse.database, watches, tokens: { read: [READ], admin: [ADMIN] } });
    registerDashboard(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });

  afterAll(async () => {
    stop = true;
    await playing.catch(() => {});
    await browser?.close();
    await app?.close();
    await pipeline?.close();
    watches.close();
  });

  it('serves the page, its assets and uPlot from node_modules', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    for (const id of ['trending', 'alerts', 'chart', 'alert-history', 'watches']) expect(html).toContain(`id="${id}"`);
    for (const asset of ['/app.js', '/style.css', '/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css']) {
      const r = await fetch(base + asset);
      expect({ asset, status: r.status }).toEqual({ asset, status: 200 });
      expect((await r.text()).length).toBeGreaterThan(500);
    }
  });

  it('shows trends, an opened alert with reasons and a chart while a firestorm plays', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 1100 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/?token=${ADMIN}`);
    expect(page.url()).toBe(`${base}/`); // the token leaves the address bar
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 });
    playing = play();

    // Trending list: the organic burst and the bot campaign, the campaign marked inauthentic.
    await page.waitForSelector('#trending [data-testid="trend-item"][data-tag="glatteis"]', { timeout: 60_000 });
    await page.waitForSelector('#trending [data-testid="trend-item"][data-tag="wahlbetrug"] [data-testid="inauthentic"]', { timeout: 30_000 });
    expect(await page.locator('#trending [data-testid="trend-item"][data-tag="glatteis"] [data-testid="inauthentic"]').count()).toBe(0);
    expect(await page.locator('#trending [data-testid="trend-item"][data-tag="glatteis"] [data-testid="sparkline"] polyline').count()).toBe(1);

    // The firestorm opens an alert against Deutsche Bahn, with reasons and sample posts.
    const card = page.locator('#alerts [data-testid="alert-card"][data-watch="deutsche-bahn"]');
    await card.waitFor({ timeout: 60_000 });
    await expect.poll(() => card.locator('[data-testid="alert-reasons"] li').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await card.locator('header').innerText()).toMatch(/Deutsche Bahn/);
    expect(await card.locator('[data-testid="alert-reasons"] li[data-code="volume"]').innerText()).toMatch(/^Volume [\d.]+× the usual level/);
    expect(await card.locator('[data-testid="alert-reasons"] li[data-code="negative_share"]').innerText()).toMatch(/^\d+% negative \(usually \d+%\)$/);
    expect(Number(await card.locator('[data-testid="alert-severity"]').innerText())).toBeGreaterThanOrEqual(3);
    await expect.poll(() => card.locator('[data-testid="alert-sample"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('#alert-history [data-testid="history-row"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#watches [data-testid="watch-item"]').count()).toBe(EVAL_WATCHES.length);

    // The chart: uPlot draws on a canvas for the alert's watch by default.
    await page.waitForSelector('#chart canvas', { timeout: 15_000 });
    expect(await page.locator('#chart .u-title').innerText()).toBe('Deutsche Bahn');
    await page.locator('#trending [data-tag="glatteis"] button.tag').click();
    await expect.poll(() => page.locator('#chart .u-title').innerText(), { timeout: 10_000 }).toBe('#glatteis');
    expect(await page.locator('#chart canvas').count()).toBe(1);

    // Acknowledge with the admin token; the badge appears after the refresh.
    await card.locator('[data-testid="alert-ack"]').click();
    await card.locator('[data-testid="alert-acknowledged"]').waitFor({ timeout: 15_000 });

    await playing;
    await sleep(5500); // one more refresh with the whole scenario decided
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname, fullPage: true });

    // German UI text, including the reasons rendered from their codes.
    await page.locator('#lang-toggle').click();
    expect(await page.locator('#alerts-panel h2').innerText()).toBe('Offene Alarme');
    expect(await card.locator('[data-testid="alert-reasons"] li[data-code="negative_share"]').innerText()).toMatch(/^\d+\s%\snegativ \(sonst \d+\s%\)$/);
    await page.screenshot({ path: new URL('dashboard-de.png', ARTIFACTS).pathname, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('asks for a token when none or a wrong one is given, and a read token cannot acknowledge', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#auth:not([hidden])', { timeout: 10_000 });
    expect(await page.locator('#status').innerText()).toMatch(/Token fehlt/);
    await page.fill('#token-input', READ);
    await page.click('#auth button[type="submit"]');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
    expect(await page.locator('#auth').isHidden()).toBe(true);
    const card = page.locator('#alerts [data-testid="alert-card"]').first();
    await card.waitFor({ timeout: 10_000 });
    await card.locator('[data-testid="alert-false-alarm"]').click();
    await expect.poll(() => card.locator('.act-msg').innerText(), { timeout: 5000 }).toMatch(/Admin-Token/);
    await context.close();
  });
});
