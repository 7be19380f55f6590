// The client of the HTTP API proposed in ui/SERVER-CONTRACT.md: sign-in, the agent's profile,
// colleagues for transfer, and the CRM link. Cookies carry the session; the CSRF token the
// session answer gives is sent on every state-changing request.
import {
  ApiError,
  type Colleagues,
  type CrmLinkStart,
  type Profile,
  type SessionResponse,
} from './types';

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface Api {
  signIn(tenant: string, user: string, password: string): Promise<SessionResponse>;
  /** The current session, or null when signed out. */
  session(): Promise<SessionResponse | null>;
  signOut(everywhere: boolean): Promise<void>;
  profile(): Promise<Profile>;
  colleagues(tenant: string): Promise<Colleagues>;
  startCrmLink(): Promise<CrmLinkStart>;
  unlinkCrm(): Promise<void>;
  /** Any other route of the same API (the console's), with the session's CSRF token on every
   *  state-changing request; an error answer becomes an [`ApiError`]. */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** `POST`s a file as the body (not JSON), with the CSRF token; for uploads. */
  upload<T>(path: string, file: Blob): Promise<T>;
}

export const csrfHeader = 'X-CSRF-Token';

async function errorOf(response: Response): Promise<ApiError> {
  let code = 'http_' + String(response.status);
  let message = response.statusText || 'request failed';
  let details: Record<string, unknown> | null = null;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    if (typeof body.error === 'object') details = body.error;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const retry = Number(response.headers.get('Retry-After'));
  return new ApiError(response.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null, details);
}

export function createApi(fetchImpl: Fetch, base = ''): Api {
  let csrf: string | null = null;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && csrf !== null) headers[csrfHeader] = csrf;
    const init: RequestInit = { method, headers, credentials: 'include' };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetchImpl(base + path, init);
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  function remember(answer: SessionResponse): SessionResponse {
    csrf = answer.csrf_token;
    return answer;
  }

  return {
    async signIn(tenant, user, password) {
      return remember(await call<SessionResponse>('POST', '/api/v1/session', { tenant, user, password }));
    },
    async session() {
      try {
        return remember(await call<SessionResponse>('GET', '/api/v1/session'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    async signOut(everywhere) {
      await call<undefined>('DELETE', everywhere ? '/api/v1/sessions' : '/api/v1/session');
      csrf = null;
    },
    profile: () => call<Profile>('GET', '/api/v1/me'),
    colleagues: (tenant) => call<Colleagues>('GET', `/api/v1/tenants/${encodeURIComponent(tenant)}/colleagues`),
    startCrmLink: () => call<CrmLinkStart>('POST', '/api/v1/me/crm-link', {}),
    unlinkCrm: () => call<undefined>('DELETE', '/api/v1/me/crm-link'),
    request: call,
    async upload<T>(path: string, file: Blob): Promise<T> {
      const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
      if (csrf !== null) headers[csrfHeader] = csrf;
      const response = await fetchImpl(base + path, { method: 'POST', headers, credentials: 'include', body: file });
      if (!response.ok) throw await errorOf(response);
      return (await response.json()) as T;
    },
  };
}
