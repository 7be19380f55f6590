// Where a CRM record opens: pure builders for the instance's own form URLs and OpenFrame's
// openServiceNowForm arguments. The record id and number are encoded; the table comes from the
// tenant's profile, never from a caller or a message.
import type { Contact } from '../protocol';
import type { CrmTarget } from '../state/types';

export interface CrmTables {
  contact: string;
  consumer: string;
  case: string;
}

export const defaultTables: CrmTables = {
  contact: 'customer_contact',
  consumer: 'csm_consumer',
  case: 'sn_customerservice_case',
};

/** The profile's tables, with the standard table where the tenant names none (no record of
 *  that kind ever comes from such a tenant, so the fallback is never shown). */
export function tablesOf(profile: { contact: string | null; consumer: string | null; case: string | null }): CrmTables {
  return {
    contact: profile.contact ?? defaultTables.contact,
    consumer: profile.consumer ?? defaultTables.consumer,
    case: profile.case ?? defaultTables.case,
  };
}

export interface FormRef {
  entity: string;
  query: string;
}

/** The OpenFrame form reference of a target (`sys_id=-1&sysparm_query=...` makes a new record). */
export function formRef(target: CrmTarget, tables: CrmTables): FormRef {
  switch (target.kind) {
    case 'contact':
      return {
        entity: target.contact.kind === 'consumer' ? tables.consumer : tables.contact,
        query: `sys_id=${encodeURIComponent(target.contact.id)}`,
      };
    case 'case':
      return { entity: tables.case, query: `sys_id=${encodeURIComponent(target.case.id)}` };
    case 'new_contact':
      // The number is E.164 (`+` and digits): nothing in it can change the encoded query.
      return {
        entity: tables.contact,
        query: `sys_id=-1&sysparm_query=${encodeURIComponent(`phone=${target.number.replace(/[^+0-9]/g, '')}`)}`,
      };
  }
}

/** `<instance>/<table>.do?<query>`: the form as the instance itself serves it (standalone). */
export function formUrl(instanceUrl: string, ref: FormRef): string | null {
  let base: URL;
  try {
    base = new URL(instanceUrl);
  } catch {
    return null;
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') return null;
  const url = new URL(`/${encodeURIComponent(ref.entity)}.do`, base.origin);
  url.search = ref.query;
  return url.toString();
}

/**
 * The contact a call dialled from a CRM record is about: a record of the tenant's contact or
 * consumer table, sent to the server as the call's chosen contact so that its Case links to it.
 * Any other table (an account, a Case) names no person: null. The name is not known here.
 */
export function contactOfRecord(context: { table: string; sysId: string }, tables: CrmTables): Contact | null {
  const kind = context.table === tables.contact ? 'contact' : context.table === tables.consumer ? 'consumer' : null;
  return kind ? { kind, id: context.sysId, name: '', account: null } : null;
}
