// The demo's customer page as one pure reducer: the softphone protocol's messages (the page is
// the one agent of the demo's carrier tenant), the person's clicks, socket and audio events and
// clock ticks in; the next state and effects (as data) out. No IO, no clock, no randomness.
import type { ServerMessage } from '../protocol';

export interface Caller {
  /** E.164. */
  number: string;
  /** Who the CRM holds the number for. */
  name: string;
}

export interface Setup {
  softphone_path: string;
  /** The number the page calls: the contact center's. */
  contact_center: string;
  callers: Caller[];
}

/** What happened to the last call, for the person. */
export type Outcome =
  | { kind: 'ended'; cause: 'you_hung_up' | 'they_hung_up' | 'failed' }
  | { kind: 'not_connected'; detail: string }
  | { kind: 'missed' }
  | { kind: 'refused'; detail: string };

export type Phase =
  | { kind: 'idle' }
  /** `dial` sent; `call` once the server named it. */
  | { kind: 'calling'; call: string | null; to: string; from: string }
  | { kind: 'incoming'; call: string; from: string }
  | { kind: 'answering'; call: string; from: string }
  | { kind: 'connected'; call: string; other: string; since: number; direction: 'out' | 'in' };

export interface CustomerState {
  connection: 'connecting' | 'open' | 'closed' | 'replaced';
  audio: 'none' | 'offering' | 'ready' | 'failed';
  /** Whether the server has the page available for calls to it. */
  available: boolean;
  phase: Phase;
  outcome: Outcome | null;
  /** The caller chosen: a number of `callers`, or `other` for the typed number. */
  chosen: string;
  typed: string;
  /** A problem to show that is not about a call (audio, connection). */
  problem: string | null;
  now: number;
  /** Consecutive failed connections, for the backoff. */
  attempts: number;
  /** When the next connection attempt is due, while closed. */
  retryAt: number | null;
}

export const other = 'other';

export type CustomerInput =
  | { kind: 'start'; now: number }
  | { kind: 'tick'; now: number }
  | { kind: 'socket_open' }
  | { kind: 'socket_closed'; code: number }
  | { kind: 'server'; message: ServerMessage; at?: number }
  | { kind: 'media_offer_ready'; sdp: string }
  | { kind: 'media_failed'; problem: string }
  | { kind: 'choose'; caller: string }
  | { kind: 'type'; number: string }
  | { kind: 'call' }
  | { kind: 'answer' }
  | { kind: 'decline' }
  | { kind: 'hang_up' };

export type Effect =
  | { kind: 'connect' }
  | { kind: 'reconnect_in'; ms: number }
  | { kind: 'send'; message: object }
  | { kind: 'media_start' }
  | { kind: 'media_answer'; sdp: string }
  | { kind: 'ring'; on: boolean }
  | { kind: 'focus'; target: 'call' | 'answer' | 'hang_up' };

export function initialState(setup: Setup, now: number): CustomerState {
  return {
    connection: 'connecting',
    audio: 'none',
    available: false,
    phase: { kind: 'idle' },
    outcome: null,
    chosen: setup.callers[0]?.number ?? other,
    typed: '',
    problem: null,
    now,
    attempts: 0,
    retryAt: null,
  };
}

/** The number the person calls from, as chosen (typed numbers are read by the server). */
export function callingFrom(state: CustomerState): string {
  return state.chosen === other ? state.typed.trim() : state.chosen;
}

/** Whether a call can be placed now. */
export function canCall(state: CustomerState): boolean {
  return state.connection === 'open' && state.audio === 'ready' && state.available && state.phase.kind === 'idle' && callingFrom(state) !== '';
}

/** The backoff before reconnecting: 1, 2, 4, 8, then 10 s. */
export function reconnectDelay(attempts: number): number {
  return Math.min(10_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

type Step = [CustomerState, Effect[]];

export function reduce(state: CustomerState, input: CustomerInput, setup: Setup): Step {
  switch (input.kind) {
    case 'start':
      return [{ ...state, now: input.now, connection: 'connecting', retryAt: null }, [{ kind: 'connect' }]];
    case 'tick':
      return [{ ...state, now: input.now }, []];
    case 'socket_open':
      // The audio session is offered on every new connection (the server logs the agent in
      // when it is up).
      return [{ ...state, connection: 'open', audio: 'offering', problem: null, retryAt: null }, [{ kind: 'media_start' }]];
    case 'socket_closed': {
      const ring: Effect[] = state.phase.kind === 'incoming' ? [{ kind: 'ring', on: false }] : [];
      const lostCall: Outcome | null = state.phase.kind === 'connected' || state.phase.kind === 'calling' ? { kind: 'ended', cause: 'failed' } : state.outcome;
      const base = { ...state, audio: 'none' as const, available: false, phase: { kind: 'idle' as const }, outcome: lostCall };
      // 4001: another tab or window took the page over; it must not take it back by itself.
      if (input.code === 4001) return [{ ...base, connection: 'replaced' }, ring];
      const attempts = state.attempts + 1;
      const ms = reconnectDelay(attempts);
      return [{ ...base, connection: 'closed', attempts, retryAt: state.now + ms }, [...ring, { kind: 'reconnect_in', ms }]];
    }
    case 'media_offer_ready':
      return [state, [{ kind: 'send', message: { type: 'media_offer', offer: { type: 'offer', sdp: input.sdp } } }]];
    case 'media_failed':
      return [{ ...state, audio: 'failed', available: false, problem: input.problem }, []];
    case 'choose':
      return [{ ...state, chosen: input.caller }, []];
    case 'type':
      return [{ ...state, typed: input.number }, []];
    case 'call': {
      if (!canCall(state)) return [state, []];
      const from = callingFrom(state);
      return [
        { ...state, phase: { kind: 'calling', call: null, to: setup.contact_center, from }, outcome: null },
        [{ kind: 'send', message: { type: 'dial', number: setup.contact_center, caller_id: from } }, { kind: 'focus', target: 'hang_up' }],
      ];
    }
    case 'answer':
      if (state.phase.kind !== 'incoming') return [state, []];
      return [
        { ...state, phase: { kind: 'answering', call: state.phase.call, from: state.phase.from } },
        [{ kind: 'ring', on: false }, { kind: 'send', message: { type: 'answer', call: state.phase.call } }],
      ];
    case 'decline':
      if (state.phase.kind !== 'incoming') return [state, []];
      return [{ ...state, phase: { kind: 'idle' }, outcome: null }, [{ kind: 'ring', on: false }, { kind: 'send', message: { type: 'decline', call: state.phase.call } }]];
    case 'hang_up': {
      const call = state.phase.kind === 'connected' || state.phase.kind === 'answering' ? state.phase.call : state.phase.kind === 'calling' ? state.phase.call : null;
      if (call === null) return [state, []];
      return [state, [{ kind: 'send', message: { type: 'hang_up', call } }]];
    }
    case 'server':
      return onServer(input.at === undefined ? state : { ...state, now: input.at }, input.message);
  }
}

function onServer(state: CustomerState, message: ServerMessage): Step {
  switch (message.type) {
    case 'welcome':
      return [{ ...state, attempts: 0 }, []];
    case 'media_answer':
      return [state, [{ kind: 'media_answer', sdp: message.answer.sdp }]];
    case 'media':
      if (message.connected) return [{ ...state, audio: 'ready', problem: null }, []];
      // The audio session died: offer a new one (the server logged the page out).
      return [{ ...state, audio: 'offering', available: false }, [{ kind: 'media_start' }]];
    case 'agent_state':
      return onAgentState(state, message.state, message.call, message.reason?.kind ?? null, message.detail);
    case 'ringing': {
      if (message.direction !== 'inbound') return [state, []];
      const from = message.customer_kind === 'number' ? message.customer : '';
      return [{ ...state, phase: { kind: 'incoming', call: message.call, from }, outcome: null }, [{ kind: 'ring', on: true }, { kind: 'focus', target: 'answer' }]];
    }
    case 'call_status': {
      const phase = state.phase;
      if ((phase.kind !== 'incoming' && phase.kind !== 'answering') || phase.call !== message.call) return [state, []];
      const outcome: Outcome | null = message.reason === 'declined' ? null : { kind: 'missed' };
      return [{ ...state, phase: { kind: 'idle' }, outcome }, [{ kind: 'ring', on: false }]];
    }
    case 'call_ended': {
      if (state.phase.kind === 'calling') {
        return [{ ...state, phase: { kind: 'idle' }, outcome: { kind: 'not_connected', detail: message.detail } }, [{ kind: 'focus', target: 'call' }]];
      }
      const cause = message.cause === 'agent_hung_up' ? 'you_hung_up' : message.cause === 'customer_hung_up' ? 'they_hung_up' : 'failed';
      return [{ ...state, phase: { kind: 'idle' }, outcome: { kind: 'ended', cause } }, [{ kind: 'focus', target: 'call' }]];
    }
    case 'error':
      // A refused dial (a number the server cannot read, a caller id not allowed) never became
      // a call.
      if (state.phase.kind === 'calling' && state.phase.call === null) {
        return [{ ...state, phase: { kind: 'idle' }, outcome: { kind: 'refused', detail: message.message } }, [{ kind: 'focus', target: 'call' }]];
      }
      return [{ ...state, problem: message.message }, []];
    case 'call_snapshot': {
      // The call survived a lost connection (the server kept it): back on it.
      // Timed on this page's clock from the server's elapsed time (see the softphone's reducer).
      const since = state.now - message.elapsed_ms;
      const direction = message.direction === 'outbound' ? 'out' : 'in';
      return [{ ...state, phase: { kind: 'connected', call: message.call, other: message.customer, since, direction }, outcome: null }, []];
    }
    case 'crm':
    case 'queues':
    case 'wrap_up':
    case 'wrap_up_status':
    case 'pong':
      return [state, []];
  }
}

function onAgentState(state: CustomerState, name: string, call: string | null, reason: string | null, detail: string): Step {
  const phase = state.phase;
  switch (name) {
    case 'dialing':
      if (phase.kind === 'calling') return [{ ...state, phase: { ...phase, call } }, []];
      return [state, []];
    case 'on_call': {
      if (call === null) return [state, []];
      if (phase.kind === 'calling') {
        return [{ ...state, phase: { kind: 'connected', call, other: phase.to, since: state.now, direction: 'out' } }, [{ kind: 'focus', target: 'hang_up' }]];
      }
      if (phase.kind === 'answering' || phase.kind === 'incoming') {
        return [{ ...state, phase: { kind: 'connected', call, other: phase.from, since: state.now, direction: 'in' } }, [{ kind: 'ring', on: false }, { kind: 'focus', target: 'hang_up' }]];
      }
      return [state, []];
    }
    case 'available': {
      // Back to available from dialling: the call was never connected, and the words say why.
      const failed = phase.kind === 'calling' ? { kind: 'not_connected' as const, detail } : state.outcome;
      const idle = phase.kind === 'calling' || phase.kind === 'connected';
      return [{ ...state, available: true, phase: idle ? { kind: 'idle' } : phase, outcome: failed }, phase.kind === 'calling' ? [{ kind: 'focus', target: 'call' }] : []];
    }
    case 'unavailable': {
      // The page is always ready for calls: after the log-in (away) or a missed call it makes
      // itself available again.
      const ended = phase.kind === 'calling' ? { kind: 'not_connected' as const, detail } : state.outcome;
      const effects: Effect[] = reason === 'away' || reason === 'missed_call' ? [{ kind: 'send', message: { type: 'set_availability', available: true } }] : [];
      return [{ ...state, available: false, phase: phase.kind === 'calling' ? { kind: 'idle' } : phase, outcome: ended }, effects];
    }
    case 'wrap_up':
      // The carrier's queue has no after-call work; should one be configured, skip it.
      return [{ ...state, available: false }, [{ kind: 'send', message: { type: 'set_availability', available: true } }]];
    case 'offline':
      return [{ ...state, available: false }, []];
    default:
      return [state, []];
  }
}
