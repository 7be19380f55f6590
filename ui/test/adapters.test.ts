import { describe, expect, it } from 'vitest';
import { contactOfRecord, defaultTables, formRef, formUrl } from '../src/adapters/crm-links';
import { previewE164 } from '../src/intake/number-preview';
import { languages, pickLanguage, texts } from '../src/i18n';
import { en } from '../src/i18n/en';
import { ja } from '../src/i18n/ja';
import { initialState } from '../src/state/reducer';
import { createStore } from '../src/state/store';
import type { Announcement, Effect } from '../src/state/types';

describe('CRM record links', () => {
  const contact = { kind: 'contact' as const, id: 'abc123', name: 'x', account: null };
  it('opens a contact, a consumer and a Case at the instance’s own form URL', () => {
    expect(formUrl('https://acme.service-now.com', formRef({ kind: 'contact', contact }, defaultTables))).toBe(
      'https://acme.service-now.com/customer_contact.do?sys_id=abc123',
    );
    expect(formRef({ kind: 'contact', contact: { ...contact, kind: 'consumer' } }, defaultTables).entity).toBe('csm_consumer');
    expect(formUrl('http://127.0.0.1:8081/', formRef({ kind: 'case', case: { id: 'c1', label: 'CS1' } }, defaultTables))).toBe(
      'http://127.0.0.1:8081/sn_customerservice_case.do?sys_id=c1',
    );
  });

  it('prefills a new contact with the number, and encodes what it does not trust', () => {
    expect(formRef({ kind: 'new_contact', number: '+81312345678' }, defaultTables)).toEqual({
      entity: 'customer_contact',
      query: 'sys_id=-1&sysparm_query=phone%3D%2B81312345678',
    });
    expect(formRef({ kind: 'new_contact', number: '+1^ORactive=true' }, defaultTables).query).toBe('sys_id=-1&sysparm_query=phone%3D%2B1');
    expect(formRef({ kind: 'contact', contact: { ...contact, id: 'a&b=c' } }, defaultTables).query).toBe('sys_id=a%26b%3Dc');
    expect(formUrl('javascript:alert(1)', { entity: 'x', query: '' })).toBeNull();
    expect(formUrl('not a url', { entity: 'x', query: '' })).toBeNull();
  });
});

describe('the record a number was dialled from', () => {
  it('is the call’s contact when it is a contact or a consumer, and nobody otherwise', () => {
    expect(contactOfRecord({ table: 'customer_contact', sysId: 'k9' }, defaultTables)).toEqual({ kind: 'contact', id: 'k9', name: '', account: null });
    expect(contactOfRecord({ table: 'csm_consumer', sysId: 'u1' }, defaultTables)?.kind).toBe('consumer');
    expect(contactOfRecord({ table: 'customer_account', sysId: 'a1' }, defaultTables)).toBeNull();
    expect(contactOfRecord({ table: 'u_people', sysId: 'p1' }, { ...defaultTables, contact: 'u_people' })?.kind).toBe('contact');
  });
});

describe('the number as it will be dialled', () => {
  it('is E.164 in the tenant’s region when that can be told', () => {
    expect(previewE164('0312345678', 'JP')).toBe('+81312345678');
    expect(previewE164('09012345678', 'jp')).toBe('+819012345678');
    expect(previewE164('2015550123', 'US')).toBe('+12015550123');
    expect(previewE164('+442079460000', null)).toBe('+442079460000');
    expect(previewE164('110', 'JP')).toBeNull();
    expect(previewE164('0312345678', 'ZZ')).toBeNull();
  });
});

describe('languages', () => {
  it('follows the browser, or the agent’s choice', () => {
    expect(pickLanguage(['ja-JP', 'en'], null)).toBe('ja');
    expect(pickLanguage(['fr-FR', 'en-GB'], null)).toBe('en');
    expect(pickLanguage(['de'], null)).toBe('en');
    expect(pickLanguage(['ja'], 'en')).toBe('en');
  });

  it('have the same keys in both catalogues (the type checks it; this guards nested records)', () => {
    const shape = (v: unknown): unknown =>
      typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : typeof v;
    expect(shape(ja)).toEqual(shape(en));
    expect(languages).toEqual(['en', 'ja']);
  });

  it('format durations and times with Intl', () => {
    expect(texts('en').duration(65_000)).toBe('01:05');
    expect(texts('ja').duration(3_725_000)).toBe('1:02:05');
    expect(texts('en').seconds(1_200)).toBe('2');
    expect(texts('en').number(1234)).toBe('1,234');
    expect(texts('ja').time(Date.UTC(2026, 11, 6, 9, 5))).toMatch(/\d{2}:05/);
  });

  it('say every announcement in both languages', () => {
    const all: Announcement[] = [
      { kind: 'ringing', caller: { kind: 'withheld', name: null } },
      { kind: 'contact_found', name: 'A' },
      { kind: 'call_connected' },
      { kind: 'call_on_hold', on: true },
      { kind: 'call_ended', outcome: { kind: 'transferred', to: { queue: 'q' } } },
      { kind: 'case_created', label: 'CS1' },
      { kind: 'agent_state', state: 'wrap_up' },
      { kind: 'connection_lost' },
      { kind: 'connection_restored' },
      { kind: 'other_tab' },
    ];
    for (const lang of languages) {
      for (const a of all) expect(texts(lang).announcement(a).length, `${lang} ${a.kind}`).toBeGreaterThan(0);
    }
    expect(texts('ja').announcement({ kind: 'ringing', caller: { kind: 'withheld', name: null } })).toBe('非通知 から着信です。');
  });
});

describe('the store', () => {
  it('runs effects in order and queues inputs dispatched by an effect', () => {
    const seen: Effect['kind'][] = [];
    const store = createStore(initialState(0), (effect) => {
      seen.push(effect.kind);
      // An adapter answering synchronously: handled after the current input's effects.
      if (effect.kind === 'connect') store.dispatch({ kind: 'socket_open' });
    });
    let renders = 0;
    store.subscribe(() => { renders += 1; });
    store.dispatch({ kind: 'start' });
    expect(seen).toEqual(['claim_tab', 'connect']);
    expect(store.getState().connection.status).toBe('open');
    expect(renders).toBe(2);
  });
});

describe('the ringtone', () => {
  it('is a second of soft two-tone ring, faded, then two seconds of silence', async () => {
    const { ringSamples } = await import('../src/adapters/ringtone');
    const rate = 8000;
    const samples = ringSamples(rate);
    expect(samples).toHaveLength(3 * rate);
    const peak = (from: number, to: number) => samples.slice(from, to).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(peak(0, 1)).toBe(0);
    expect(peak(rate / 4, rate / 2)).toBeGreaterThan(0.05);
    expect(peak(0, 3 * rate)).toBeLessThanOrEqual(0.12);
    expect(peak(rate, 3 * rate)).toBe(0);
  });
});
