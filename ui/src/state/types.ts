// The softphone's state, what goes into the reducer, and what comes out of it. Everything here is
// plain data: the reducer never touches a socket, a clock or the page.
import type {
  AgentStateName,
  Case,
  ClientMessage,
  Contact,
  NotifyReason,
  ServerCallEnded,
  ServerCallStatus,
  ServerMessage,
  UnavailableReason,
} from '../protocol';
import type { DialContext, DialRequest } from '../intake/dial-request';
import type { ProposedClientMessage } from '../api/protocol-additions';

export type CustomerKind = 'number' | 'withheld' | 'unknown';
export type Direction = 'inbound' | 'outbound';

/** Who is on the other end, as it may be shown (an unknown caller ID's text never is). */
export type Caller =
  | { kind: 'number'; number: string; name: string | null }
  | { kind: 'withheld'; name: null }
  | { kind: 'unknown'; name: null };

export type CallPhase = 'ringing' | 'dialing' | 'on_call' | 'ended';

/** How a call left this agent. */
export type CallOutcome =
  | { kind: 'ring_stopped'; reason: ServerCallStatus['reason']; detail: string }
  | { kind: 'ended'; cause: ServerCallEnded['cause']; detail: string }
  | { kind: 'transferred'; to: TransferTarget }
  | { kind: 'dial_failed'; detail: string };

export type TransferTarget = { agent: string } | { queue: string };

export interface CrmView {
  /** The contact this call is about (screen pop, or the agent's choice). */
  contact: Contact | null;
  /** Several records hold the number: the agent chooses. Cleared once chosen. */
  candidates: Contact[] | null;
  /** Nobody holds the number: offer a new contact with it. */
  newContactNumber: string | null;
  case: Case | null;
  /** Why something did not happen (no Case, no pop), newest last, one per kind. */
  reasons: { reason: NotifyReason; text: string }[];
}

export interface CallView {
  id: string;
  direction: Direction;
  caller: Caller;
  queue: string | null;
  transferredBy: string | null;
  phase: CallPhase;
  /** When this call started ringing or dialling here (ms since the epoch). */
  since: number;
  /** When it was answered (ms), for the call timer. */
  answeredAt: number | null;
  endedAt: number | null;
  held: boolean;
  crm: CrmView;
  /** Where a click-to-dial came from (the CRM record it was clicked on), kept with the call. */
  dialContext: DialRequest['context'];
  outcome: CallOutcome | null;
  /** A transfer was asked for and not yet confirmed. */
  transferringTo: TransferTarget | null;
}

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'waiting' | 'replaced' | 'signed_out';

export interface ConnectionView {
  status: ConnectionStatus;
  /** Failed attempts in a row (0 once a connection is welcomed). */
  attempt: number;
  /** When the next attempt starts (ms), while `status` is `waiting`. */
  retryAt: number | null;
  /** Whether a connection was ever welcomed (a lost one is "reconnecting", not "connecting"). */
  everOpen: boolean;
}

export type MediaStatus = 'none' | 'negotiating' | 'connected' | 'failed';

export interface AgentView {
  state: AgentStateName;
  reason: UnavailableReason | null;
  detail: string;
}

export interface DialView {
  number: string;
  context: DialRequest['context'];
  /** Sent, waiting for the server to say `dialing`. */
  pending: boolean;
}

/** After-call work for the last call (proposed protocol: SERVER-CONTRACT.md). */
export interface WrapUpView {
  call: string;
  /** When the server returns the agent to available by itself (ms), or null. */
  endsAt: number | null;
  status: 'editing' | 'sending' | 'queued' | 'written' | 'failed';
  detail: string;
}

export interface State {
  now: number;
  connection: ConnectionView;
  media: MediaStatus;
  mediaProblem: string | null;
  identity: { tenant: string; agent: string; queues: string[] } | null;
  agent: AgentView;
  /** Calls this tab knows: the live ones and the most recent ended one (for wrap-up). */
  calls: CallView[];
  dial: DialView;
  wrapUp: WrapUpView | null;
  muted: boolean;
  pageHidden: boolean;
  /** The last `error` the server sent (a request it could not carry out). */
  serverError: string | null;
  /** The last frame this tab could not read. */
  badFrame: string | null;
}

export type Intent =
  | { kind: 'answer' }
  | { kind: 'decline' }
  | { kind: 'hang_up' }
  | { kind: 'set_dial_number'; number: string }
  | { kind: 'dial_request'; request: DialRequest }
  | { kind: 'dial' }
  | { kind: 'transfer'; to: TransferTarget }
  | { kind: 'hold'; on: boolean }
  | { kind: 'mute'; on: boolean }
  | { kind: 'dtmf'; digit: string }
  | { kind: 'set_presence'; available: boolean; reason: string | null }
  | { kind: 'choose_contact'; contact: Contact }
  | { kind: 'open_contact'; contact: Contact }
  | { kind: 'open_case' }
  | { kind: 'new_contact' }
  | { kind: 'create_case' }
  | { kind: 'submit_wrap_up'; disposition: string | null; notes: string }
  | { kind: 'use_here' }
  | { kind: 'reconnect_now' }
  | { kind: 'dismiss_call' };

export type Input =
  | { kind: 'start' }
  // `at`: when the page received it (Date.now()), the state's `now` from then on; replays of
  // recorded conversations leave it out and keep the last tick's.
  | { kind: 'server'; message: ServerMessage; at?: number }
  | { kind: 'bad_frame'; problem: string }
  | { kind: 'intent'; intent: Intent }
  | { kind: 'socket_open' }
  /** `jitter` in [0, 1), drawn by the adapter so the reducer stays pure. */
  | { kind: 'socket_closed'; code: number; jitter: number }
  | { kind: 'socket_error' }
  | { kind: 'media_offer_ready'; sdp: string }
  | { kind: 'media_failed'; problem: string }
  | { kind: 'other_tab_active' }
  | { kind: 'page_visibility'; hidden: boolean }
  | { kind: 'tick'; now: number };

export type CrmTarget =
  | { kind: 'contact'; contact: Contact }
  | { kind: 'case'; case: Case }
  | { kind: 'new_contact'; number: string };

/** What screen readers are told; the words come from the language catalogue. */
export type Announcement =
  | { kind: 'ringing'; caller: Caller }
  | { kind: 'contact_found'; name: string }
  | { kind: 'call_connected' }
  | { kind: 'call_on_hold'; on: boolean }
  | { kind: 'call_ended'; outcome: CallOutcome }
  | { kind: 'case_created'; label: string }
  | { kind: 'agent_state'; state: AgentStateName }
  | { kind: 'connection_lost' }
  | { kind: 'connection_restored' }
  | { kind: 'other_tab' };

export type PresenceIndicator = 'available' | 'away' | 'wrap_up' | 'busy' | 'offline';

export type Effect =
  | { kind: 'send'; message: ClientMessage }
  | { kind: 'send_proposed'; message: ProposedClientMessage }
  | { kind: 'connect' }
  | { kind: 'disconnect' }
  | { kind: 'reconnect'; afterMs: number }
  | { kind: 'start_media' }
  | { kind: 'apply_media_answer'; sdp: string }
  | { kind: 'stop_media' }
  | { kind: 'mute'; on: boolean }
  | { kind: 'dtmf'; tones: string }
  | { kind: 'ring'; on: boolean }
  | { kind: 'notify'; caller: Caller; call: string }
  | { kind: 'announce'; announcement: Announcement }
  | { kind: 'open_crm'; target: CrmTarget }
  /** An outbound call dialled from a CRM record: tell the server that record is its contact. */
  | { kind: 'link_dial_context'; call: string; context: DialContext }
  | { kind: 'claim_tab' }
  | { kind: 'presence_indicator'; presence: PresenceIndicator }
  | { kind: 'show_frame' };

export interface Step {
  state: State;
  effects: Effect[];
}
