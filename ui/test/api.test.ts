import { describe, expect, it } from 'vitest';
import { ApiError, createApi, csrfHeader, type Fetch } from '../src/api';

interface Seen { url: string; init: RequestInit | undefined }

function fakeFetch(responses: Response[]): { fetch: Fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    fetch: (url, init) => {
      seen.push({ url, init });
      const next = responses.shift();
      return next ? Promise.resolve(next) : Promise.reject(new Error('no more responses'));
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

const session = { session: { tenant: 'acme', user: 'alice', role: 'agent', expires_at: '2026-12-06T20:00:00Z' }, csrf_token: 'tok-1' };

describe('the API client (SERVER-CONTRACT.md)', () => {
  it('signs in with JSON, sends cookies, and puts the CSRF token on state-changing requests only', async () => {
    const f = fakeFetch([json(200, session), json(200, { start_url: 'https://cb/api/v1/tenants/acme/agents/alice/crm-link?ticket=t' }), json(200, { agents: [], queues: [] }), new Response(null, { status: 204 })]);
    const api = createApi(f.fetch, 'https://cb');
    await api.signIn('acme', 'alice', 'pw');
    expect(f.seen[0]?.url).toBe('https://cb/api/v1/session');
    expect(f.seen[0]?.init?.method).toBe('POST');
    expect(f.seen[0]?.init?.credentials).toBe('include');
    expect(JSON.parse(f.seen[0]?.init?.body as string)).toEqual({ tenant: 'acme', user: 'alice', password: 'pw' });
    expect((await api.startCrmLink()).start_url).toContain('crm-link');
    expect((f.seen[1]?.init?.headers as Record<string, string>)[csrfHeader]).toBe('tok-1');
    await api.colleagues('acme');
    expect(f.seen[2]?.url).toBe('https://cb/api/v1/tenants/acme/colleagues');
    expect((f.seen[2]?.init?.headers as Record<string, string>)[csrfHeader]).toBeUndefined();
    await api.signOut(true);
    expect(f.seen[3]?.url).toBe('https://cb/api/v1/sessions');
    expect(f.seen[3]?.init?.method).toBe('DELETE');
  });

  it('reads the server error body and Retry-After', async () => {
    const f = fakeFetch([json(429, { error: { code: 'too_many_attempts', message: 'Wait a minute.' } }, { 'Retry-After': '60' })]);
    const api = createApi(f.fetch);
    const error = await api.signIn('acme', 'alice', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'too_many_attempts', message: 'Wait a minute.', retryAfter: 60 });
  });

  it('says "signed out" as null, and still throws other failures', async () => {
    const f = fakeFetch([json(401, { error: { code: 'not_signed_in', message: 'Sign in.' } }), new Response('<html>bad gateway</html>', { status: 502 })]);
    const api = createApi(f.fetch);
    expect(await api.session()).toBeNull();
    await expect(api.session()).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });
});
