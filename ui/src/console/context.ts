// What every console page is given.
import type { Api, Session } from '../api';
import type { ConsolePage } from './pages';
import type { ConsoleTexts } from './texts';

export interface ConsoleContext {
  t: ConsoleTexts;
  api: Api;
  session: Session;
  /** The pages this session's role may open, in navigation order. */
  pages: readonly ConsolePage[];
}

export interface PageProps {
  ctx: ConsoleContext;
  /** The address's `#/...` part (what follows the page id is the page's own). */
  hash?: string;
}
