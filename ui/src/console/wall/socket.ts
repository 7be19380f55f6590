// The wall's WebSocket: frames in become wall inputs. When the socket fails, a plain GET of the
// same address says why (401, 403, 404 end it with the server's words; anything else is a
// network problem, retried with a growing pause).
import type { WallInput } from './model';
import { parseWallMessage } from './model';

export const wallPath = '/api/v1/console/wall';

export interface WallRefusal {
  status: number;
  message: string;
}

/** Why the server refuses the wall, or null when it would accept a WebSocket (a network
 *  problem, then). */
export async function refusalOf(fetchImpl: typeof fetch): Promise<WallRefusal | null> {
  try {
    const response = await fetchImpl(wallPath, { credentials: 'include', headers: { Accept: 'application/json' } });
    if (response.status === 400 || response.ok) return null;
    const body = (await response.json()) as { error?: { message?: unknown } };
    const message = typeof body.error?.message === 'string' ? body.error.message : response.statusText;
    return { status: response.status, message };
  } catch {
    return null;
  }
}

/** Opens the wall and keeps it open; returns the function that closes it for good. */
export function openWall(dispatch: (input: WallInput) => void, fetchImpl: typeof fetch = fetch): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let pause = 1000;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}${wallPath}`);
    socket = ws;
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      const message = parseWallMessage(event.data);
      if (message) {
        pause = 1000;
        dispatch({ kind: 'message', message, receivedAt: Date.now() });
      }
    };
    ws.onclose = (event) => {
      socket = null;
      if (stopped) return;
      dispatch({ kind: 'connection', connection: 'reconnecting' });
      if (event.code === 4401) {
        void refusalOf(fetchImpl).then((r) => { dispatch({ kind: 'problem', text: r?.message ?? event.reason }); });
        return;
      }
      void refusalOf(fetchImpl).then((refusal) => {
        if (refusal) {
          dispatch({ kind: 'problem', text: refusal.message });
          return;
        }
        retry = setTimeout(connect, pause);
        pause = Math.min(pause * 2, 10_000);
      });
    };
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'the page was left');
    }
  };
}
