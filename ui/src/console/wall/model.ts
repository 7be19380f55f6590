// The live wall in the browser: the server's `wall` and `changes` messages
// (docs/console-api.md, "Live wall") folded into one state, plus the connection's condition.
// Pure: every screen of the wall is a function of this state and the clock.

export interface WallCall {
  id: string;
  direction: 'inbound' | 'outbound';
  number: string;
  started_at: number;
  held: boolean;
}

export type WallAgentState = 'offline' | 'available' | 'unavailable' | 'ringing' | 'dialing' | 'on_call' | 'wrap_up';

export interface WallAgent {
  agent: string;
  state: WallAgentState;
  reason: 'away' | 'missed_call' | 'other' | null;
  reason_text: string | null;
  since: number;
  call: WallCall | null;
  queues: string[];
}

export interface WallQueue {
  queue: string;
  waiting: number;
  longest_waiting_since: number | null;
  target_seconds: number;
  answered: number;
  answered_in_time: number;
  abandoned: number;
  service_level: number | null;
}

export interface WallMessage {
  type: 'wall' | 'changes';
  server_time: number;
  day: string;
  queues: WallQueue[];
  agents: WallAgent[];
}

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface WallState {
  connection: Connection;
  /** Why the wall cannot be shown (the server's words), when it cannot. */
  problem: string | null;
  day: string | null;
  /** The server's clock minus the browser's, from the last message. */
  skewMs: number;
  queues: WallQueue[];
  agents: WallAgent[];
}

export const initialWall: WallState = { connection: 'connecting', problem: null, day: null, skewMs: 0, queues: [], agents: [] };

export type WallInput =
  | { kind: 'message'; message: WallMessage; receivedAt: number }
  | { kind: 'connection'; connection: Connection }
  | { kind: 'problem'; text: string };

function merge<T>(rows: readonly T[], changed: readonly T[], key: (row: T) => string): T[] {
  const next = [...rows];
  for (const row of changed) {
    const at = next.findIndex((r) => key(r) === key(row));
    if (at >= 0) next[at] = row;
    else next.push(row);
  }
  return next;
}

export function wallReducer(state: WallState, input: WallInput): WallState {
  switch (input.kind) {
    case 'connection':
      return { ...state, connection: input.connection };
    case 'problem':
      return { ...state, problem: input.text, connection: 'closed' };
    case 'message': {
      const m = input.message;
      const base = { ...state, connection: 'live' as const, problem: null, day: m.day, skewMs: m.server_time - input.receivedAt };
      if (m.type === 'wall') return { ...base, queues: m.queues, agents: m.agents };
      return {
        ...base,
        queues: merge(state.queues, m.queues, (q) => q.queue),
        agents: merge(state.agents, m.agents, (a) => a.agent),
      };
    }
  }
}

/** Reads one text frame; null when it is not a wall message. */
export function parseWallMessage(text: string): WallMessage | null {
  try {
    const value = JSON.parse(text) as Partial<WallMessage>;
    if ((value.type === 'wall' || value.type === 'changes') && Array.isArray(value.queues) && Array.isArray(value.agents)) {
      return value as WallMessage;
    }
  } catch {
    // Not JSON: ignored.
  }
  return null;
}

/** Milliseconds since `serverMs`, by the browser's clock corrected to the server's. */
export function since(serverMs: number, state: WallState, browserNow: number): number {
  return Math.max(0, browserNow + state.skewMs - serverMs);
}

export interface WallTotals {
  waiting: number;
  available: number;
  busy: number;
  loggedIn: number;
}

export function totals(state: WallState): WallTotals {
  const busy: WallAgentState[] = ['ringing', 'dialing', 'on_call', 'wrap_up'];
  return {
    waiting: state.queues.reduce((n, q) => n + q.waiting, 0),
    available: state.agents.filter((a) => a.state === 'available').length,
    busy: state.agents.filter((a) => busy.includes(a.state)).length,
    loggedIn: state.agents.filter((a) => a.state !== 'offline').length,
  };
}

/** Whether a queue's service level is under its target share (80%: the usual goal, shown as a
 *  warning colour only). */
export function serviceLevelLow(queue: WallQueue): boolean {
  return queue.service_level !== null && queue.service_level < 0.8;
}
