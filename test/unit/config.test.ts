// Environment variables map onto the config schema in one place (app/config.ts fromEnv),
// the `api` section included; file values are overridden by env, env by explicit overrides.
import { describe, expect, it } from 'vitest';
import { fromEnv, loadConfig } from '../../app/config.js';

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
    expect(loadConfig({ env: {} }).api).toEqual({ readTokens: [], adminTokens: [] });
    expect(() => loadConfig({ env: { TRENDSTREAM_API_READ_TOKENS: 'short' } })).toThrow(/api\.readTokens\.0: tokens must be at least 16 characters/);
  });
});
