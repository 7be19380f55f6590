import type { ConnectionView, MediaStatus } from '../state/types';
import type { Ui } from './context';

/** Whether the softphone is connected (socket and audio), and when it tries again. */
export function ConnectionBanner(
  { ui, connection, media, mediaProblem, serverError, now, onRetry }: {
    ui: Ui;
    connection: ConnectionView;
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
  if (connection.status === 'connecting' || connection.status === 'idle') text = m.connecting;
  else if (connection.status === 'waiting') {
    text = m.reconnectingIn({ seconds: ui.t.seconds((connection.retryAt ?? now) - now) });
    retry = true;
  } else if (connection.status === 'open' && media === 'failed') text = m.audioFailed({ problem: mediaProblem ?? '' });
  else if (connection.status === 'open' && media === 'negotiating') text = m.audioConnecting;
  return (
    <>
      {text && (
        <div class={`banner ${connection.status === 'waiting' || media === 'failed' ? 'warn' : 'info'}`} role="status">
          <span>{text}</span>
          {retry && <button type="button" class="link" onClick={onRetry}>{m.reconnectNow}</button>}
        </div>
      )}
      {serverError && <div class="banner warn" role="alert">{m.serverSaid({ message: serverError })}</div>}
    </>
  );
}
