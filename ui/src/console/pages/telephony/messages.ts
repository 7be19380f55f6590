// The "Numbers & queues" page's words (English in `en.ts`, Japanese in `ja.ts` beside this
// file); the console's catalogue holds them as `telephony`.
import type { Fmt } from '../../../i18n/messages';
import type { PromptKind, Unserved, Waiting } from './api';

export interface TelephonyMessages {
  title: string;
  summary: string;
  intro: string;
  readOnly: Fmt<{ file: string }>;
  editable: Fmt<{ version: string }>;
  noTelephony: string;
  numbersHeading: string;
  allowedSources: string;
  allowedSourcesHint: string;
  number: string;
  numberQueue: string;
  addNumber: string;
  removeNumber: Fmt<{ number: string }>;
  noNumbers: string;
  queuesHeading: string;
  queueId: string;
  queueOf: Fmt<{ queue: string }>;
  addQueue: string;
  removeQueue: Fmt<{ queue: string }>;
  ringTimeout: string;
  waiting: string;
  waitings: Record<Waiting, string>;
  music: string;
  announcement: string;
  generatedTone: string;
  noAnnouncement: string;
  configuredFile: Fmt<{ path: string }>;
  maxWaiting: string;
  maxWait: string;
  overflow: string;
  noAgent: string;
  treatments: Record<Unserved, string>;
  wrapUp: string;
  serviceLevel: string;
  seconds: string;
  agentsHeading: string;
  agentName: string;
  addAgent: string;
  removeAgent: Fmt<{ agent: string }>;
  servesQueue: Fmt<{ agent: string; queue: string }>;
  /** Under an agent with no account: the link to People's create form, filled in. */
  noAccount: Fmt<{ agent: string }>;
  promptsHeading: string;
  promptsIntro: string;
  promptKind: string;
  kinds: Record<PromptKind, string>;
  chooseFile: string;
  upload: string;
  uploading: string;
  uploaded: Fmt<{ name: string }>;
  uploadFailed: Fmt<{ message: string }>;
  noPrompts: string;
  promptColumns: { name: string; kind: string; length: string; uploaded: string; actions: string };
  /** The delete button's accessible name: which file. */
  deletePrompt: Fmt<{ name: string }>;
  deleteShort: string;
  confirmDelete: Fmt<{ name: string }>;
  deleted: Fmt<{ name: string }>;
  deleteFailed: Fmt<{ message: string }>;
  promptLength: Fmt<{ seconds: string }>;
  save: string;
  saving: string;
  saved: Fmt<{ version: string }>;
  savedNotApplied: Fmt<{ version: string; reason: string }>;
  saveFailed: Fmt<{ message: string }>;
  fieldErrorsHeading: string;
  fieldError: Fmt<{ problem: string; fix: string }>;
}
