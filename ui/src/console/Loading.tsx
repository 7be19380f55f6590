import type { ComponentChildren } from 'preact';
import type { Loaded } from './load';
import type { ConsoleTexts } from './texts';

/** A page's data as it loads: a status line, the failure with a retry, or `children(data)`. */
export function Loading<T>({ t, state, reload, children }: { t: ConsoleTexts; state: Loaded<T>; reload: () => void; children: (data: T) => ComponentChildren }) {
  switch (state.kind) {
    case 'loading':
      return <p class="meta" role="status">{t.c.loading}</p>;
    case 'failed':
      return (
        <div class="banner warn" role="alert">
          <span>{t.c.loadFailed({ message: state.message })}</span>
          <button type="button" onClick={reload}>{t.c.retry}</button>
        </div>
      );
    case 'ready':
      return <>{children(state.data)}</>;
  }
}
