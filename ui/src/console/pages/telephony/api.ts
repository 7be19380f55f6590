// "Numbers & queues" (`docs/console-api.md`): the tenant's telephony, its uploads, and the save.
import type { Api } from '../../../api';

export type Waiting = 'ringback' | 'music';
export type Unserved = 'busy' | 'announcement' | 'hang_up';
export type PromptKind = 'music' | 'announcement';

export interface NumberRoute { did: string; queue: string }

export interface QueueSettings {
  id: string;
  ring_timeout_secs: number;
  waiting: Waiting;
  /** An upload's id, a configured path, or null (music: a generated tone; announcement: none). */
  music: string | null;
  announcement: string | null;
  max_waiting: number;
  max_wait_secs: number;
  overflow: Unserved;
  no_agent: Unserved;
  wrap_up_secs: number;
  service_level_secs: number;
}

export interface AgentQueues { name: string; queues: string[] }

export interface TelephonySettings {
  /** Carriers' addresses or networks allowed to send calls to the numbers. */
  allowed_sources: string[];
  numbers: NumberRoute[];
  queues: QueueSettings[];
  agents: AgentQueues[];
}

export type TenantSource =
  | { kind: 'store'; version: number; editable: true }
  | { kind: 'file'; file: string; editable: false; note: string };

export interface Prompt {
  id: string;
  kind: PromptKind;
  name: string;
  seconds: number;
  bytes: number;
  uploaded_at: string;
  uploaded_by: string;
}

export interface TelephonyView {
  source: TenantSource;
  telephony: TelephonySettings | null;
  prompts: Prompt[];
}

/** A mistake the configuration's reader found, its key below the tenant. */
export interface FieldError { key: string; problem: string; fix: string }

export interface Saved { version: number; applied: boolean; not_applied: string | null }

export function telephonyApi(api: Api) {
  return {
    load: () => api.request<TelephonyView>('GET', '/api/v1/console/telephony'),
    save: (version: number, settings: TelephonySettings) =>
      api.request<Saved>('PUT', '/api/v1/console/telephony', { version, ...settings }),
    upload: (kind: PromptKind, file: File) =>
      api.upload<{ prompt: Prompt }>(
        `/api/v1/console/telephony/prompts?${new URLSearchParams({ kind, name: file.name }).toString()}`,
        file,
      ),
    remove: (id: string) =>
      api.request<{ prompt: Prompt }>('DELETE', `/api/v1/console/telephony/prompts/${encodeURIComponent(id)}`),
  };
}

/** The field errors of a refused save, if the answer had them. */
export function fieldErrorsOf(details: Record<string, unknown> | null): FieldError[] {
  const fields = details?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter((f): f is FieldError =>
    typeof f === 'object' && f !== null && typeof (f as FieldError).key === 'string');
}

/** Where a field error belongs: `telephony.queue[2].waiting` is queue 2's `waiting`. */
export function placeOf(key: string): { list: 'number' | 'queue' | 'agent'; index: number; field: string } | null {
  const m = /^telephony\.(number|queue|agent)\[(\d+)\](?:\.(\w+))?/.exec(key);
  if (!m) return null;
  return { list: m[1] as 'number' | 'queue' | 'agent', index: Number(m[2]), field: m[3] ?? '' };
}
