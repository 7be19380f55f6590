import { describe, expect, it } from 'vitest';
import { initialWall, parseWallMessage, since, totals, wallReducer, type WallAgent, type WallMessage, type WallQueue } from '../../src/console/wall/model';

const queue = (over: Partial<WallQueue> = {}): WallQueue => ({
  queue: 'support', waiting: 0, longest_waiting_since: null, target_seconds: 20,
  answered: 0, answered_in_time: 0, abandoned: 0, service_level: null, ...over,
});
const agent = (over: Partial<WallAgent> = {}): WallAgent => ({
  agent: 'alice', state: 'available', reason: null, reason_text: null, since: 1000, call: null, queues: ['support'], ...over,
});
const message = (type: WallMessage['type'], over: Partial<WallMessage> = {}): WallMessage => ({
  type, server_time: 10_000, day: '2026-12-06', queues: [], agents: [], ...over,
});

describe('the live wall in the browser', () => {
  it('takes the whole wall, then replaces changed rows in place and adds new ones', () => {
    let s = wallReducer(initialWall, { kind: 'message', message: message('wall', { queues: [queue()], agents: [agent(), agent({ agent: 'bob' })] }), receivedAt: 9_000 });
    expect(s.connection).toBe('live');
    expect(s.skewMs).toBe(1_000);
    s = wallReducer(s, {
      kind: 'message',
      message: message('changes', { server_time: 12_000, queues: [queue({ waiting: 2 })], agents: [agent({ state: 'ringing' }), agent({ agent: 'carol' })] }),
      receivedAt: 12_500,
    });
    expect(s.queues).toEqual([queue({ waiting: 2 })]);
    expect(s.agents.map((a) => [a.agent, a.state])).toEqual([['alice', 'ringing'], ['bob', 'available'], ['carol', 'available']]);
    expect(s.skewMs).toBe(-500);
  });

  it('a new whole wall replaces everything, after a reconnection too', () => {
    let s = wallReducer(initialWall, { kind: 'message', message: message('wall', { agents: [agent(), agent({ agent: 'bob' })] }), receivedAt: 10_000 });
    s = wallReducer(s, { kind: 'connection', connection: 'reconnecting' });
    expect(s.connection).toBe('reconnecting');
    s = wallReducer(s, { kind: 'message', message: message('wall', { agents: [agent({ agent: 'bob' })] }), receivedAt: 10_000 });
    expect(s.agents.map((a) => a.agent)).toEqual(['bob']);
    expect(s.connection).toBe('live');
  });

  it('a refusal is shown with the server’s words and ends the connection', () => {
    const s = wallReducer(initialWall, { kind: 'problem', text: 'for supervisors and admins' });
    expect(s.problem).toBe('for supervisors and admins');
    expect(s.connection).toBe('closed');
  });

  it('durations count from server times, corrected for the browser’s clock', () => {
    const s = wallReducer(initialWall, { kind: 'message', message: message('wall', { server_time: 100_000 }), receivedAt: 90_000 });
    expect(since(95_000, s, 91_000)).toBe(6_000);
    expect(since(200_000, s, 91_000)).toBe(0);
  });

  it('totals count waiting calls and agents by state', () => {
    const s = wallReducer(initialWall, {
      kind: 'message',
      message: message('wall', {
        queues: [queue({ waiting: 2 }), queue({ queue: 'sales', waiting: 1 })],
        agents: [agent(), agent({ agent: 'b', state: 'on_call' }), agent({ agent: 'c', state: 'wrap_up' }), agent({ agent: 'd', state: 'offline' })],
      }),
      receivedAt: 0,
    });
    expect(totals(s)).toEqual({ waiting: 3, available: 1, busy: 2, loggedIn: 3 });
  });

  it('only wall messages are read from the socket', () => {
    expect(parseWallMessage(JSON.stringify(message('changes')))?.type).toBe('changes');
    expect(parseWallMessage('{"type":"pong"}')).toBeNull();
    expect(parseWallMessage('not json')).toBeNull();
  });
});
