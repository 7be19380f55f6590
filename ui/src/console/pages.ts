// The console's pages, in navigation order: the one list to extend. A page is an entry here
// (its id is its address, `/console#/<id>`; `needs` is the least role that sees it: admins see
// every page, supervisors the `supervisor` ones) plus a component in `pages/` that takes
// `PageProps`. Its strings go in `ConsoleMessages` (`src/i18n/messages.ts`, `en.ts`, `ja.ts`).
// The server checks the role again on every API route the page calls.
import type { ComponentType } from 'preact';
import type { ConsoleMessages } from '../i18n/messages';
import type { StaffRole } from './access';
import type { PageProps } from './context';
import { Audit } from './pages/Audit';
import { MatchTester } from './pages/MatchTester';
import { Outbox } from './pages/Outbox';
import { CallHistoryPage, ChartsPage, LiveWallPage } from './pages/Supervision';
import { Overview } from './pages/Overview';
import { People } from './pages/People';
import { Setup } from './pages/setup/Setup';
import { Telephony } from './pages/telephony/Telephony';

export interface ConsolePage {
  id: string;
  needs: StaffRole;
  title: (c: ConsoleMessages) => string;
  /** One line for the overview's list of pages. */
  summary: (c: ConsoleMessages) => string;
  component: ComponentType<PageProps>;
}

export const pages: readonly ConsolePage[] = [
  { id: 'overview', needs: 'supervisor', title: (c) => c.overview.title, summary: (c) => c.overview.summary, component: Overview },
  { id: 'live-wall', needs: 'supervisor', title: (c) => c.supervisor.wall.title, summary: (c) => c.supervisor.wall.summary, component: LiveWallPage },
  { id: 'call-history', needs: 'supervisor', title: (c) => c.supervisor.history.title, summary: (c) => c.supervisor.history.summary, component: CallHistoryPage },
  { id: 'charts', needs: 'supervisor', title: (c) => c.supervisor.charts.title, summary: (c) => c.supervisor.charts.summary, component: ChartsPage },
  { id: 'people', needs: 'admin', title: (c) => c.people.title, summary: (c) => c.people.summary, component: People },
  { id: 'outbox', needs: 'admin', title: (c) => c.outbox.title, summary: (c) => c.outbox.summary, component: Outbox },
  { id: 'match-tester', needs: 'admin', title: (c) => c.match.title, summary: (c) => c.match.summary, component: MatchTester },
  { id: 'setup', needs: 'admin', title: (c) => c.setup.title, summary: (c) => c.setup.summary, component: Setup },
  { id: 'numbers-queues', needs: 'admin', title: (c) => c.telephony.title, summary: (c) => c.telephony.summary, component: Telephony },
  { id: 'audit', needs: 'admin', title: (c) => c.audit.title, summary: (c) => c.audit.summary, component: Audit },
];
