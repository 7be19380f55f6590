// The console's API (`docs/console-api.md`): typed calls over the shared client's `request`,
// which sends the session cookie and, on changes, the CSRF token.
import type { Api, Role } from '../api';

export interface CrmLinkView {
  state: 'linked' | 'not_linked' | 'relink_required';
  crm_user: string | null;
  linked_at: string | null;
  refused_at: string | null;
}

export interface AccountView {
  user: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  updated_at: string;
  /** `null` for supervisors and admins, and when the tenant's CRM does not link accounts. */
  crm_link: CrmLinkView | null;
}

export interface OutboxItemView {
  id: number;
  kind: string;
  call_id: string | null;
  status: 'pending' | 'dead' | 'done' | 'discarded';
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  finished_at: string | null;
  last_error: string | null;
  dead_reason: string | null;
  discarded_at: string | null;
}

export interface ListenRow {
  at: string;
  action: string;
  call_id: string;
  viewer: string;
  crm_user_id: string | null;
  source: string;
  outcome: 'allowed' | 'refused';
  reason: string;
}

export interface AdminRow {
  at: string;
  actor: string;
  action: string;
  target: string;
  call_id: string | null;
  source: string;
  outcome: 'done' | 'refused' | 'failed';
  detail: string;
}

export type AuditKind = 'listen' | 'admin';

/** How a stored value matched the number (`docs/console-api.md` "Match tester"). */
export interface MatchRuleView {
  rule: 'exact_e164' | 'same_number' | 'suffix';
  suffix_digits: number | null;
  /** The phone library's sentence (English). */
  explanation: string;
}

export interface MatchRecordView {
  table: string;
  kind: 'contact' | 'consumer';
  id: string;
  name: string;
  account: { id: string; name: string } | null;
  matched: boolean;
  phones: { column: string; stored: string; match: MatchRuleView | null }[];
}

export interface MatchView {
  number: { typed: string; e164: string; region: string; number_region: string | null };
  rights: 'service';
  formats: string[];
  suffix: string | null;
  tables: { table: string; kind: 'contact' | 'consumer'; phone_columns: string[] }[];
  records: MatchRecordView[];
  pop: { outcome: 'new_contact' | 'contact' | 'chooser'; records: number; returned_unmatched: number; explanation: string };
}

export interface AuditFilter {
  from: string;
  to: string;
  user: string;
  call: string;
  outcome: '' | 'allowed' | 'refused';
}

/** The query string of an audit request (empty fields left out). */
export function auditQuery(filter: AuditFilter, format: 'json' | 'csv'): string {
  const params = new URLSearchParams();
  const names: readonly (keyof AuditFilter)[] = ['from', 'to', 'user', 'call', 'outcome'];
  for (const name of names) {
    const value = filter[name].trim();
    if (value !== '') params.set(name, value);
  }
  if (format === 'csv') params.set('format', 'csv');
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function auditPath(kind: AuditKind, filter: AuditFilter, format: 'json' | 'csv'): string {
  return `/api/v1/console/audit/${kind}${auditQuery(filter, format)}`;
}

export function consoleApi(api: Api) {
  const account = (user: string) => `/api/v1/console/accounts/${encodeURIComponent(user)}`;
  return {
    accounts: () => api.request<{ accounts: AccountView[]; crm_links: boolean }>('GET', '/api/v1/console/accounts'),
    createAccount: (body: { user: string; role: Role; display_name?: string }) =>
      api.request<{ account: AccountView; one_time_password: string }>('POST', '/api/v1/console/accounts', body),
    resetPassword: (user: string) => api.request<{ one_time_password: string }>('POST', `${account(user)}/password`, {}),
    changeAccount: (user: string, change: { disabled?: boolean; role?: Role }) =>
      api.request<{ account: AccountView }>('PATCH', account(user), change),
    revokeLink: (user: string) => api.request<undefined>('DELETE', `${account(user)}/crm-link`),
    outbox: () => api.request<{ items: OutboxItemView[] }>('GET', '/api/v1/console/outbox'),
    replay: (id: number) => api.request<{ item: OutboxItemView }>('POST', `/api/v1/console/outbox/${String(id)}/replay`, {}),
    discard: (id: number) => api.request<{ item: OutboxItemView }>('POST', `/api/v1/console/outbox/${String(id)}/discard`, {}),
    testNumber: (number: string) =>
      api.request<MatchView>('GET', `/api/v1/console/match?${new URLSearchParams({ number }).toString()}`),
    listenAudit: (filter: AuditFilter) =>
      api.request<{ entries: ListenRow[]; truncated: boolean }>('GET', auditPath('listen', filter, 'json')),
    adminAudit: (filter: AuditFilter) =>
      api.request<{ entries: AdminRow[]; truncated: boolean }>('GET', auditPath('admin', filter, 'json')),
  };
}
