// The operational HTTP endpoints every worker serves: /metrics, /healthz, /readyz.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface Health { ready(): boolean }

/** `registry` null: health only, for a port that faces the outside (metrics stay on the ops port). */
export function registerOps(app: FastifyInstance, registry: Registry | null, health: Health): void {
  if (registry) {
    app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ok = health.ready();
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'starting' };
  });
}

/** A standalone ops server for workers that serve nothing else. Resolves with the bound port. */
export async function startOpsServer(port: number, registry: Registry, health: Health, host = '127.0.0.1'): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ logger: false });
  registerOps(app, registry, health);
  await app.listen({ port, host });
  const addr = app.server.address();
  return { app, port: typeof addr === 'object' && addr ? addr.port : port };
}
