// WebSocket messages proposed in ui/SERVER-CONTRACT.md (not in the schema yet). When the server
// implements them they move into docs/softphone-protocol.schema.json and out of this file.
import type { Case, Contact } from '../protocol';

/** Server → client, after `welcome` on a connection that resumes an answered call. */
export interface ServerCallSnapshot {
  type: 'call_snapshot';
  call: string;
  direction: 'inbound' | 'outbound';
  customer: string;
  customer_kind: 'number' | 'withheld' | 'unknown';
  queue: string | null;
  /** RFC 3339. */
  answered_at: string;
  held: boolean;
  contact: Contact | null;
  case: Case | null;
}

export type ProposedServerMessage = ServerCallSnapshot;
/** After-call work's messages are in the schema now; no client message is proposed. */
export type ProposedClientMessage = never;

/** WebSocket close code: a newer connection of the same agent replaced this one. */
export const closeReplaced = 4001;
/** WebSocket close code: the session expired or was signed out. */
export const closeSignedOut = 4401;
