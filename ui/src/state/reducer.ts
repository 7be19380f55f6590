// The softphone's one reducer: (state, input) -> { state, effects }. Server messages, the agent's
// intents, connection events and clock ticks go in; the next state and the effects the adapters
// carry out (send, ring, open a CRM record, reconnect...) come out. No IO, no clock, no
// randomness here: every sequence of inputs is replayable in a test.
import { closeReplaced, closeSignedOut } from '../api/protocol-additions';
import { cleanDialNumber } from '../intake/dial-request';
import type { Contact, ServerMessage } from '../protocol';
import type {
  Announcement,
  CallOutcome,
  CallView,
  Caller,
  Effect,
  Input,
  Intent,
  PresenceIndicator,
  State,
  Step,
} from './types';

export const backoff = { firstMs: 500, maxMs: 30_000 } as const;


export function initialState(now: number): State {
  return {
    now,
    connection: { status: 'idle', attempt: 0, retryAt: null, everOpen: false },
    media: 'none',
    mediaProblem: null,
    identity: null,
    agent: { state: 'offline', reason: null, detail: '' },
    calls: [],
    dial: { number: '', context: null, pending: false },
    wrapUp: null,
    muted: false,
    pageHidden: false,
    serverError: null,
    badFrame: null,
  };
}

/** The call the screen is about: a live one first, else the most recent ended one. */
export function currentCall(state: State): CallView | null {
  return state.calls.find((c) => c.phase !== 'ended') ?? state.calls.at(-1) ?? null;
}

export function liveCall(state: State): CallView | null {
  return state.calls.find((c) => c.phase !== 'ended') ?? null;
}

/** Delay before reconnect attempt number `attempt` (1-based): exponential, capped, jittered. */
export function reconnectDelay(attempt: number, jitter: number): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.max(0, attempt - 1));
  // Up to 25 % less, so tabs that lost the server together do not return together.
  return Math.round(base * (1 - 0.25 * jitter));
}

export function reduce(state: State, input: Input): Step {
  switch (input.kind) {
    case 'start':
      return {
        state: { ...state, connection: { ...state.connection, status: 'connecting', retryAt: null } },
        effects: [{ kind: 'claim_tab' }, { kind: 'connect' }],
      };
    case 'tick':
      return onTick(state, input.now);
    case 'page_visibility':
      return { state: { ...state, pageHidden: input.hidden }, effects: [] };
    case 'socket_open':
      return { state: { ...state, connection: { ...state.connection, status: 'open' } }, effects: [] };
    case 'socket_error':
      // The close that follows decides what to do.
      return { state, effects: [] };
    case 'socket_closed':
      return onSocketClosed(state, input.code, input.jitter);
    case 'other_tab_active':
      return onReplaced(state);
    case 'bad_frame':
      return { state: { ...state, badFrame: input.problem }, effects: [] };
    case 'media_offer_ready':
      if (state.connection.status !== 'open') return { state, effects: [] };
      return {
        state,
        effects: [{ kind: 'send', message: { type: 'media_offer', offer: { type: 'offer', sdp: input.sdp } } }],
      };
    case 'media_failed':
      return { state: { ...state, media: 'failed', mediaProblem: input.problem }, effects: [] };
    case 'server':
      // The moment of receipt, not the last tick's (up to a second old): a call answered now
      // starts its timer now.
      return onServer(input.at === undefined ? state : { ...state, now: input.at }, input.message);
    case 'intent':
      return onIntent(state, input.intent);
  }
}

function onTick(state: State, now: number): Step {
  const next = { ...state, now };
  const { connection } = state;
  if (connection.status === 'waiting' && connection.retryAt !== null && now >= connection.retryAt) {
    return {
      state: { ...next, connection: { ...connection, status: 'connecting', retryAt: null } },
      effects: [{ kind: 'connect' }],
    };
  }
  return { state: next, effects: [] };
}

function onSocketClosed(state: State, code: number, jitter: number): Step {
  if (state.connection.status === 'replaced' || state.connection.status === 'signed_out') return { state, effects: [] };
  if (code === closeReplaced) return onReplaced(state);
  if (code === closeSignedOut) {
    return {
      state: { ...state, connection: { ...state.connection, status: 'signed_out', retryAt: null }, media: 'none', calls: [] },
      effects: [{ kind: 'stop_media' }, { kind: 'ring', on: false }, { kind: 'presence_indicator', presence: 'offline' }],
    };
  }
  const attempt = state.connection.attempt + 1;
  const afterMs = reconnectDelay(attempt, jitter);
  const effects: Effect[] = [{ kind: 'stop_media' }, { kind: 'ring', on: false }];
  if (state.connection.everOpen && state.connection.status === 'open') {
    effects.push({ kind: 'announce', announcement: { kind: 'connection_lost' } });
  }
  effects.push({ kind: 'reconnect', afterMs }, { kind: 'presence_indicator', presence: 'offline' });
  return {
    state: {
      ...state,
      connection: { ...state.connection, status: 'waiting', attempt, retryAt: state.now + afterMs },
      media: 'none',
      // A call still ringing here is gone with the connection; a call in progress is kept on
      // screen until the new connection says what became of it.
      calls: state.calls.filter((c) => c.phase !== 'ringing'),
      dial: { ...state.dial, pending: false },
    },
    effects,
  };
}

function onReplaced(state: State): Step {
  return {
    state: {
      ...state,
      connection: { ...state.connection, status: 'replaced', retryAt: null },
      media: 'none',
      agent: { state: 'offline', reason: null, detail: '' },
      calls: state.calls.filter((c) => c.phase === 'ended'),
    },
    effects: [
      { kind: 'disconnect' },
      { kind: 'stop_media' },
      { kind: 'ring', on: false },
      { kind: 'announce', announcement: { kind: 'other_tab' } },
    ],
  };
}

// ---- server messages ------------------------------------------------------------------------

function onServer(state: State, message: ServerMessage): Step {
  switch (message.type) {
    case 'welcome': {
      const restored = state.connection.everOpen;
      const effects: Effect[] = [{ kind: 'start_media' }];
      if (restored) effects.push({ kind: 'announce', announcement: { kind: 'connection_restored' } });
      return {
        state: {
          ...state,
          identity: { tenant: message.tenant, agent: message.agent, queues: message.queues },
          connection: { status: 'open', attempt: 0, retryAt: null, everOpen: true },
          media: 'negotiating',
          mediaProblem: null,
          serverError: null,
        },
        effects,
      };
    }
    case 'queues':
      // The admin changed the agent's queues: the transfer picker offers the new ones.
      if (state.identity === null) return { state, effects: [] };
      return { state: { ...state, identity: { ...state.identity, queues: message.queues } }, effects: [] };
    case 'media_answer':
      return { state, effects: [{ kind: 'apply_media_answer', sdp: message.answer.sdp }] };
    case 'media':
      if (message.connected) {
        return { state: { ...state, media: 'connected', mediaProblem: null }, effects: [{ kind: 'mute', on: state.muted }] };
      }
      // The audio session died and the agent is logged out: start a new one (a new offer).
      return { state: { ...state, media: 'negotiating' }, effects: [{ kind: 'stop_media' }, { kind: 'start_media' }] };
    case 'agent_state':
      return onAgentState(state, message);
    case 'ringing':
      return onRinging(state, message);
    case 'call_status': {
      const outcome: CallOutcome = { kind: 'ring_stopped', reason: message.reason, detail: message.detail };
      return endCall(state, message.call, outcome);
    }
    case 'call_ended': {
      const call = state.calls.find((c) => c.id === message.call);
      const outcome: CallOutcome = call?.transferringTo
        ? { kind: 'transferred', to: call.transferringTo }
        : { kind: 'ended', cause: message.cause, detail: message.detail };
      return endCall(state, message.call, outcome);
    }
    case 'call_snapshot':
      return onSnapshot(state, message);
    case 'crm':
      return onCrm(state, message.call, message.notice);
    case 'wrap_up': {
      // Counted from the time left when the server sent it, on this page's clock: `ends_at`
      // read on a clock that differs from the server's would move the countdown.
      const endsAt = message.ends_at === null ? null : state.now + message.ends_in_ms;
      const same = state.wrapUp?.call === message.call ? state.wrapUp : null;
      let next: State = {
        ...state,
        wrapUp: {
          call: message.call,
          endsAt,
          status: same?.status ?? 'editing',
          detail: same?.detail ?? '',
        },
      };
      if (message.case) {
        const kase = message.case;
        next = updateCall(next, message.call, (c) => ({ ...c, crm: { ...c.crm, case: kase } }));
      }
      return { state: next, effects: [] };
    }
    case 'wrap_up_status':
      if (state.wrapUp?.call !== message.call) return { state, effects: [] };
      return { state: { ...state, wrapUp: { ...state.wrapUp, status: message.status, detail: message.detail } }, effects: [] };
    case 'error':
      return { state: { ...state, serverError: message.message, dial: { ...state.dial, pending: false } }, effects: [] };
    case 'pong':
      return { state, effects: [] };
  }
}

function presenceOf(state: State['agent']['state']): PresenceIndicator {
  switch (state) {
    case 'available':
      return 'available';
    case 'unavailable':
      return 'away';
    case 'wrap_up':
      return 'wrap_up';
    case 'offline':
      return 'offline';
    case 'ringing':
    case 'dialing':
    case 'on_call':
      return 'busy';
  }
}

function onAgentState(state: State, message: Extract<ServerMessage, { type: 'agent_state' }>): Step {
  const effects: Effect[] = [];
  let calls = state.calls;
  let dial = state.dial;
  const live = liveCall(state);

  if (message.call !== null && (message.state === 'dialing' || message.state === 'on_call' || message.state === 'ringing')) {
    const known = calls.find((c) => c.id === message.call);
    if (!known) {
      // An outbound call appears with `dialing`; a call resumed after a reconnect with `on_call`.
      const fromDial = message.state === 'dialing' && dial.number !== '';
      const call: CallView = newCall(message.call, {
        direction: message.state === 'dialing' ? 'outbound' : 'inbound',
        caller: fromDial ? { kind: 'number', number: cleanDialNumber(dial.number) ?? dial.number, name: null } : { kind: 'unknown', name: null },
        since: state.now,
        dialContext: fromDial ? dial.context : null,
      });
      calls = [...pruneEnded(calls), call];
      if (fromDial && dial.context) effects.push({ kind: 'link_dial_context', call: message.call, context: dial.context });
      if (fromDial) dial = { number: '', context: null, pending: false };
    }
    calls = calls.map((c) => {
      if (c.id !== message.call) return c;
      if (message.state === 'on_call' && c.phase !== 'on_call') {
        effects.push({ kind: 'announce', announcement: { kind: 'call_connected' } });
        return { ...c, phase: 'on_call', answeredAt: state.now };
      }
      return message.state === 'dialing' ? { ...c, phase: 'dialing' } : c;
    });
    if (message.state === 'on_call') effects.push({ kind: 'ring', on: false });
  } else if (live && live.phase !== 'ringing') {
    // The agent moved on without the call: it is over here (a failed dial says why in `detail`).
    const outcome: CallOutcome =
      live.phase === 'dialing'
        ? { kind: 'dial_failed', detail: message.detail }
        : live.transferringTo
          ? { kind: 'transferred', to: live.transferringTo }
          : { kind: 'ended', cause: 'failed', detail: message.detail };
    const ended = endCall({ ...state, calls }, live.id, outcome);
    calls = ended.state.calls;
    effects.push(...ended.effects);
    // A failed dial leaves the number (and its record) on the dial pad, to try again.
    if (outcome.kind === 'dial_failed' && live.caller.kind === 'number' && dial.number === '') {
      dial = { number: live.caller.number, context: live.dialContext, pending: false };
    }
  }
  if (message.state !== 'dialing' && dial.pending) dial = { ...dial, pending: false };

  // Ringing, dialling and answering are announced with the call; the rest is said here.
  const saidWithTheCall = message.state === 'ringing' || message.state === 'dialing' || message.state === 'on_call';
  if (message.state !== state.agent.state && !saidWithTheCall) {
    effects.push({ kind: 'announce', announcement: { kind: 'agent_state', state: message.state } });
  }
  effects.push({ kind: 'presence_indicator', presence: presenceOf(message.state) });
  return {
    state: {
      ...state,
      calls,
      dial,
      agent: { state: message.state, reason: message.reason, detail: message.detail },
    },
    effects,
  };
}

function newCall(
  id: string,
  fields: Pick<CallView, 'direction' | 'caller' | 'since' | 'dialContext'>,
): CallView {
  return {
    id,
    queue: null,
    transferredBy: null,
    phase: fields.direction === 'outbound' ? 'dialing' : 'ringing',
    answeredAt: null,
    endedAt: null,
    held: false,
    crm: { contact: null, candidates: null, newContactNumber: null, case: null, reasons: [] },
    outcome: null,
    transferringTo: null,
    ...fields,
  };
}

/** Ended calls are kept only until the next one starts: memory stays flat over a shift. */
function pruneEnded(calls: CallView[]): CallView[] {
  return calls.filter((c) => c.phase !== 'ended');
}

function callerOf(message: Extract<ServerMessage, { type: 'ringing' }>): Caller {
  switch (message.customer_kind) {
    case 'number':
      return { kind: 'number', number: message.customer, name: null };
    case 'withheld':
      return { kind: 'withheld', name: null };
    case 'unknown':
      // The text of an unusable caller ID is the caller's to choose: it is never shown.
      return { kind: 'unknown', name: null };
  }
}

function onRinging(state: State, message: Extract<ServerMessage, { type: 'ringing' }>): Step {
  const caller = callerOf(message);
  const existing = state.calls.find((c) => c.id === message.call);
  const call: CallView = {
    ...(existing ?? newCall(message.call, { direction: message.direction, caller, since: state.now, dialContext: null })),
    direction: message.direction,
    caller: existing?.caller.name ? { ...caller, name: existing.caller.name } as Caller : caller,
    queue: message.queue,
    transferredBy: message.transferred_by,
    phase: 'ringing',
  };
  const calls = [...pruneEnded(state.calls).filter((c) => c.id !== call.id), call];
  const effects: Effect[] = [
    { kind: 'ring', on: true },
    { kind: 'show_frame' },
    { kind: 'announce', announcement: { kind: 'ringing', caller: call.caller } },
  ];
  if (state.pageHidden) effects.push({ kind: 'notify', caller: call.caller, call: call.id });
  // A new call closes the previous call's after-call work.
  return { state: { ...state, calls, wrapUp: null }, effects };
}

function endCall(state: State, callId: string, outcome: CallOutcome): Step {
  const call = state.calls.find((c) => c.id === callId);
  if (!call || call.phase === 'ended') return { state, effects: [] };
  const ended: CallView = { ...call, phase: 'ended', endedAt: state.now, outcome, held: false, transferringTo: null };
  const announcement: Announcement = { kind: 'call_ended', outcome };
  return {
    state: { ...state, calls: state.calls.map((c) => (c.id === callId ? ended : c)), muted: false },
    effects: [{ kind: 'ring', on: false }, { kind: 'mute', on: false }, { kind: 'announce', announcement }],
  };
}

function updateCall(state: State, callId: string, change: (call: CallView) => CallView): State {
  return { ...state, calls: state.calls.map((c) => (c.id === callId ? change(c) : c)) };
}

function withName(caller: Caller, name: string): Caller {
  return caller.kind === 'number' ? { ...caller, name } : caller;
}

function onCrm(
  state: State,
  callId: string,
  notice: Extract<ServerMessage, { type: 'crm' }>['notice'],
): Step {
  if (!state.calls.some((c) => c.id === callId)) {
    // News about a call this tab does not show (already replaced by a newer one).
    return { state, effects: [] };
  }
  switch (notice.type) {
    case 'screen_pop':
      return {
        state: updateCall(state, callId, (c) => ({
          ...c,
          caller: withName(c.caller, notice.contact.name),
          crm: { ...c.crm, contact: notice.contact, candidates: null, newContactNumber: null },
        })),
        effects: [
          { kind: 'open_crm', target: { kind: 'contact', contact: notice.contact } },
          { kind: 'announce', announcement: { kind: 'contact_found', name: notice.contact.name } },
        ],
      };
    case 'choose_contact':
      return {
        state: updateCall(state, callId, (c) => ({
          ...c,
          crm: { ...c.crm, candidates: notice.candidates, newContactNumber: null },
        })),
        effects: [],
      };
    case 'new_contact':
      return {
        state: updateCall(state, callId, (c) => ({ ...c, crm: { ...c.crm, newContactNumber: notice.number } })),
        effects: [],
      };
    case 'show_case':
      return {
        state: updateCall(state, callId, (c) => ({ ...c, crm: { ...c.crm, case: notice.case } })),
        effects: [{ kind: 'announce', announcement: { kind: 'case_created', label: notice.case.label } }],
      };
    case 'message':
      return {
        state: updateCall(state, callId, (c) => ({
          ...c,
          crm: {
            ...c.crm,
            reasons: [...c.crm.reasons.filter((r) => r.reason.kind !== notice.reason.kind), { reason: notice.reason, text: notice.text }],
          },
        })),
        effects: [],
      };
  }
}

// ---- a call that waited for this agent --------------------------------------------------------

function onSnapshot(state: State, message: Extract<ServerMessage, { type: 'call_snapshot' }>): Step {
  // A reload, a reconnect or another tab during a call: the server kept the call (the customer
  // hears music) and says where it stands; the audio comes back with the new media session.
  // The timer counts from the server's elapsed time, on this page's clock: `answered_at` read
  // on a clock that differs from the server's would move it.
  const answeredAt = state.now - message.elapsed_ms;
  const existing = state.calls.find((c) => c.id === message.call);
  const caller: Caller =
    message.customer_kind === 'number'
      ? { kind: 'number', number: message.customer, name: message.contact?.name ?? null }
      : message.customer_kind === 'withheld'
        ? { kind: 'withheld', name: null }
        : { kind: 'unknown', name: null };
  const base = existing ?? newCall(message.call, { direction: message.direction, caller, since: state.now, dialContext: null });
  const noCase = message.no_case;
  const call: CallView = {
    ...base,
    direction: message.direction,
    caller,
    queue: message.queue,
    phase: 'on_call',
    answeredAt,
    held: message.held,
    outcome: null,
    endedAt: null,
    transferringTo: null,
    crm: {
      contact: message.contact,
      candidates: message.contact === null && message.candidates.length > 0 ? message.candidates : null,
      newContactNumber: base.crm.newContactNumber,
      case: message.case,
      reasons: noCase
        ? [...base.crm.reasons.filter((r) => r.reason.kind !== noCase.reason.kind), { reason: noCase.reason, text: noCase.text }]
        : base.crm.reasons,
    },
  };
  const effects: Effect[] = [{ kind: 'ring', on: false }];
  // Said once: a socket that only blipped already shows the call.
  if (!existing || existing.phase !== 'on_call') effects.push({ kind: 'announce', announcement: { kind: 'call_connected' } });
  return {
    state: { ...state, calls: [...pruneEnded(state.calls).filter((c) => c.id !== call.id), call] },
    effects,
  };
}

// ---- the agent's intents --------------------------------------------------------------------

function send(state: State, message: Effect & { kind: 'send' }): Step {
  return { state, effects: [message] };
}

function onIntent(state: State, intent: Intent): Step {
  const live = liveCall(state);
  const current = currentCall(state);
  const connected = state.connection.status === 'open';
  switch (intent.kind) {
    case 'answer':
      if (!connected || live?.phase !== 'ringing') return { state, effects: [] };
      return { state, effects: [{ kind: 'ring', on: false }, { kind: 'send', message: { type: 'answer', call: live.id } }] };
    case 'decline':
      if (!connected || live?.phase !== 'ringing') return { state, effects: [] };
      return { state, effects: [{ kind: 'ring', on: false }, { kind: 'send', message: { type: 'decline', call: live.id } }] };
    case 'hang_up':
      if (!connected || !live || live.phase === 'ringing') return { state, effects: [] };
      return send(state, { kind: 'send', message: { type: 'hang_up', call: live.id } });
    case 'set_dial_number':
      return { state: { ...state, dial: { ...state.dial, number: intent.number, context: null } }, effects: [] };
    case 'dial_request':
      return {
        state: { ...state, dial: { number: intent.request.number, context: intent.request.context, pending: false } },
        effects: [{ kind: 'show_frame' }],
      };
    case 'dial': {
      const number = cleanDialNumber(state.dial.number);
      if (!connected || live || number === null || state.dial.pending) return { state, effects: [] };
      return {
        state: { ...state, dial: { ...state.dial, pending: true }, serverError: null },
        effects: [{ kind: 'send', message: { type: 'dial', number } }],
      };
    }
    case 'transfer':
      if (!connected || live?.phase !== 'on_call') return { state, effects: [] };
      return {
        state: updateCall(state, live.id, (c) => ({ ...c, transferringTo: intent.to })),
        effects: [{ kind: 'send', message: { type: 'transfer', call: live.id, to: intent.to } }],
      };
    case 'hold':
      if (!connected || live?.phase !== 'on_call') return { state, effects: [] };
      // The server does not confirm hold; the view follows the request.
      return {
        state: updateCall(state, live.id, (c) => ({ ...c, held: intent.on })),
        effects: [
          { kind: 'send', message: { type: 'hold', call: live.id, on: intent.on } },
          { kind: 'announce', announcement: { kind: 'call_on_hold', on: intent.on } },
        ],
      };
    case 'mute':
      return { state: { ...state, muted: intent.on }, effects: [{ kind: 'mute', on: intent.on }] };
    case 'dtmf':
      if (live?.phase !== 'on_call' || !/^[0-9*#A-D]$/.test(intent.digit)) return { state, effects: [] };
      return { state, effects: [{ kind: 'dtmf', tones: intent.digit }] };
    case 'set_presence': {
      if (!connected) return { state, effects: [] };
      const reason = intent.reason?.trim() ? intent.reason.trim().slice(0, 60) : null;
      return send(state, {
        kind: 'send',
        message: reason === null ? { type: 'set_availability', available: intent.available } : { type: 'set_availability', available: intent.available, reason },
      });
    }
    case 'choose_contact': {
      if (!current?.crm.candidates) return { state, effects: [] };
      const chosen = current.crm.candidates.find((c) => sameContact(c, intent.contact));
      if (!chosen) return { state, effects: [] };
      const next = updateCall(state, current.id, (c) => ({
        ...c,
        caller: withName(c.caller, chosen.name),
        crm: { ...c.crm, contact: chosen, candidates: null },
      }));
      const effects: Effect[] = [{ kind: 'open_crm', target: { kind: 'contact', contact: chosen } }];
      if (connected) effects.unshift({ kind: 'send', message: { type: 'choose_contact', call: current.id, contact: chosen } });
      return { state: next, effects };
    }
    case 'open_contact':
      return { state, effects: [{ kind: 'open_crm', target: { kind: 'contact', contact: intent.contact } }] };
    case 'open_case':
      if (!current?.crm.case) return { state, effects: [] };
      return { state, effects: [{ kind: 'open_crm', target: { kind: 'case', case: current.crm.case } }] };
    case 'new_contact':
      if (current?.crm.newContactNumber == null) return { state, effects: [] };
      return { state, effects: [{ kind: 'open_crm', target: { kind: 'new_contact', number: current.crm.newContactNumber } }] };
    case 'create_case':
      if (!connected || !current || current.crm.case) return { state, effects: [] };
      return send(state, { kind: 'send', message: { type: 'create_case', call: current.id } });
    case 'submit_wrap_up': {
      const wrapUp = state.wrapUp;
      if (!connected || !wrapUp || wrapUp.status === 'sending' || wrapUp.status === 'written') return { state, effects: [] };
      return {
        state: { ...state, wrapUp: { ...wrapUp, status: 'sending', detail: '' } },
        effects: [
          {
            kind: 'send',
            message: { type: 'submit_wrap_up', call: wrapUp.call, disposition: intent.disposition, notes: intent.notes.slice(0, 4000) },
          },
        ],
      };
    }
    case 'use_here':
      if (state.connection.status !== 'replaced') return { state, effects: [] };
      return {
        state: { ...state, connection: { status: 'connecting', attempt: 0, retryAt: null, everOpen: state.connection.everOpen } },
        effects: [{ kind: 'claim_tab' }, { kind: 'connect' }],
      };
    case 'reconnect_now':
      if (state.connection.status !== 'waiting') return { state, effects: [] };
      return {
        state: { ...state, connection: { ...state.connection, status: 'connecting', retryAt: null } },
        effects: [{ kind: 'connect' }],
      };
    case 'dismiss_call':
      return { state: { ...state, calls: pruneEnded(state.calls) }, effects: [] };
  }
}

function sameContact(a: Contact, b: Contact): boolean {
  return a.kind === b.kind && a.id === b.id;
}
