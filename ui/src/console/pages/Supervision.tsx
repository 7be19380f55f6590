// The supervisor's pages in the console: the live wall, the call history and the charts (their
// components live in ../wall, ../history and ../charts).
import { texts } from '../../i18n';
import type { PageProps } from '../context';
import { Charts } from '../charts/Charts';
import { CallHistory } from '../history/CallHistory';
import { LiveWall } from '../wall/LiveWall';
import '../supervisor.css';

export function LiveWallPage({ ctx }: PageProps) {
  return <LiveWall s={ctx.t.c.supervisor.wall} t={texts(ctx.t.lang)} />;
}

export function CallHistoryPage({ ctx }: PageProps) {
  return <CallHistory s={ctx.t.c.supervisor.history} t={texts(ctx.t.lang)} />;
}

export function ChartsPage({ ctx }: PageProps) {
  return <Charts s={ctx.t.c.supervisor.charts} t={texts(ctx.t.lang)} />;
}
