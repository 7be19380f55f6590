// The live wall page: opens the wall's socket while shown, folds its messages with the pure
// reducer, and ticks once a second so that durations count on.
import { useEffect, useReducer, useState } from 'preact/hooks';
import type { Texts } from '../../i18n';
import type { SupervisorMessages } from '../../i18n/messages';
import { initialWall, wallReducer } from './model';
import { openWall } from './socket';
import { WallBoard } from './WallBoard';

export function LiveWall({ s, t }: { s: SupervisorMessages['wall']; t: Texts }) {
  const [state, dispatch] = useReducer(wallReducer, initialWall);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => openWall(dispatch), []);
  useEffect(() => {
    const tick = setInterval(() => { setNow(Date.now()); }, 1000);
    return () => { clearInterval(tick); };
  }, []);
  return <WallBoard state={state} s={s} t={t} now={now} />;
}
