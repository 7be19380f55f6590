// `window.postMessage` from a page that embeds or opened the softphone:
// `{"type":"callbridge.dial","number":"+81312345678","context":{"table":"customer_contact","sys_id":"..."}}`.
// Only origins the tenant allows are heard (the CRM instance's and Callbridge's own).
import { cleanDialNumber, dialContext, type DialRequest } from './dial-request';

export function parseDialMessage(
  data: unknown,
  origin: string,
  allowedOrigins: readonly string[],
): DialRequest | null {
  if (!allowedOrigins.includes(origin)) return null;
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as { type?: unknown; number?: unknown; context?: unknown };
  if (message.type !== 'callbridge.dial' || typeof message.number !== 'string') return null;
  const number = cleanDialNumber(message.number);
  if (!number) return null;
  const context =
    typeof message.context === 'object' && message.context !== null
      ? dialContext(
          (message.context as { table?: unknown }).table,
          (message.context as { sys_id?: unknown }).sys_id,
        )
      : null;
  return { number, context, source: 'post_message' };
}
