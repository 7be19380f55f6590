import type { ConnectionView, MediaStatus } from '../state/types';
import type { Ui } from './context';

/** Whether the softphone is connected (socket and audio), and when it tries again. */
export function ConnectionBanner(
  { ui, connection, media, mediaProblem, serverError, now, onRetry, callKept }: {
    ui: Ui;
    connection: ConnectionView;
    /** A call in progress waits for this softphone (the server keeps it for a grace period). */
    callKept: boolean;
    media: MediaStatus;
    mediaProblem: string | null;
    serverError: string | null;
    now: number;
    onRetry: () => void;
  },
) {
  const { m } = ui.t;
  let text: string | null = null;
  let retry = false;
  if (connection.status === 'connecting' || connection.status === 'idle') text = connection.everOpen ? m.reconnecting : m.connecting;
  else if (connection.status === 'waiting') {
    text = m.reconnectingIn({ seconds: ui.t.seconds((connection.retryAt ?? now) - now) });
    retry = true;
  } else if (connection.status === 'open' && media === 'failed') text = m.audioFailed({ problem: mediaProblem ?? '' });
  else if (connection.status === 'open' && media === 'negotiating') text = callKept ? m.audioReconnecting : m.audioConnecting;
  const reconnecting = connection.status === 'waiting' || connection.status === 'connecting' || (connection.status === 'open' && media !== 'connected');
  return (
    <>
      {text && (
        <div class={`banner ${connection.status === 'waiting' || media === 'failed' ? 'warn' : 'info'}`} role="status">
          <span>{text}</span>
          {callKept && reconnecting && <span class="banner-note">{m.callKept}</span>}
          {retry && <button type="button" class="link" onClick={onRetry}>{m.reconnectNow}</button>}
        </div>
      )}
      {serverError && <div class="banner warn" role="alert">{m.serverSaid({ message: serverError })}</div>}
    </>
  );
}
