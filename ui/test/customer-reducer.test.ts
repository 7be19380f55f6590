// The demo's customer page as a reducer: replayed protocol messages and clicks in, state and
// effects out. Every message the page sends and receives here is held to the protocol's schema.
import { describe, expect, test } from 'vitest';
import type { ServerMessage } from '../src/protocol';
import { canCall, initialState, other, reconnectDelay, reduce, type CustomerInput, type CustomerState, type Effect, type Setup } from '../src/customer/reducer';
import { assertClientMessage, assertServerMessage } from './schema';

const setup: Setup = {
  softphone_path: '/api/v1/tenants/demo-carrier/agents/customer/softphone',
  contact_center: '+81312345000',
  callers: [
    { number: '+819012345678', name: 'Haruto Tanaka' },
    { number: '+81312345678', name: 'Haruto Tanaka, Yui Sato' },
  ],
};

/** Runs inputs through the reducer; the effects of all of them, in order. */
function run(state: CustomerState, ...inputs: CustomerInput[]): [CustomerState, Effect[]] {
  const effects: Effect[] = [];
  for (const input of inputs) {
    if (input.kind === 'server') assertServerMessage(input.message);
    const [next, out] = reduce(state, input, setup);
    state = next;
    effects.push(...out);
  }
  for (const effect of effects) if (effect.kind === 'send') assertClientMessage(effect.message);
  return [state, effects];
}

const server = (message: ServerMessage): CustomerInput => ({ kind: 'server', message });
const agentState = (state: 'available' | 'unavailable' | 'dialing' | 'on_call' | 'ringing', call: string | null, detail = '', reason: { kind: 'away' } | { kind: 'missed_call' } | null = null): CustomerInput =>
  server({ type: 'agent_state', state, call, reason: state === 'unavailable' ? (reason ?? { kind: 'away' }) : null, detail });
const sent = (effects: Effect[]) => effects.flatMap((e) => (e.kind === 'send' ? [e.message] : []));

/** Connected, audio up, available: where a person starts. */
function ready(): CustomerState {
  const [state] = run(
    initialState(setup, 1_000),
    { kind: 'start', now: 1_000 },
    { kind: 'socket_open' },
    server({ type: 'welcome', tenant: 'demo-carrier', agent: 'customer', queues: ['customer'] }),
    { kind: 'media_offer_ready', sdp: 'v=0' },
    server({ type: 'media_answer', answer: { type: 'answer', sdp: 'v=0 answer' } }),
    server({ type: 'media', connected: true }),
    agentState('unavailable', null, 'You are away.'),
    agentState('available', null, 'You are available.'),
  );
  return state;
}

describe('logging in', () => {
  test('connects, offers its audio, and makes itself available once the audio is up', () => {
    const [state, effects] = run(
      initialState(setup, 0),
      { kind: 'start', now: 0 },
      { kind: 'socket_open' },
      { kind: 'media_offer_ready', sdp: 'v=0' },
      server({ type: 'media_answer', answer: { type: 'answer', sdp: 'answer' } }),
      server({ type: 'media', connected: true }),
      agentState('unavailable', null, 'You are away.'),
    );
    expect(effects.map((e) => e.kind)).toEqual(['connect', 'media_start', 'send', 'media_answer', 'send']);
    expect(sent(effects)).toEqual([
      { type: 'media_offer', offer: { type: 'offer', sdp: 'v=0' } },
      { type: 'set_availability', available: true },
    ]);
    expect(canCall(state)).toBe(false);
    expect(canCall(ready())).toBe(true);
  });

  test('after a missed call it is available again by itself', () => {
    const [, effects] = run(ready(), agentState('unavailable', null, 'You missed a call.', { kind: 'missed_call' }));
    expect(sent(effects)).toEqual([{ type: 'set_availability', available: true }]);
  });
});

describe('calling the contact center', () => {
  test('dials its number as the chosen caller, rings, connects with a timer, hangs up', () => {
    let state = ready();
    let effects: Effect[];
    [state, effects] = run(state, { kind: 'choose', caller: '+81312345678' }, { kind: 'call' });
    expect(sent(effects)).toEqual([{ type: 'dial', number: '+81312345000', caller_id: '+81312345678' }]);
    expect(state.phase).toEqual({ kind: 'calling', call: null, to: '+81312345000', from: '+81312345678' });
    [state] = run(state, agentState('dialing', 'c-1', 'Calling +81312345000…'), { kind: 'tick', now: 5_000 });
    expect(state.phase).toMatchObject({ kind: 'calling', call: 'c-1' });
    [state, effects] = run(state, agentState('on_call', 'c-1', 'Connected to +81312345000.'));
    expect(state.phase).toEqual({ kind: 'connected', call: 'c-1', other: '+81312345000', since: 5_000, direction: 'out' });
    expect(effects).toContainEqual({ kind: 'focus', target: 'hang_up' });
    [state, effects] = run(state, { kind: 'tick', now: 8_000 }, { kind: 'hang_up' });
    expect(sent(effects)).toEqual([{ type: 'hang_up', call: 'c-1' }]);
    [state] = run(
      state,
      server({ type: 'call_ended', call: 'c-1', cause: 'agent_hung_up', detail: 'You hung up.' }),
      agentState('available', null, 'You are available.'),
    );
    expect(state.phase).toEqual({ kind: 'idle' });
    expect(state.outcome).toEqual({ kind: 'ended', cause: 'you_hung_up' });
  });

  test('a typed number is sent as typed; an empty one cannot call', () => {
    const [state] = run(ready(), { kind: 'choose', caller: other });
    expect(canCall(state)).toBe(false);
    const [, effects] = run(state, { kind: 'type', number: ' 090-1111-2222 ' }, { kind: 'call' });
    expect(sent(effects)).toEqual([{ type: 'dial', number: '+81312345000', caller_id: '090-1111-2222' }]);
  });

  test('a call that does not go through says why, in the server words', () => {
    const [state] = run(
      ready(),
      { kind: 'call' },
      agentState('dialing', 'c-2', 'Calling +81312345000…'),
      agentState('available', null, 'The line is busy.'),
    );
    expect(state.phase).toEqual({ kind: 'idle' });
    expect(state.outcome).toEqual({ kind: 'not_connected', detail: 'The line is busy.' });
  });

  test('a refused dial (the caller id) never becomes a call', () => {
    const [state] = run(
      ready(),
      { kind: 'choose', caller: other },
      { kind: 'type', number: 'abc' },
      { kind: 'call' },
      server({ type: 'error', message: 'the caller id "abc" cannot be presented: not a number' }),
    );
    expect(state.phase).toEqual({ kind: 'idle' });
    expect(state.outcome).toMatchObject({ kind: 'refused' });
  });

  test('the other side hanging up ends the call', () => {
    const [state] = run(
      ready(),
      { kind: 'call' },
      agentState('dialing', 'c-3'),
      agentState('on_call', 'c-3'),
      server({ type: 'call_ended', call: 'c-3', cause: 'customer_hung_up', detail: 'The customer hung up.' }),
    );
    expect(state.outcome).toEqual({ kind: 'ended', cause: 'they_hung_up' });
  });
});

describe('being called by an agent', () => {
  const ringing = server({ type: 'ringing', call: 'c-9', direction: 'inbound', customer: '+81312345000', customer_kind: 'number', queue: 'customer', transferred_by: null });

  test('rings, answers, connects, and the agent hanging up ends it', () => {
    let state = ready();
    let effects: Effect[];
    [state, effects] = run(state, agentState('ringing', 'c-9'), ringing);
    expect(state.phase).toEqual({ kind: 'incoming', call: 'c-9', from: '+81312345000' });
    expect(effects).toContainEqual({ kind: 'ring', on: true });
    [state, effects] = run(state, { kind: 'answer' });
    expect(sent(effects)).toEqual([{ type: 'answer', call: 'c-9' }]);
    expect(effects).toContainEqual({ kind: 'ring', on: false });
    [state] = run(state, agentState('on_call', 'c-9'));
    expect(state.phase).toMatchObject({ kind: 'connected', call: 'c-9', direction: 'in', other: '+81312345000' });
    [state] = run(state, server({ type: 'call_ended', call: 'c-9', cause: 'customer_hung_up', detail: 'The customer hung up.' }));
    expect(state.outcome).toEqual({ kind: 'ended', cause: 'they_hung_up' });
  });

  test('a ring that stops before the answer is a missed call; a decline is not', () => {
    const [missed] = run(ready(), ringing, server({ type: 'call_status', call: 'c-9', status: 'ring_stopped', reason: 'customer_hung_up', detail: 'The caller hung up.' }));
    expect(missed.phase).toEqual({ kind: 'idle' });
    expect(missed.outcome).toEqual({ kind: 'missed' });
    const [declined, effects] = run(ready(), ringing, { kind: 'decline' });
    expect(sent(effects)).toEqual([{ type: 'decline', call: 'c-9' }]);
    expect(declined.outcome).toBeNull();
  });
});

describe('the connection', () => {
  test('a lost socket ends the call as cut off and reconnects with backoff', () => {
    const [state, effects] = run(ready(), { kind: 'call' }, agentState('dialing', 'c-4'), agentState('on_call', 'c-4'), { kind: 'socket_closed', code: 1006 });
    expect(state.connection).toBe('closed');
    expect(state.outcome).toEqual({ kind: 'ended', cause: 'failed' });
    expect(effects).toContainEqual({ kind: 'reconnect_in', ms: 1_000 });
    expect([1, 2, 3, 4, 5, 9].map(reconnectDelay)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  test('replaced by another tab (4001), it does not take the page back', () => {
    const [state, effects] = run(ready(), { kind: 'socket_closed', code: 4001 });
    expect(state.connection).toBe('replaced');
    expect(effects.some((e) => e.kind === 'reconnect_in')).toBe(false);
  });
});
