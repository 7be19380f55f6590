// A request to open the dial screen with a number filled in, from wherever it came. Each source
// has its own pure parser (openframe.ts, tel.ts, page-url.ts, post-message.ts); they all end here.

/** The CRM record the number was clicked on: an outbound Case links to it. */
export interface DialContext {
  table: string;
  sysId: string;
}

export type DialSource = 'openframe' | 'tel' | 'url' | 'post_message' | 'keypad';

export interface DialRequest {
  /** As the protocol's `dial` takes it: digits with an optional leading `+`. */
  number: string;
  context: DialContext | null;
  source: DialSource;
}

const separators = /[\s\-().\u00a0\u2010-\u2015\u2212\u3000\uff08\uff09\uff0d\uff0e]/g;

/**
 * Cleans a number typed or clicked anywhere to what `dial` accepts: an optional `+` and 2 to 20
 * digits, visual separators dropped. Returns null for anything else (letters, several `+`,
 * control characters): a caller ID or a CRM field is never trusted to be a number.
 */
export function cleanDialNumber(raw: string): string | null {
  const trimmed = raw.trim().replace(separators, '');
  // Full-width digits (common in Japanese input) are digits too.
  const ascii = trimmed.replace(/[\uff10-\uff19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/^\uff0b/, '+');
  return /^\+?[0-9]{2,20}$/.test(ascii) ? ascii : null;
}

const sysIdPattern = /^[0-9a-zA-Z_-]{1,64}$/;
const tablePattern = /^[a-z][a-z0-9_]{0,79}$/;

/** A record context, when both parts look like a ServiceNow table name and sys_id. */
export function dialContext(table: unknown, sysId: unknown): DialContext | null {
  if (typeof table !== 'string' || typeof sysId !== 'string') return null;
  return tablePattern.test(table) && sysIdPattern.test(sysId) ? { table, sysId } : null;
}

/** Reads `sys_id=<id>` out of an OpenFrame-style query (`sys_id=abc^active=true` too). */
export function sysIdFromQuery(query: unknown): string | null {
  if (typeof query !== 'string') return null;
  const match = /(?:^|[&^])sys_id=([^&^]+)/.exec(query);
  return match?.[1] ?? null;
}
