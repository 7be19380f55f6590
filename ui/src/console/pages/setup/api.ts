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

export interface CheckView {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

export interface StepChecks {
  step: SetupStepId;
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

export function setupApi(api: Api) {
  return {
    overview: () => api.request<SetupOverview>('GET', '/api/v1/console/setup'),
    checks: (step: SetupStepId) => api.request<StepChecks>('GET', `/api/v1/console/setup/steps/${step}/checks`),
    schema: () => api.request<SchemaView>('GET', '/api/v1/console/setup/schema'),
    save: (step: SetupStepId, body: StepSettings) =>
      api.request<SavedStep>('PUT', `/api/v1/console/setup/steps/${step}`, body),
    createRecordingColumn: (body: NewColumnRequest) =>
      api.request<{ column: SchemaColumn }>('POST', '/api/v1/console/setup/recording-column', body),
  };
}
