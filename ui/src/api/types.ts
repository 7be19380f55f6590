// The HTTP API the softphone needs from the server, as proposed in ui/SERVER-CONTRACT.md.
// Nothing here exists on the server yet; this module is the only place the UI depends on it.

export type Role = 'agent' | 'supervisor' | 'admin';

export interface Session {
  tenant: string;
  user: string;
  role: Role;
  /** RFC 3339. */
  expires_at: string;
}

export interface SessionResponse {
  session: Session;
  /** Sent back as the `X-CSRF-Token` header on every state-changing request. */
  csrf_token: string;
}

export type CrmLinkState = 'linked' | 'not_linked' | 'relink_required';

export interface CrmLink {
  state: CrmLinkState;
  /** The CRM user name when linked. */
  user: string | null;
  linked_at: string | null;
}

export interface CrmProfile {
  kind: 'servicenow';
  /** `https://<instance>.service-now.com`, or the sandbox's URL in the demo. */
  instance_url: string;
  /** `null`: the tenant does not use that kind of record. */
  tables: { contact: string | null; consumer: string | null; case: string | null };
  link: CrmLink;
}

export interface Disposition {
  code: string;
  label: { en: string; ja: string };
}

export interface QueueProfile {
  name: string;
  /** After-call work time; null: the agent returns to available by hand. */
  wrap_up_seconds: number | null;
}

export interface Profile {
  tenant: { id: string; name: string; region: string; allowed_origins: string[] };
  agent: { name: string; display_name: string; role: Role };
  crm: CrmProfile | null;
  queues: QueueProfile[];
  disposition_codes: Disposition[];
  /** Path of the softphone WebSocket, authenticated by the session cookie. */
  softphone_path: string;
}

export interface Colleague {
  name: string;
  display_name: string;
  state: 'offline' | 'available' | 'unavailable' | 'ringing' | 'dialing' | 'on_call' | 'wrap_up';
}

export interface Colleagues {
  agents: Colleague[];
  queues: { name: string }[];
}

export interface CrmLinkStart {
  /** Open in a pop-up: it runs the CRM's sign-in and comes back to Callbridge. */
  start_url: string;
}

/** `{"error":{"code","message"}}`, as every error body of the server. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from `Retry-After` (429). */
    readonly retryAfter: number | null = null,
    /** The whole `error` object, for routes that say more than a message (field errors). */
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
