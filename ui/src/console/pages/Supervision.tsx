// The supervisor's two pages in the console: the live wall and the call history (their
// components live in ../wall and ../history).
import { texts } from '../../i18n';
import type { PageProps } from '../context';
import { CallHistory } from '../history/CallHistory';
import { LiveWall } from '../wall/LiveWall';
import '../supervisor.css';

export function LiveWallPage({ ctx }: PageProps) {
  return <LiveWall s={ctx.t.c.supervisor.wall} t={texts(ctx.t.lang)} />;
}

export function CallHistoryPage({ ctx }: PageProps) {
  return <CallHistory s={ctx.t.c.supervisor.history} t={texts(ctx.t.lang)} />;
}
