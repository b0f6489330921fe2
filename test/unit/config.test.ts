// Environment variables map onto the config schema in one place (app/config.ts fromEnv),
// the `api` section included; file values are overridden by env, env by explicit overrides.
import { describe, expect, it } from 'vitest';
import { fromEnv, loadConfig, requireAuth, withOneTimeToken } from '../../app/config.js';

describe('config from the environment', () => {
  it('maps the query API variables onto the api section', () => {
    const env = {
      TRENDSTREAM_API_READ_TOKENS: ' read-token-0123456789abcdef , other-read-token-0123456789 ',
      TRENDSTREAM_API_ADMIN_TOKENS: 'admin-token-0123456789abcdef',
      TRENDSTREAM_WATCHES_FILE: '/etc/trendstream/watches.json',
    };
    expect(fromEnv(env).api).toEqual({
      readTokens: ['read-token-0123456789abcdef', 'other-read-token-0123456789'],
      adminTokens: ['admin-token-0123456789abcdef'],
      watchesFile: '/etc/trendstream/watches.json',
    });
    expect(loadConfig({ env }).api.adminTokens).toEqual(['admin-token-0123456789abcdef']);
  });

  it('leaves the api section to its defaults when no variable is set, and names a bad token', () => {
    expect(fromEnv({}).api).toBeUndefined();
    expect(loadConfig({ env: {} }).api).toEqual({ port: 8081, host: '127.0.0.1', readTokens: [], adminTokens: [] });
    expect(() => loadConfig({ env: { TRENDSTREAM_API_READ_TOKENS: 'short' } })).toThrow(/api\.readTokens\.0: tokens must be at least 16 characters/);
  });
});

describe('secure by default', () => {
  const TOKEN = 'a-token-of-24-characters';
  it('refuses ingest without an ingest token and the API without a read or admin token, naming the settings', () => {
    const none = loadConfig({ env: {} });
    expect(() => requireAuth(none, ['ingest'])).toThrow(/TRENDSTREAM_INGEST_TOKENS \(config ingest\.tokens\).*--insecure-no-auth \(TRENDSTREAM_INSECURE_NO_AUTH=1\)/);
    expect(() => requireAuth(none, ['api'])).toThrow(/TRENDSTREAM_API_READ_TOKENS and\/or TRENDSTREAM_API_ADMIN_TOKENS \(config api\.readTokens, api\.adminTokens\)/);
    expect(() => requireAuth(none, [])).not.toThrow();
    expect(() => requireAuth(loadConfig({ env: { TRENDSTREAM_INGEST_TOKENS: TOKEN } }), ['ingest'])).not.toThrow();
    expect(() => requireAuth(loadConfig({ env: { TRENDSTREAM_API_READ_TOKENS: TOKEN } }), ['api'])).not.toThrow();
    expect(() => requireAuth(loadConfig({ env: { TRENDSTREAM_INSECURE_NO_AUTH: '1' } }), ['ingest', 'api'])).not.toThrow();
  });

  it('binds 127.0.0.1 unless told otherwise', () => {
    const c = loadConfig({ env: {} });
    expect([c.ingest.host, c.http.host, c.api.host]).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const o = loadConfig({ env: { TRENDSTREAM_INGEST_HOST: '0.0.0.0', TRENDSTREAM_HTTP_HOST: '0.0.0.0', TRENDSTREAM_API_HOST: '::' } });
    expect([o.ingest.host, o.http.host, o.api.host]).toEqual(['0.0.0.0', '0.0.0.0', '::']);
  });

  it('gives the demo a one-time admin token when none is configured, and keeps configured ones', () => {
    const { config, token } = withOneTimeToken(loadConfig({ env: {} }));
    expect(token).toMatch(/^[\w-]{32}$/);
    expect([config.api.adminTokens, config.ingest.tokens]).toEqual([[token], [token]]);
    expect(() => requireAuth(config, ['ingest', 'api'])).not.toThrow();
    const own = loadConfig({ env: { TRENDSTREAM_API_ADMIN_TOKENS: TOKEN } });
    expect(withOneTimeToken(own)).toEqual({ config: own });
  });
});
