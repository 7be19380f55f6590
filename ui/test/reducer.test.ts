import { describe, expect, it } from 'vitest';
import { currentCall, reconnectDelay } from '../src/state/reducer';
import { effectsOf, loadFixture, replay, sentMessages } from './replay';

const login = loadFixture('login');
const loggedIn = () => replay(login).state;

describe('a session', () => {
  it('logs in: welcome, one media_offer with the browser SDP, the answer applied, then available', () => {
    const r = replay(login);
    expect(r.state.identity).toEqual({ tenant: 'acme', agent: 'alice', queues: ['support', 'sales'] });
    expect(r.state.media).toBe('connected');
    expect(r.state.agent.state).toBe('available');
    expect(effectsOf(r, 'start_media')).toHaveLength(1);
    expect(effectsOf(r, 'apply_media_answer')[0]?.sdp).toContain('ice-lite');
    expect(sentMessages(r)).toEqual([
      { type: 'media_offer', offer: { type: 'offer', sdp: expect.stringContaining('PCMU') as unknown } },
      { type: 'set_availability', available: true },
    ]);
    expect(effectsOf(r, 'presence_indicator').at(-1)?.presence).toBe('available');
  });

  it('takes the new queues the server sends while connected, for the transfer picker', () => {
    const r = replay([{ recv: { type: 'queues', queues: ['billing', 'support'] } }], loggedIn());
    expect(r.state.identity).toEqual({ tenant: 'acme', agent: 'alice', queues: ['billing', 'support'] });
    expect(r.effects).toEqual([]);
    const none = replay([{ recv: { type: 'queues', queues: [] } }], loggedIn());
    expect(none.state.identity?.queues).toEqual([]);
  });

  it('restarts the audio session when the server says media is down', () => {
    const r = replay(loadFixture('media-restart'), loggedIn());
    expect(r.perStep[0]).toEqual([{ kind: 'stop_media' }, { kind: 'start_media' }]);
    expect(sentMessages(r)).toHaveLength(1);
    expect(r.state.media).toBe('connected');
    expect(r.state.serverError).toBe('unknown field `foo`');
  });
});

describe('an inbound call', () => {
  it('that pops one contact: rings, opens the contact once, answers, shows the Case, hangs up', () => {
    const r = replay(loadFixture('inbound-screen-pop'), loggedIn());
    expect(effectsOf(r, 'ring').map((e) => e.on)).toContain(true);
    expect(effectsOf(r, 'ring').at(-1)?.on).toBe(false);
    expect(effectsOf(r, 'open_crm')).toEqual([
      { kind: 'open_crm', target: { kind: 'contact', contact: expect.objectContaining({ id: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' }) as unknown } },
    ]);
    expect(sentMessages(r)).toEqual([
      { type: 'answer', call: 'c-100' },
      { type: 'hold', call: 'c-100', on: true },
      { type: 'hold', call: 'c-100', on: false },
      { type: 'hang_up', call: 'c-100' },
    ]);
    expect(effectsOf(r, 'dtmf')).toEqual([{ kind: 'dtmf', tones: '5' }]);
    const call = currentCall(r.state);
    expect(call?.phase).toBe('ended');
    expect(call?.crm.case).toEqual({ id: 'case-sys-1', label: 'CS0001001' });
    expect(call?.caller).toEqual({ kind: 'number', number: '+81312345678', name: 'Hanako Yamada' });
    expect(call?.outcome).toEqual({ kind: 'ended', cause: 'agent_hung_up', detail: 'You hung up.' });
    const announced = effectsOf(r, 'announce').map((e) => e.announcement.kind);
    expect(announced).toEqual(expect.arrayContaining(['ringing', 'contact_found', 'call_connected', 'case_created', 'call_ended']));
  });

  it('with several matches: shows the chooser, sends the choice unchanged and opens it', () => {
    const r = replay(loadFixture('inbound-chooser'), loggedIn());
    expect(effectsOf(r, 'open_crm')).toHaveLength(1);
    expect(sentMessages(r)).toContainEqual({
      type: 'choose_contact',
      call: 'c-200',
      contact: { kind: 'consumer', id: 'k2', name: 'Jiro Sato', account: null },
    });
    const call = currentCall(r.state);
    expect(call?.crm.candidates).toBeNull();
    expect(call?.crm.contact?.id).toBe('k2');
    expect(call?.crm.case?.label).toBe('CS0001002');
  });

  it('before the choice, the chooser lists every candidate and nothing opens by itself', () => {
    const steps = loadFixture('inbound-chooser').slice(0, 3);
    const r = replay(steps, loggedIn());
    expect(currentCall(r.state)?.crm.candidates).toHaveLength(2);
    expect(effectsOf(r, 'open_crm')).toHaveLength(0);
  });

  it('with no match: offers a new contact with the number, opened only when asked', () => {
    const r = replay(loadFixture('inbound-no-match'), loggedIn());
    expect(currentCall(r.state)?.crm.newContactNumber).toBe('+81300000000');
    expect(effectsOf(r, 'open_crm')).toEqual([{ kind: 'open_crm', target: { kind: 'new_contact', number: '+81300000000' } }]);
  });

  it('under the transfer rule: keeps the reason and lets the agent create the Case', () => {
    const r = replay(loadFixture('transfer-rule'), loggedIn());
    const call = currentCall(r.state);
    expect(call?.transferredBy).toBe('bob');
    expect(call?.crm.reasons.map((x) => x.reason)).toEqual([
      { kind: 'case_suppressed_first_agent_not_linked', first_agent: 'acme:bob' },
    ]);
    expect(sentMessages(r)).toContainEqual({ type: 'create_case', call: 'c-400' });
    expect(call?.crm.case?.label).toBe('CS0001004');
  });

  it('missed while the tab is hidden: notifies, stops ringing, and the agent is paused', () => {
    const r = replay(loadFixture('missed-call'), loggedIn());
    expect(effectsOf(r, 'notify')).toEqual([{ kind: 'notify', caller: { kind: 'withheld', name: null }, call: 'c-500' }]);
    expect(effectsOf(r, 'ring').at(-1)?.on).toBe(false);
    expect(currentCall(r.state)?.outcome).toEqual({
      kind: 'ring_stopped',
      reason: 'not_answered',
      detail: 'The call was not answered in time and moved to another agent.',
    });
    expect(r.state.agent.reason).toEqual({ kind: 'missed_call' });
    expect(effectsOf(r, 'presence_indicator').at(-1)?.presence).toBe('away');
  });

  it('blind-transferred to a queue: sends the transfer and records where it went', () => {
    const r = replay(loadFixture('blind-transfer'), loggedIn());
    expect(sentMessages(r)).toContainEqual({ type: 'transfer', call: 'c-600', to: { queue: 'support' } });
    expect(currentCall(r.state)?.outcome).toEqual({ kind: 'transferred', to: { queue: 'support' } });
  });

  it('keeps hostile names as plain data (rendering escapes them; see render.test.tsx)', () => {
    const r = replay(loadFixture('hostile-names'), loggedIn());
    const call = currentCall(r.state);
    expect(call?.crm.contact?.name).toBe("<script>alert('pwned')</script>");
    expect(call?.queue).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('an outbound call', () => {
  it('from click-to-dial that fails busy: dials the number, keeps the record, says why', () => {
    const r = replay(loadFixture('outbound-busy'), loggedIn());
    expect(sentMessages(r)).toContainEqual({ type: 'dial', number: '+81399998888' });
    const call = currentCall(r.state);
    expect(call?.direction).toBe('outbound');
    expect(call?.dialContext).toEqual({ table: 'customer_contact', sysId: 'k9' });
    expect(call?.outcome).toEqual({ kind: 'dial_failed', detail: 'The line is busy.' });
    // The number and its record stay on the dial pad to try again.
    expect(r.state.dial).toEqual({ number: '+81399998888', context: { table: 'customer_contact', sysId: 'k9' }, pending: false });
    // Once the call has an id, the record it was dialled from is named as its contact (its Case links to it).
    expect(effectsOf(r, 'link_dial_context')).toEqual([
      { kind: 'link_dial_context', call: call?.id, context: { table: 'customer_contact', sysId: 'k9' } },
    ]);
  });

  it('dials the cleaned number, and nothing for text that is not one', () => {
    const typed = replay([{ intent: { kind: 'set_dial_number', number: ' 03-1234-5678 ' } }, { intent: { kind: 'dial' } }], loggedIn());
    expect(sentMessages(typed)).toEqual([{ type: 'dial', number: '0312345678' }]);
    const junk = replay([{ intent: { kind: 'set_dial_number', number: 'call mom' } }, { intent: { kind: 'dial' } }], loggedIn());
    expect(sentMessages(junk)).toEqual([]);
  });

  it('is not sent twice by a double click', () => {
    const steps = loadFixture('outbound-busy').slice(0, 2);
    const r = replay([...steps, { intent: { kind: 'dial' } }], loggedIn());
    expect(sentMessages(r).filter((m) => (m as { type: string }).type === 'dial')).toHaveLength(1);
  });
});

describe('the connection', () => {
  it('reconnects in the middle of a call with backoff, and shows what became of the call', () => {
    const r = replay(loadFixture('reconnect-mid-call'), loggedIn());
    const closed = r.perStep[4] ?? [];
    expect(closed).toContainEqual({ kind: 'reconnect', afterMs: 500 });
    expect(closed).toContainEqual({ kind: 'stop_media' });
    expect(closed).toContainEqual({ kind: 'announce', announcement: { kind: 'connection_lost' } });
    expect(r.perStep[5]).toEqual([]);
    expect(r.perStep[6]).toEqual([{ kind: 'connect' }]);
    expect(effectsOf(r, 'announce').map((e) => e.announcement.kind)).toContain('connection_restored');
    // The call stayed on screen through the blip and was redrawn from the snapshot.
    const call = currentCall(r.state);
    // The timer goes on from the server's elapsed time on this page's clock (its last tick).
    expect(call).toMatchObject({ id: 'c-800', phase: 'on_call', held: false, outcome: null, answeredAt: 1_000_500 - 400 });
    expect(call?.caller).toEqual({ kind: 'number', number: '+81344445555', name: 'Aiko Mori' });
    expect(call?.crm.case?.label).toBe('CS0000008');
    expect(r.state.connection).toEqual({ status: 'open', attempt: 0, retryAt: null, everOpen: true });
    // A new audio session: a new peer connection and its offer.
    expect(effectsOf(r, 'start_media')).toHaveLength(1);
    expect(sentMessages(r).filter((m) => (m as { type: string }).type === 'media_offer')).toHaveLength(1);
    expect(r.state.agent.state).toBe('on_call');
    // The snapshot of a call already shown is not announced as a new connection.
    expect(effectsOf(r, 'announce').filter((e) => e.announcement.kind === 'call_connected')).toHaveLength(1);
  });

  it('ends the call on screen with agent_lost when the socket came back after the grace period', () => {
    const r = replay(loadFixture('reconnect-after-grace'), loggedIn());
    expect(currentCall(r.state)?.outcome).toEqual({
      kind: 'ended',
      cause: 'agent_lost',
      detail: 'Your softphone was away too long; the call ended.',
    });
    expect(r.state.agent.state).toBe('offline');
  });

  it('backs off exponentially up to 30 s, jittered down by at most a quarter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => reconnectDelay(n, 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(reconnectDelay(3, 0.999)).toBeGreaterThan(1500);
  });

  it('gives way to a second tab: stops ringing, does not reconnect, offers "use here"', () => {
    const r = replay(loadFixture('second-tab'), loggedIn());
    expect(r.perStep[2]).toEqual(
      expect.arrayContaining([{ kind: 'disconnect' }, { kind: 'ring', on: false }]),
    );
    expect(r.perStep[3]).toEqual([]);
    expect(r.perStep[4]).toEqual([]);
    expect(r.perStep[5]).toEqual([{ kind: 'claim_tab' }, { kind: 'connect' }]);
    expect(effectsOf(r, 'reconnect')).toHaveLength(0);
  });

  it('treats the proposed close code 4001 as replaced by another device', () => {
    const r = replay([{ input: { kind: 'socket_closed', code: 4001, jitter: 0 } }], loggedIn());
    expect(r.state.connection.status).toBe('replaced');
    expect(effectsOf(r, 'reconnect')).toHaveLength(0);
  });

  it('stops on the proposed close code 4401 (signed out) without reconnecting', () => {
    const r = replay([{ input: { kind: 'socket_closed', code: 4401, jitter: 0 } }, { input: { kind: 'tick', now: 9_000_000 } }], loggedIn());
    expect(r.state.connection.status).toBe('signed_out');
    expect(effectsOf(r, 'reconnect')).toHaveLength(0);
    expect(effectsOf(r, 'connect')).toHaveLength(0);
  });

  it('sends nothing while disconnected', () => {
    const r = replay(
      [
        { input: { kind: 'socket_closed', code: 1006, jitter: 0 } },
        { intent: { kind: 'set_presence', available: false, reason: 'break' } },
        { intent: { kind: 'set_dial_number', number: '110' } },
        { intent: { kind: 'dial' } },
      ],
      loggedIn(),
    );
    expect(sentMessages(r)).toEqual([]);
  });
});

describe('memory over a shift', () => {
  it('keeps at most one ended call however many calls come', () => {
    let state = loggedIn();
    for (let i = 0; i < 300; i += 1) {
      const id = `shift-${i}`;
      state = replay(
        [
          { recv: { type: 'ringing', call: id, direction: 'inbound', customer: '+81312345678', customer_kind: 'number', queue: null, transferred_by: null } },
          { intent: { kind: 'answer' } },
          { recv: { type: 'agent_state', state: 'on_call', call: id, reason: null, detail: '' } },
          { recv: { type: 'call_ended', call: id, cause: 'customer_hung_up', detail: 'The customer hung up.' } },
          { recv: { type: 'agent_state', state: 'available', call: null, reason: null, detail: '' } },
        ],
        state,
      ).state;
    }
    expect(state.calls).toHaveLength(1);
  });
});

describe('after-call work and a call that waited for the agent', () => {
  it('redraws a call after a reload from call_snapshot: timer, hold, chooser and why there is no Case', () => {
    const r = replay([
      { input: { kind: 'start' } },
      { input: { kind: 'socket_open' } },
      { recv: { type: 'welcome', tenant: 'acme', agent: 'alice', queues: ['support'] } },
      {
        recv: {
          type: 'call_snapshot', call: 'c-802', direction: 'inbound', customer: '+81344445555', customer_kind: 'number',
          queue: 'support', answered_at: '2026-12-06T05:00:00Z', elapsed_ms: 42_000, held: true, grace_ends_at: '2026-12-06T05:03:20Z',
          contact: null, candidates: [
            { kind: 'contact', id: 'k1', name: 'Aiko Mori', account: null },
            { kind: 'consumer', id: 'k2', name: 'Aiko Mori', account: null },
          ],
          case: null,
          no_case: { reason: { kind: 'case_suppressed_first_agent_not_linked', first_agent: 'acme:bob' }, text: 'No Case.' },
        },
      },
      { recv: { type: 'agent_state', state: 'on_call', call: 'c-802', reason: null, detail: 'Your call is waiting.' } },
    ]);
    const call = currentCall(r.state);
    expect(call).toMatchObject({ id: 'c-802', phase: 'on_call', held: true, answeredAt: 1_000_000 - 42_000, outcome: null });
    expect(call?.crm.candidates).toHaveLength(2);
    expect(call?.crm.reasons.map((x) => x.reason.kind)).toEqual(['case_suppressed_first_agent_not_linked']);
    expect(effectsOf(r, 'announce').map((e) => e.announcement.kind)).toContain('call_connected');
    expect(effectsOf(r, 'open_crm')).toEqual([]);
  });

  it('times a call from the moment its answer was received, not from the last tick', () => {
    const answered = 1_000_730;
    const r = replay([
      { recv: { type: 'ringing', call: 'c-9', direction: 'inbound', customer: '+81344445555', customer_kind: 'number', queue: 'support', transferred_by: null } },
      { input: { kind: 'tick', now: 1_000_100 } },
      { input: { kind: 'server', message: { type: 'agent_state', state: 'on_call', call: 'c-9', reason: null, detail: '' }, at: answered } },
    ], loggedIn());
    expect(currentCall(r.state)?.answeredAt).toBe(answered);
  });

  it('redraws the timer after a reload from the server\'s elapsed time, whatever the page\'s clock says', () => {
    // This browser's clock is 90 s behind the server's: answered_at would read 90 s too much.
    const received = Date.parse('2026-12-06T05:00:12.300Z') - 90_000;
    const r = replay([
      { input: { kind: 'start' } },
      { input: { kind: 'socket_open' } },
      { recv: { type: 'welcome', tenant: 'acme', agent: 'alice', queues: ['support'] } },
      {
        input: {
          kind: 'server',
          at: received,
          message: {
            type: 'call_snapshot', call: 'c-803', direction: 'inbound', customer: '+81344445555', customer_kind: 'number',
            queue: 'support', answered_at: '2026-12-06T05:00:00Z', elapsed_ms: 12_300, held: false, grace_ends_at: '2026-12-06T05:00:30Z',
            contact: null, candidates: [], case: null, no_case: null,
          },
        },
      },
    ]);
    expect(currentCall(r.state)?.answeredAt).toBe(received - 12_300);
    expect(r.state.now - (currentCall(r.state)?.answeredAt ?? 0)).toBe(12_300);
  });

  it('sends the wrap-up once and follows its status', () => {
    const r = replay(
      [
        ...loadFixture('inbound-screen-pop'),
        { input: { kind: 'server', message: { type: 'wrap_up', call: 'c-100', case: null, ends_at: '2026-12-06T05:10:30Z', ends_in_ms: 30_000 } } },
        { intent: { kind: 'submit_wrap_up', disposition: 'resolved', notes: 'Router replaced.' } },
        { intent: { kind: 'submit_wrap_up', disposition: 'resolved', notes: 'Router replaced.' } },
        { input: { kind: 'server', message: { type: 'wrap_up_status', call: 'c-100', status: 'queued', detail: 'Saving to CS0001001.' } } },
        { input: { kind: 'server', message: { type: 'wrap_up_status', call: 'c-100', status: 'written', detail: '' } } },
        { intent: { kind: 'submit_wrap_up', disposition: null, notes: 'again' } },
      ],
      loggedIn(),
    );
    expect(effectsOf(r, 'send').filter((e) => e.message.type === 'submit_wrap_up')).toEqual([
      { kind: 'send', message: { type: 'submit_wrap_up', call: 'c-100', disposition: 'resolved', notes: 'Router replaced.' } },
    ]);
    expect(r.state.wrapUp).toMatchObject({ call: 'c-100', status: 'written', detail: '' });
  });

  it('counts the wrap-up down from the time left when it was sent, whatever the page\'s clock says', () => {
    // This browser's clock is 90 s behind the server's: ends_at read on it would add 90 s.
    const received = Date.parse('2026-12-06T05:10:00Z') - 90_000;
    const r = replay(
      [
        ...loadFixture('inbound-screen-pop'),
        {
          input: {
            kind: 'server',
            at: received,
            message: { type: 'wrap_up', call: 'c-100', case: null, ends_at: '2026-12-06T05:10:30Z', ends_in_ms: 30_000 },
          },
        },
      ],
      loggedIn(),
    );
    expect(r.state.wrapUp?.endsAt).toBe(received + 30_000);
  });
});
