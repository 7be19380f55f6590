// Setup for a tenant kept in the store: a save's field errors land on the step's own fields,
// the save is a PUT of the step with the CSRF token, and the words exist in both languages.
import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/api';
import { enSetup } from '../../src/console/pages/setup/en';
import { jaSetup } from '../../src/console/pages/setup/ja';
import { fieldOf, lookupPlaceOf, lookupRowsOf, lookupTablesBody, phoneColumnsOf, setupApi, togglePhoneColumn } from '../../src/console/pages/setup/api';

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

describe('the customer tables', () => {
  const values = [
    { key: 'case.table', value: 'sn_customerservice_case', secret: false, set: true },
    { key: 'lookup.tables[0].table', value: 'customer_contact', secret: false, set: true },
    { key: 'lookup.tables[0].kind', value: 'contact', secret: false, set: true },
    { key: 'lookup.tables[0].phone_columns', value: 'phone, mobile_phone', secret: false, set: true },
    { key: 'lookup.tables[0].name_column', value: 'name', secret: false, set: true },
    { key: 'lookup.tables[0].account_column', value: null, secret: false, set: false },
    { key: 'lookup.tables[1].table', value: 'csm_consumer', secret: false, set: true },
    { key: 'lookup.tables[1].kind', value: 'consumer', secret: false, set: true },
    { key: 'lookup.tables[1].phone_columns', value: 'mobile_phone', secret: false, set: true },
  ];

  it('are read from the overview in their order and sent back as the API takes them', () => {
    const rows = lookupRowsOf(values);
    expect(rows.map((r) => r.table)).toEqual(['customer_contact', 'csm_consumer']);
    expect(rows[0]).toEqual({ table: 'customer_contact', kind: 'contact', phone_columns: 'phone, mobile_phone', name_column: 'name', account_column: '' });
    expect(lookupTablesBody(rows)).toEqual([
      { table: 'customer_contact', kind: 'contact', phone_columns: ['phone', 'mobile_phone'], name_column: 'name', account_column: null },
      { table: 'csm_consumer', kind: 'consumer', phone_columns: ['mobile_phone'], name_column: null, account_column: null },
    ]);
    expect(lookupTablesBody([{ table: ' t ', kind: 'contact', phone_columns: ' a ,, b ', name_column: ' ', account_column: '' }]))
      .toEqual([{ table: 't', kind: 'contact', phone_columns: ['a', 'b'], name_column: null, account_column: null }]);
  });

  it('take a save\'s field errors at their row and field', () => {
    expect(lookupPlaceOf('crm.lookup.tables[1].kind')).toEqual({ index: 1, field: 'kind' });
    expect(lookupPlaceOf('crm.lookup.tables[0].phone_columns[2]')).toEqual({ index: 0, field: 'phone_columns' });
    expect(lookupPlaceOf('crm.lookup.tables')).toEqual({ index: 0, field: 'table' });
    expect(lookupPlaceOf('crm.lookup.suffix_digits')).toBeNull();
    expect(lookupPlaceOf('crm.case.table')).toBeNull();
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

describe('a picked table\'s phone columns', () => {
  const column = (name: string, kind: string) => ({ name, label: name, kind, max_length: 40, reference: null });
  it('are its phone numbers and the text columns named for a phone', () => {
    expect(phoneColumnsOf([
      column('u_direct_line', 'ph_number'),
      column('u_pager_phone', 'string'),
      column('u_phone_owner', 'reference'),
      column('u_name', 'string'),
    ])).toEqual(['u_direct_line', 'u_pager_phone']);
  });
  it('tick onto the end of the search order and untick out of it', () => {
    expect(togglePhoneColumn('', 'u_direct_line', true)).toBe('u_direct_line');
    expect(togglePhoneColumn('phone, mobile_phone', 'u_direct_line', true)).toBe('phone, mobile_phone, u_direct_line');
    expect(togglePhoneColumn('phone, u_direct_line ,mobile_phone', 'u_direct_line', false)).toBe('phone, mobile_phone');
    expect(togglePhoneColumn('phone', 'phone', true)).toBe('phone');
  });
});
