// What every component gets: the words in the agent's language and a way to say what the agent
// did. Passed as props (no global), so a component renders the same in a test.
import type { Texts } from '../i18n';
import type { Intent } from '../state/types';

export interface Ui {
  t: Texts;
  act: (intent: Intent) => void;
}
