// Setup for a tenant kept in the store: a save's field errors land on the step's own fields,
// the save is a PUT of the step with the CSRF token, and the words exist in both languages.
import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/api';
import { enSetup } from '../../src/console/pages/setup/en';
import { jaSetup } from '../../src/console/pages/setup/ja';
import { fieldOf, setupApi } from '../../src/console/pages/setup/api';

describe('a field error', () => {
  it('belongs to the form field named by the last part of its key', () => {
    const connection = ['instance_url', 'client_id', 'client_secret'];
    expect(fieldOf('crm.instance_url', connection)).toBe('instance_url');
    expect(fieldOf('servicenow.client_secret', connection)).toBe('client_secret');
    expect(fieldOf('crm.case.table', ['table', 'recording_url_column'])).toBe('table');
    expect(fieldOf('telephony.recordings.bucket', ['store', 'bucket'])).toBe('bucket');
    expect(fieldOf('crm.lookup.tables[0].table', connection)).toBeNull();
  });
});

describe('a save', () => {
  it('is a PUT of the step with its version and the CSRF token', async () => {
    const seen: { url: string; init: RequestInit | undefined }[] = [];
    const api = createApi((url, init) => {
      seen.push({ url, init });
      if (url === '/api/v1/session') {
        return Promise.resolve(new Response(JSON.stringify({ tenant: 'globex', user: 'ada', role: 'admin', expires_at: 'x', csrf_token: 'tok' }), { status: 200 }));
      }
      return Promise.resolve(new Response(JSON.stringify({ version: 4, applied: true, not_applied: null, checks: { step: 'connection', checks: [], summary: { pass: 0, warn: 0, fail: 0, skipped: 0 } } }), { status: 200 }));
    });
    await api.session();
    const answer = await setupApi(api).save('connection', { version: 3, instance_url: 'https://x.service-now.com', client_id: 'c', client_secret: null });
    expect(answer.version).toBe(4);
    const put = seen[1];
    expect(put?.url).toBe('/api/v1/console/setup/steps/connection');
    expect(put?.init?.method).toBe('PUT');
    expect(JSON.parse(put?.init?.body as string)).toEqual({ version: 3, instance_url: 'https://x.service-now.com', client_id: 'c', client_secret: null });
    expect((put?.init?.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
  });
});

describe('the words', () => {
  it('exist in both languages for the same keys', () => {
    expect(Object.keys(jaSetup).sort()).toEqual(Object.keys(enSetup).sort());
    expect(jaSetup.saved({ version: '4' })).toContain('4');
  });
});
