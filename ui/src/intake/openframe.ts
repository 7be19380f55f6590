// Click-to-dial from ServiceNow: the payload of OpenFrame's `openframe_communication` event.
// Two shapes are seen in practice (reference/servicenow.md 5.3): Workspace's
// `{"type":"OUTGOING_CALL","data":{"metaData":{"phoneNumber"},"data":[{"entity","query"}]}}`
// and UI16's phone icon `{"phone_number": "858-287-7834", ...}`.
import { cleanDialNumber, dialContext, sysIdFromQuery, type DialRequest } from './dial-request';

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

export function parseOpenFrameCommunication(payload: unknown): DialRequest | null {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const event = record(value);
  if (!event) return null;

  if (event.type === 'OUTGOING_CALL') {
    const data = record(event.data);
    const metaData = record(data?.metaData);
    const phone = metaData?.phoneNumber;
    if (typeof phone !== 'string') return null;
    const number = cleanDialNumber(phone);
    if (!number) return null;
    // The first related record that is not the interaction itself is the one clicked on.
    const related = Array.isArray(data?.data) ? data.data : [];
    let context = null;
    for (const item of related) {
      const entry = record(item);
      if (!entry || entry.entity === 'interaction') continue;
      context = dialContext(entry.entity, sysIdFromQuery(entry.query));
      if (context) break;
    }
    if (!context) {
      context = dialContext(metaData?.table ?? metaData?.recordType, metaData?.sys_id ?? metaData?.recordId);
    }
    return { number, context, source: 'openframe' };
  }

  if (typeof event.phone_number === 'string') {
    const number = cleanDialNumber(event.phone_number);
    if (!number) return null;
    const context = dialContext(event.table ?? event.table_name, event.sys_id);
    return { number, context, source: 'openframe' };
  }
  return null;
}
