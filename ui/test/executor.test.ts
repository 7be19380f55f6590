import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultTables } from '../src/adapters/crm-links';
import { createExecutor, type Adapters } from '../src/adapters/executor';
import type { OpenFrameHost } from '../src/adapters/openframe';
import { texts } from '../src/i18n';
import type { Input } from '../src/state/types';

function adapters(frame: OpenFrameHost | null) {
  const log: unknown[][] = [];
  const inputs: Input[] = [];
  const record = (name: string) => (...args: unknown[]) => { log.push([name, ...args]); };
  const a: Adapters = {
    socket: { connect: record('connect'), disconnect: record('disconnect'), send: record('send') },
    media: { start: record('media.start'), applyAnswer: record('media.answer'), stop: record('media.stop'), setMuted: record('media.mute'), sendDtmf: record('media.dtmf') },
    ringtone: { start: record('ring.start'), stop: record('ring.stop'), unlock: record('ring.unlock') },
    notifier: { ask: record('notify.ask'), show: record('notify.show') },
    tabs: { claim: record('tabs.claim'), close: record('tabs.close') },
    texts: () => texts('en'),
    openFrame: () => frame,
    crm: () => ({ instanceUrl: 'https://acme.service-now.com', tables: defaultTables }),
    announce: record('announce'),
    afterPaint: (task) => { painted.push(task); },
    dispatch: (i) => inputs.push(i),
  };
  const painted: (() => void)[] = [];
  const paint = () => { for (const task of painted.splice(0)) task(); };
  return { a, log, inputs, paint };
}

function fakeFrame() {
  const log: unknown[][] = [];
  const record = (name: string) => (...args: unknown[]) => { log.push([name, ...args]); };
  const frame: OpenFrameHost = { setTitle: record('setTitle'), setPresence: record('setPresence'), show: record('show'), toast: record('toast'), openForm: record('openForm') };
  return { frame, log };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const contact = { kind: 'contact' as const, id: 'k1', name: 'Hanako', account: null };

describe('the effect executor', () => {
  it('opens CRM records through OpenFrame when inside ServiceNow', () => {
    const f = fakeFrame();
    const { a } = adapters(f.frame);
    createExecutor(a)({ kind: 'open_crm', target: { kind: 'contact', contact } });
    expect(f.log).toEqual([['openForm', { entity: 'customer_contact', query: 'sys_id=k1' }]]);
  });

  it('names the record a call was dialled from as its contact, and nothing for a record of no person', () => {
    const { a, log } = adapters(null);
    const run = createExecutor(a);
    run({ kind: 'link_dial_context', call: 'c-7', context: { table: 'customer_contact', sysId: 'k9' } });
    run({ kind: 'link_dial_context', call: 'c-8', context: { table: 'customer_account', sysId: 'a1' } });
    expect(log).toEqual([['send', { type: 'choose_contact', call: 'c-7', contact: { kind: 'contact', id: 'k9', name: '', account: null } }]]);
  });

  it('opens the instance’s form URL in a new tab when standalone, after the next paint', () => {
    const open = vi.fn();
    vi.stubGlobal('window', { open });
    const { a, paint } = adapters(null);
    createExecutor(a)({ kind: 'open_crm', target: { kind: 'case', case: { id: 'c1', label: 'CS1' } } });
    // Not before the frame that shows the pop: opening a tab holds the page up.
    expect(open).not.toHaveBeenCalled();
    paint();
    expect(open).toHaveBeenCalledWith('https://acme.service-now.com/sn_customerservice_case.do?sys_id=c1', '_blank', 'noopener');
  });

  it('says the words in the agent’s language, and toasts what must not be missed in OpenFrame', () => {
    const f = fakeFrame();
    const { a, log } = adapters(f.frame);
    const run = createExecutor(a);
    run({ kind: 'announce', announcement: { kind: 'case_created', label: 'CS1' } });
    run({ kind: 'announce', announcement: { kind: 'call_connected' } });
    run({ kind: 'presence_indicator', presence: 'available' });
    run({ kind: 'presence_indicator', presence: 'busy' });
    expect(log).toEqual([['announce', 'Case CS1 created.'], ['announce', 'Call connected.']]);
    expect(f.log).toEqual([
      ['toast', 'Case CS1 created.', 'info'],
      ['setPresence', 'available', 'Available'],
      ['setTitle', 'Callbridge softphone · Available'],
      // Ringing, dialling and talking alike: not "On a call" while a call only rings.
      ['setPresence', 'busy', 'Busy'],
      ['setTitle', 'Callbridge softphone · Busy'],
    ]);
  });

  it('carries out sends, media, ringing and notifications', () => {
    const { a, log } = adapters(null);
    const run = createExecutor(a);
    run({ kind: 'send', message: { type: 'answer', call: 'c' } });
    run({ kind: 'ring', on: true });
    run({ kind: 'ring', on: false });
    run({ kind: 'dtmf', tones: '5' });
    run({ kind: 'notify', caller: { kind: 'number', number: '+81312345678', name: null }, call: 'c' });
    expect(log).toEqual([
      ['send', { type: 'answer', call: 'c' }],
      ['ring.start'],
      ['ring.stop'],
      ['media.dtmf', '5'],
      ['notify.show', 'Incoming call', '+81312345678 is calling.', 'c'],
    ]);
  });

  it('wakes the reducer when a reconnect is due, even without ticks', () => {
    vi.useFakeTimers();
    const { a, inputs } = adapters(null);
    createExecutor(a)({ kind: 'reconnect', afterMs: 2_000 });
    vi.advanceTimersByTime(1_999);
    expect(inputs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(inputs).toMatchObject([{ kind: 'tick' }]);
  });
});
