// Loading a page's data: one hook, so every page shows loading, failure (with the server's words
// and a retry) and the data the same way.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';

export type Loaded<T> =
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; data: T };

export function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

/** Runs `load` now, whenever `key` changes, and on `reload()`. */
export function useLoad<T>(load: () => Promise<T>, key: string): { state: Loaded<T>; reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({ kind: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => { if (live) setState({ kind: 'ready', data }); },
      (error: unknown) => { if (live) setState({ kind: 'failed', message: messageOf(error) }); },
    );
    return () => { live = false; };
    // `load` is a new closure every render; `key` and `round` say when to fetch again.
  }, [key, round]);
  const reload = useCallback(() => { setRound((r) => r + 1); }, []);
  return { state, reload };
}
