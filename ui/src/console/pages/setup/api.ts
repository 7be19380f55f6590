// The Setup page's calls (`docs/console-api.md`, "Setup").
import type { Api } from '../../../api';
import type { SetupStepId } from './messages';

export interface SetupValue {
  key: string;
  /** `null` for a secret (never sent) and for an optional value not set. */
  value: string | null;
  secret: boolean;
  set: boolean;
}

export interface RecordingStoreView {
  kind: 'local' | 's3';
  path?: string;
  bucket?: string;
  region?: string;
  endpoint?: string | null;
  prefix?: string;
  credentials?: 'access_key' | 'role';
  access_key_id?: string | null;
  secret_access_key_set?: boolean;
  iam_policy?: unknown;
}

export interface RoleNeed {
  table: string;
  purpose: string;
  role: string | null;
}

export interface SetupOverview {
  tenant: string;
  name: string;
  provisioned: 'file' | 'store';
  /** The configuration file; `null` for a tenant kept in the store. */
  file: string | null;
  editable: boolean;
  /** For a tenant kept in the store, the version a save names. */
  version: number | null;
  steps: SetupStepId[];
  crm: string | null;
  connection: { values: SetupValue[]; registration: { menu: string; redirect_url: string } | null } | null;
  tables: { values: SetupValue[] } | null;
  roles: { needs: RoleNeed[] } | null;
  recordings: RecordingStoreView | null;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skipped';

/** The language a check's part is in: the page's, or English where the check has no Japanese. */
export type CheckLang = 'en' | 'ja';

export interface CheckView {
  id: string;
  title: string;
  title_lang: CheckLang;
  status: CheckStatus;
  detail: string;
  detail_lang: CheckLang;
  fix: string | null;
  /** `null` exactly when `fix` is. */
  fix_lang: CheckLang | null;
}

export interface StepChecks {
  step: SetupStepId;
  lang: 'en' | 'ja';
  checks: CheckView[];
  summary: Record<CheckStatus, number>;
}

export interface SchemaColumn {
  name: string;
  label: string;
  kind: string;
  max_length: number | null;
  reference: string | null;
}

export interface SchemaTable {
  role: 'case' | 'lookup';
  name: string;
  label: string | null;
  columns: SchemaColumn[];
  problem: string | null;
}

export interface SchemaView {
  tables: SchemaTable[];
  recording_columns: string[];
  recording_column: string;
  recording_column_exists: boolean;
  recording_min_length: number;
}

/** A table of the instance an admin could search callers in. */
export interface TableChoice {
  name: string;
  label: string;
  /** The tables it extends, nearest first. */
  extends: string[];
  kind: 'contact' | 'consumer';
  phone_columns: string[];
}

export interface TableChoices {
  tables: TableChoice[];
  /** The most table definitions read for the list. */
  limit: number;
  /** Whether the instance held more: a table not listed can still be typed in. */
  truncated: boolean;
}

export interface NewColumnRequest {
  name: string;
  label: string;
  type: 'url' | 'string_full_utf8';
  admin_user: string;
  admin_password: string;
}

export interface SavedStep {
  version: number;
  applied: boolean;
  not_applied: string | null;
  checks: StepChecks;
}

export type StepSettings = Record<string, unknown> & { version: number };

/** The form field a save's field error belongs to: the last part of its key below the
 *  tenant (`crm.case.table` is `table`, `telephony.recordings.bucket` is `bucket`), when the
 *  step's form has that field. */
export function fieldOf(key: string, fields: readonly string[]): string | null {
  const last = key.split('.').pop() ?? '';
  return fields.includes(last) ? last : null;
}

/** The columns of a table that hold a phone number: the instance's phone type, or text named
 *  for a phone (the server's rule for the list of tables). */
export function phoneColumnsOf(columns: SchemaColumn[]): string[] {
  return columns
    .filter((c) => c.kind === 'ph_number' || ((c.kind === 'string' || c.kind === 'string_full_utf8') && c.name.includes('phone')))
    .map((c) => c.name);
}

/** The comma-separated phone columns with `column` added at the end or taken out. */
export function togglePhoneColumn(list: string, column: string, on: boolean): string {
  const names = list.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const kept = names.filter((c) => c !== column);
  return (on ? [...kept, column] : kept).join(', ');
}

/** One customer table searched for the caller's number, as the form holds it. */
export interface LookupRow {
  table: string;
  kind: string;
  /** Comma-separated, in the order they are searched. */
  phone_columns: string;
  name_column: string;
  account_column: string;
}

const LOOKUP_FIELDS = ['table', 'kind', 'phone_columns', 'name_column', 'account_column'] as const;

/** The lookup table rows of the overview's `tables.values` (`lookup.tables[i].<field>`). */
export function lookupRowsOf(values: SetupValue[]): LookupRow[] {
  const rows: LookupRow[] = [];
  for (const v of values) {
    const m = /^lookup\.tables\[(\d+)\]\.(\w+)$/.exec(v.key);
    if (!m) continue;
    const i = Number(m[1]);
    const field = m[2] as keyof LookupRow;
    rows[i] ??= { table: '', kind: 'contact', phone_columns: '', name_column: '', account_column: '' };
    if ((LOOKUP_FIELDS as readonly string[]).includes(field)) rows[i][field] = v.value ?? '';
  }
  // Indexes come from the keys; `Object.values` skips any index the values left out.
  return Object.values(rows);
}

/** The request's `lookup_tables` from the rows (empty optional columns take their defaults). */
export function lookupTablesBody(rows: LookupRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    table: r.table.trim(),
    kind: r.kind,
    phone_columns: r.phone_columns.split(',').map((c) => c.trim()).filter((c) => c !== ''),
    name_column: r.name_column.trim() === '' ? null : r.name_column.trim(),
    account_column: r.account_column.trim() === '' ? null : r.account_column.trim(),
  }));
}

/** Where a save's field error about a lookup table belongs: `crm.lookup.tables[1].kind` is
 *  row 1's `kind`; `….phone_columns[0]` is row's `phone_columns`; the list itself is row 0's
 *  `table`. */
export function lookupPlaceOf(key: string): { index: number; field: string } | null {
  const m = /lookup\.tables(?:\[(\d+)\](?:\.(\w+))?)?/.exec(key);
  if (!m) return null;
  const field = m[2] ?? 'table';
  return { index: Number(m[1] ?? '0'), field: (LOOKUP_FIELDS as readonly string[]).includes(field) ? field : 'table' };
}

export function setupApi(api: Api) {
  return {
    overview: () => api.request<SetupOverview>('GET', '/api/v1/console/setup'),
    checks: (step: SetupStepId, lang: 'en' | 'ja') => api.request<StepChecks>('GET', `/api/v1/console/setup/steps/${step}/checks?lang=${lang}`),
    schema: () => api.request<SchemaView>('GET', '/api/v1/console/setup/schema'),
    tableChoices: () => api.request<TableChoices>('GET', '/api/v1/console/setup/schema/tables'),
    describeTable: (table: string) =>
      api.request<SchemaTable>('GET', `/api/v1/console/setup/schema/tables/${encodeURIComponent(table)}`),
    save: (step: SetupStepId, body: StepSettings) =>
      api.request<SavedStep>('PUT', `/api/v1/console/setup/steps/${step}`, body),
    createRecordingColumn: (body: NewColumnRequest) =>
      api.request<{ column: SchemaColumn }>('POST', '/api/v1/console/setup/recording-column', body),
  };
}
