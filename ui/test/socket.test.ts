import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSocket } from '../src/adapters/socket';
import type { Input } from '../src/state/types';

class FakeSocket {
  static readonly OPEN = 1;
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: string[] = [];
  closed: [number | undefined, string | undefined] | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) { FakeSocket.last = this; }
  send(text: string) { this.sent.push(text); }
  close(code?: number, reason?: string) { this.closed = [code, reason]; }
  open() { this.readyState = FakeSocket.OPEN; this.onopen?.(); }
  receive(data: unknown) { this.onmessage?.({ data }); }
  drop(code: number) { this.readyState = 3; this.onclose?.({ code }); }
}

let inputs: Input[] = [];
beforeEach(() => {
  inputs = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function connected() {
  const socket = createSocket(() => 'ws://127.0.0.1/x', (i) => inputs.push(i));
  socket.connect();
  const ws = FakeSocket.last;
  if (!ws) throw new Error('no socket');
  ws.open();
  return { socket, ws };
}

describe('the WebSocket adapter', () => {
  it('turns frames into inputs: protocol messages, proposed additions, and what it cannot read', () => {
    const { ws } = connected();
    // Each message carries the moment it was received.
    vi.useFakeTimers({ now: 1_796_000_000_000, toFake: ['Date'] });
    ws.receive('{"type":"media","connected":true}');
    ws.receive('{"type":"wrap_up","call":"c","case":null,"ends_at":null,"ends_in_ms":0}');
    ws.receive('{"type":"surprise"}');
    ws.receive('not json');
    ws.receive(new ArrayBuffer(2));
    expect(inputs).toEqual([
      { kind: 'socket_open' },
      { kind: 'server', message: { type: 'media', connected: true }, at: 1_796_000_000_000 },
      { kind: 'server', message: { type: 'wrap_up', call: 'c', case: null, ends_at: null, ends_in_ms: 0 }, at: 1_796_000_000_000 },
      { kind: 'bad_frame', problem: 'unknown message type "surprise"' },
      { kind: 'bad_frame', problem: 'not JSON' },
      { kind: 'bad_frame', problem: 'a binary frame' },
    ]);
  });

  it('sends JSON while open, and reports the close with its code and a jitter in [0, 1)', () => {
    const { socket, ws } = connected();
    socket.send({ type: 'answer', call: 'c-1' });
    expect(ws.sent).toEqual(['{"type":"answer","call":"c-1"}']);
    ws.drop(1006);
    const closed = inputs.at(-1);
    expect(closed).toMatchObject({ kind: 'socket_closed', code: 1006 });
    const jitter = closed?.kind === 'socket_closed' ? closed.jitter : -1;
    expect(jitter).toBeGreaterThanOrEqual(0);
    expect(jitter).toBeLessThan(1);
    socket.send({ type: 'ping' });
    expect(ws.sent).toHaveLength(1);
  });

  it('pings every 15 s and closes a connection that does not answer within 10 s', () => {
    const { ws } = connected();
    vi.advanceTimersByTime(15_000);
    expect(ws.sent).toEqual(['{"type":"ping"}']);
    ws.receive('{"type":"pong"}');
    vi.advanceTimersByTime(10_000);
    expect(ws.closed).toBeNull();
    vi.advanceTimersByTime(5_000);
    vi.advanceTimersByTime(10_000);
    expect(ws.closed).toEqual([4000, 'no pong']);
  });

  it('disconnecting closes quietly: no input for a close the softphone asked for', () => {
    const { socket, ws } = connected();
    socket.disconnect();
    expect(ws.closed).toEqual([1000, 'closed by the softphone']);
    expect(inputs).toEqual([{ kind: 'socket_open' }]);
  });
});
