// The dashboard (issue 7): a static, framework-free page (serve/public) that reads the query
// API (serve/api.ts) with the token from its URL and refreshes every 5 s. uPlot is served
// straight from node_modules, not vendored. The page holds no data itself: the API checks tokens.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(publicDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(publicDir, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: path.join(publicDir, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': { file: path.join(uplotDir, 'dist', 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: path.join(uplotDir, 'dist', 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

// Scripts and styles only from this origin; uPlot sets element styles from script (CSSOM), allowed.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Registers `/` (the dashboard), its assets and uPlot. Call before `app.listen`/`ready`. */
export function registerDashboard(app: FastifyInstance): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    app.get(url, async (_req, reply) => {
      const body = await readFile(file);
      reply.header('content-type', type)
        .header('cache-control', url.startsWith('/vendor/') ? 'public, max-age=86400' : 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer');
      if (url === '/') reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
      return body;
    });
  }
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
}
