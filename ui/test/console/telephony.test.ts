// "Numbers & queues": where a save's field errors belong, and the client keeping them; the
// upload sent as the file itself with the CSRF token.
import { describe, expect, it } from 'vitest';
import { ApiError, createApi } from '../../src/api';
import { enTelephony } from '../../src/console/pages/telephony/en';
import { jaTelephony } from '../../src/console/pages/telephony/ja';
import { fieldErrorsOf, placeOf, telephonyApi } from '../../src/console/pages/telephony/api';

describe('field errors', () => {
  it('places a key below the tenant on its row and field', () => {
    expect(placeOf('telephony.queue[2].waiting')).toEqual({ list: 'queue', index: 2, field: 'waiting' });
    expect(placeOf('telephony.number[0].did')).toEqual({ list: 'number', index: 0, field: 'did' });
    expect(placeOf('telephony.agent[1]')).toEqual({ list: 'agent', index: 1, field: '' });
    expect(placeOf('crm.client_id')).toBeNull();
  });

  it('are kept from a refused save by the client', async () => {
    const body = { error: { code: 'invalid_settings', message: 'telephony.queue[0].waiting: …', fields: [{ key: 'telephony.queue[0].waiting', problem: 'p', fix: 'f' }] } };
    const api = createApi(() => Promise.resolve(new Response(JSON.stringify(body), { status: 400, headers: { 'Content-Type': 'application/json' } })));
    const error = await telephonyApi(api).save(1, { allowed_sources: [], numbers: [], queues: [], agents: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const fields = fieldErrorsOf((error as ApiError).details);
    expect(fields).toEqual([{ key: 'telephony.queue[0].waiting', problem: 'p', fix: 'f' }]);
    expect(fieldErrorsOf(null)).toEqual([]);
    expect(fieldErrorsOf({ fields: 'no' })).toEqual([]);
  });
});

describe('the upload', () => {
  it('sends the file itself, its name and kind in the query, with the CSRF token', async () => {
    const seen: { url: string; init: RequestInit | undefined }[] = [];
    const api = createApi((url, init) => {
      seen.push({ url, init });
      if (url === '/api/v1/session') {
        return Promise.resolve(new Response(JSON.stringify({ tenant: 'acme', user: 'ada', role: 'admin', expires_at: 'x', csrf_token: 'tok' }), { status: 200 }));
      }
      return Promise.resolve(new Response(JSON.stringify({ prompt: { id: 'music-ab' } }), { status: 201 }));
    });
    await api.session();
    const file = new File([new Uint8Array([82, 73, 70, 70])], 'hold music.wav', { type: 'audio/wav' });
    const answer = await telephonyApi(api).upload('music', file);
    expect(answer.prompt.id).toBe('music-ab');
    const upload = seen[1];
    expect(upload?.url).toBe('/api/v1/console/telephony/prompts?kind=music&name=hold+music.wav');
    expect(upload?.init?.method).toBe('POST');
    expect(upload?.init?.body).toBe(file);
    expect((upload?.init?.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
    expect((upload?.init?.headers as Record<string, string>)['Content-Type']).toBe('audio/wav');
  });
});

describe('the words', () => {
  it('exist in both languages for the same keys', () => {
    expect(Object.keys(jaTelephony).sort()).toEqual(Object.keys(enTelephony).sort());
    expect(jaTelephony.readOnly({ file: 'a.toml' })).toContain('a.toml');
  });
});
