import { describe, expect, it } from 'vitest';
import { cleanDialNumber } from '../src/intake/dial-request';
import { parseOpenFrameCommunication } from '../src/intake/openframe';
import { parseDialFromUrl } from '../src/intake/page-url';
import { parseDialMessage } from '../src/intake/post-message';
import { parseTelUri } from '../src/intake/tel';

describe('cleanDialNumber', () => {
  it('drops visual separators and keeps + and digits', () => {
    expect(cleanDialNumber(' +1 (555) 123-4567 ')).toBe('+15551234567');
    expect(cleanDialNumber('858-287-7834')).toBe('8582877834');
    expect(cleanDialNumber('03.1234.5678')).toBe('0312345678');
    expect(cleanDialNumber('０３－１２３４－５６７８')).toBe('0312345678');
    expect(cleanDialNumber('０３１２３４５６７８')).toBe('0312345678');
  });

  it('refuses what is not a number', () => {
    for (const bad of ['', '+', 'call me', '12ab', '++12', '1+2', '<script>', '1\u00002', '1'.repeat(21)]) {
      expect(cleanDialNumber(bad), bad).toBeNull();
    }
  });
});

describe('OpenFrame communication event', () => {
  it('reads Workspace OUTGOING_CALL with the record clicked on', () => {
    expect(
      parseOpenFrameCommunication({
        type: 'OUTGOING_CALL',
        data: {
          metaData: { phoneNumber: '+15551234567', extra: 1 },
          data: [
            { entity: 'interaction', query: 'sys_id=int1' },
            { entity: 'customer_contact', query: 'sys_id=0a1b2c' },
          ],
        },
      }),
    ).toEqual({ number: '+15551234567', context: { table: 'customer_contact', sysId: '0a1b2c' }, source: 'openframe' });
  });

  it('reads the UI16 phone icon payload, as an object or a JSON string', () => {
    const expected = { number: '8582877834', context: null, source: 'openframe' };
    expect(parseOpenFrameCommunication({ phone_number: '858-287-7834', name: 'x' })).toEqual(expected);
    expect(parseOpenFrameCommunication('{"phone_number":"858-287-7834"}')).toEqual(expected);
    expect(parseOpenFrameCommunication({ phone_number: '03-1234-5678', table: 'csm_consumer', sys_id: 'abc' })?.context).toEqual({
      table: 'csm_consumer',
      sysId: 'abc',
    });
  });

  it('ignores other events and unusable numbers', () => {
    for (const bad of [null, 42, 'not json', {}, { type: 'INCOMING_CALL' }, { type: 'OUTGOING_CALL', data: {} }, { phone_number: 'javascript:alert(1)' }]) {
      expect(parseOpenFrameCommunication(bad)).toBeNull();
    }
  });

  it('never takes a hostile record reference as context', () => {
    const r = parseOpenFrameCommunication({
      type: 'OUTGOING_CALL',
      data: { metaData: { phoneNumber: '+15551234567' }, data: [{ entity: 'x"><script>', query: 'sys_id=1' }] },
    });
    expect(r?.context).toBeNull();
  });
});

describe('tel: links', () => {
  it('reads RFC 3966 numbers, dropping parameters', () => {
    expect(parseTelUri('tel:+81-3-1234-5678')).toEqual({ number: '+81312345678', context: null, source: 'tel' });
    expect(parseTelUri('tel%3A%2B1-201-555-0123%3Bext%3D7')?.number).toBe('+12015550123');
    expect(parseTelUri('tel:7042;phone-context=example.com')?.number).toBe('7042');
    expect(parseTelUri('mailto:a@b')).toBeNull();
    expect(parseTelUri('tel:%E0%A4%A')).toBeNull();
  });
});

describe('the page URL', () => {
  it('reads ?dial= with an optional record, and ?tel= from the protocol handler', () => {
    expect(parseDialFromUrl('?dial=%2B81312345678&table=customer_contact&sys_id=k1')).toEqual({
      number: '+81312345678',
      context: { table: 'customer_contact', sysId: 'k1' },
      source: 'url',
    });
    expect(parseDialFromUrl('?tel=tel%3A%2B81312345678')?.number).toBe('+81312345678');
    expect(parseDialFromUrl('?dial=abc')).toBeNull();
    expect(parseDialFromUrl('?lang=ja')).toBeNull();
  });
});

describe('postMessage', () => {
  const allowed = ['https://acme.service-now.com'];
  it('takes callbridge.dial from an allowed origin only', () => {
    const message = { type: 'callbridge.dial', number: '+81 3 1234 5678', context: { table: 'customer_contact', sys_id: 'k1' } };
    expect(parseDialMessage(message, 'https://acme.service-now.com', allowed)).toEqual({
      number: '+81312345678',
      context: { table: 'customer_contact', sysId: 'k1' },
      source: 'post_message',
    });
    expect(parseDialMessage(message, 'https://evil.example', allowed)).toBeNull();
    expect(parseDialMessage(JSON.stringify(message), 'https://acme.service-now.com', allowed)?.number).toBe('+81312345678');
    expect(parseDialMessage({ type: 'other', number: '1' }, 'https://acme.service-now.com', allowed)).toBeNull();
  });
});
