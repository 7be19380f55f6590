import { afterEach, describe, expect, it, vi } from 'vitest';
import { initTimeoutMs, openFrameScriptUrl, startOpenFrame, type OpenFrameApi } from '../src/adapters/openframe';

type Answer = 'success' | 'failure' | 'silence' | 'throw';

function fakeApi(answer: Answer) {
  const calls: [string, ...unknown[]][] = [];
  let handler: ((c: unknown) => void) | null = null;
  const api: OpenFrameApi = {
    init(config, ok, fail) {
      calls.push(['init', config]);
      if (answer === 'success') ok({});
      if (answer === 'failure') fail(new Error('no host'));
      if (answer === 'throw') throw new Error('not in a frame');
    },
    subscribe(event, h) { calls.push(['subscribe', event]); handler = h; },
    setTitle(t) { calls.push(['setTitle', t]); },
    setPresenceIndicator(text, color) { calls.push(['setPresenceIndicator', text, color]); },
    show() { calls.push(['show']); },
    toastMessage(m, k, ms) { calls.push(['toastMessage', m, k, ms]); },
    openServiceNowForm(ref) { calls.push(['openServiceNowForm', ref]); },
    EVENTS: { COMMUNICATION_EVENT: 'openframe_communication' },
  };
  return { api, calls, fire: (payload: unknown) => handler?.(payload) };
}

afterEach(() => { vi.useRealTimers(); });

describe('OpenFrame', () => {
  it('loads the instance’s own script', () => {
    expect(openFrameScriptUrl('https://acme.service-now.com')).toBe(
      'https://acme.service-now.com/scripts/openframe/latest/openFrameAPI.min.js',
    );
  });

  it('initialises, subscribes to click-to-dial and drives the host', async () => {
    const f = fakeApi('success');
    const seen: unknown[] = [];
    const host = await startOpenFrame(f.api, 'Callbridge', (p) => seen.push(p));
    expect(host).not.toBeNull();
    f.fire({ phone_number: '858-287-7834' });
    expect(seen).toEqual([{ phone_number: '858-287-7834' }]);
    host?.setPresence('busy', 'On a call');
    host?.setTitle('x'.repeat(300));
    host?.show();
    host?.toast('Case CS1 created.', 'info');
    host?.openForm({ entity: 'customer_contact', query: 'sys_id=k1' });
    expect(f.calls).toEqual([
      ['init', { height: 560, width: 360, title: 'Callbridge' }],
      ['subscribe', 'openframe_communication'],
      ['setPresenceIndicator', 'On a call', 'red'],
      ['setTitle', 'x'.repeat(256)],
      ['show'],
      ['toastMessage', 'Case CS1 created.', 'info', 5000],
      ['openServiceNowForm', { entity: 'customer_contact', query: 'sys_id=k1' }],
    ]);
  });

  it('is absent when the host refuses, throws, or does not answer within 3 s', async () => {
    expect(await startOpenFrame(fakeApi('failure').api, 't', () => {})).toBeNull();
    expect(await startOpenFrame(fakeApi('throw').api, 't', () => {})).toBeNull();
    vi.useFakeTimers();
    const pending = startOpenFrame(fakeApi('silence').api, 't', () => {});
    await vi.advanceTimersByTimeAsync(initTimeoutMs);
    expect(await pending).toBeNull();
  });
});
