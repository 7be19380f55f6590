// The softphone protocol's message types (generated from docs/softphone-protocol.schema.json)
// and the one place a received frame is turned into a typed message.
import type { ServerMessage } from './generated';

export type {
  Case,
  ClientMessage,
  Contact,
  NotifyReason,
  Notice,
  ServerAgentState,
  ServerCallEnded,
  ServerCallStatus,
  ServerCrm,
  ServerMessage,
  ServerRinging,
  UnavailableReason,
} from './generated';

export type AgentStateName = import('./generated').ServerAgentState['state'];

// Every type of the schema, checked by the compiler: a message added to the schema cannot be
// forgotten here (it would be reported as an unknown type at run time).
const serverTypeList: Record<ServerMessage['type'], true> = {
  welcome: true,
  queues: true,
  media_answer: true,
  media: true,
  agent_state: true,
  ringing: true,
  call_status: true,
  call_ended: true,
  call_snapshot: true,
  wrap_up: true,
  crm: true,
  wrap_up_status: true,
  error: true,
  pong: true,
};
const serverTypes: ReadonlySet<string> = new Set(Object.keys(serverTypeList));

export type Decoded = { ok: true; message: ServerMessage } | { ok: false; problem: string };

/**
 * Reads one text frame. The server's tests hold it to the schema, so the browser checks only
 * that the frame is a JSON object with a known `type` (a full validator would cost the bundle
 * size and need `eval`, which the Content-Security-Policy forbids); anything else is reported,
 * never thrown.
 */
export function decodeServerFrame(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !serverTypes.has(type)) {
    return { ok: false, problem: `unknown message type ${JSON.stringify(type)}` };
  }
  return { ok: true, message: value as ServerMessage };
}
