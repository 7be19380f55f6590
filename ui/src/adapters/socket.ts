// The softphone WebSocket: frames in become inputs, `send` effects become frames. Reconnecting
// is the reducer's decision (`reconnect` effects); this adapter only connects when told to, and
// pings so that a dead network is noticed within seconds rather than minutes.
import { decodeServerFrame } from '../protocol';
import type { Input } from '../state/types';

export interface SocketAdapter {
  connect(): void;
  disconnect(): void;
  send(message: object): void;
}

const pingEveryMs = 15_000;
const pongWithinMs = 10_000;

export function createSocket(url: () => string, dispatch: (input: Input) => void): SocketAdapter {
  let socket: WebSocket | null = null;
  let pinger: ReturnType<typeof setInterval> | undefined;
  let pongDeadline: ReturnType<typeof setTimeout> | undefined;

  const stopTimers = () => {
    clearInterval(pinger);
    clearTimeout(pongDeadline);
  };

  const onFrame = (data: unknown) => {
    if (typeof data !== 'string') {
      dispatch({ kind: 'bad_frame', problem: 'a binary frame' });
      return;
    }
    const decoded = decodeServerFrame(data);
    if (decoded.ok) {
      if (decoded.message.type === 'pong') clearTimeout(pongDeadline);
      dispatch({ kind: 'server', message: decoded.message, at: Date.now() });
      return;
    }
    dispatch({ kind: 'bad_frame', problem: decoded.problem });
  };

  const close = () => {
    stopTimers();
    const old = socket;
    socket = null;
    if (old) {
      old.onopen = old.onmessage = old.onerror = old.onclose = null;
      old.close(1000, 'closed by the softphone');
    }
  };

  return {
    connect() {
      close();
      const ws = new WebSocket(url());
      socket = ws;
      ws.onopen = () => {
        dispatch({ kind: 'socket_open' });
        pinger = setInterval(() => {
          ws.send('{"type":"ping"}');
          clearTimeout(pongDeadline);
          pongDeadline = setTimeout(() => { ws.close(4000, 'no pong'); }, pongWithinMs);
        }, pingEveryMs);
      };
      ws.onmessage = (event: MessageEvent) => { onFrame(event.data); };
      ws.onerror = () => { dispatch({ kind: 'socket_error' }); };
      ws.onclose = (event) => {
        stopTimers();
        if (socket === ws) socket = null;
        dispatch({ kind: 'socket_closed', code: event.code, jitter: Math.random() });
      };
    },
    disconnect: close,
    send(message) {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
  };
}
