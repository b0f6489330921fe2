// OAUTHBEARER tokens for the Kafka client: fetched from an OAuth 2 token endpoint with the
// client-credentials grant and cached until shortly before they expire, or read from a file
// that something else keeps fresh (a Kubernetes projected token). kafkajs asks on every connection.

import { readFileSync } from 'node:fs';

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string | undefined;
}

/** A token is renewed this long before it expires, or after 80% of its lifetime when that is shorter. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * A provider for kafkajs' `oauthBearerProvider`: one request to `tokenUrl` per token lifetime
 * (concurrent connections share it). A failed request throws an error naming the endpoint and
 * its answer; kafkajs then fails the connection and retries it.
 */
export function clientCredentialsProvider(c: ClientCredentials, now = Date.now): () => Promise<{ value: string }> {
  let cached: { value: string; renewAt: number } | null = null;
  let pending: Promise<{ value: string; renewAt: number }> | null = null;
  const fetchToken = async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(c.scope ? { scope: c.scope } : {}) });
    // RFC 6749 §2.3.1: the client authenticates with HTTP Basic, id and secret form-encoded.
    const basic = Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64');
    const started = now();
    let res: Response;
    try {
      res = await fetch(c.tokenUrl, { method: 'POST', body, redirect: 'error', headers: { authorization: `Basic ${basic}`, accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
    } catch (e) {
      throw new Error(`OAuth token endpoint ${c.tokenUrl} unreachable: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`OAuth token endpoint ${c.tokenUrl} answered ${res.status}: ${text.slice(0, 200)}`);
    let json: { access_token?: unknown; expires_in?: unknown };
    try { json = JSON.parse(text); } catch { throw new Error(`OAuth token endpoint ${c.tokenUrl} answered no JSON: ${text.slice(0, 200)}`); }
    if (typeof json.access_token !== 'string' || !json.access_token) throw new Error(`OAuth token endpoint ${c.tokenUrl} answered no access_token`);
    // Without expires_in the token is asked for again on the next connection.
    const lifetimeMs = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : 0;
    return { value: json.access_token, renewAt: started + Math.min(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs * 0.8) };
  };
  return async () => {
    if (cached && now() < cached.renewAt) return { value: cached.value };
    pending ??= fetchToken().finally(() => { pending = null; });
    cached = await pending;
    return { value: cached.value };
  };
}

/** A provider reading the token from `file` on every connection, so a rotated file is picked up. */
export function tokenFileProvider(file: string): () => Promise<{ value: string }> {
  return async () => ({ value: readFileSync(file, 'utf8').trim() });
}
