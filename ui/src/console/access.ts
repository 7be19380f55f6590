// Who may enter the console and which pages each role sees, as pure functions of the session's
// role and the page list (`pages.ts`). The server checks every API route again: this only decides
// what to show.
import type { Role } from '../api';

/** The roles the console is for. */
export type StaffRole = 'supervisor' | 'admin';

/** What a page needs to know about itself to be routed. */
export interface Routable {
  id: string;
  needs: StaffRole;
}

export function isStaff(role: Role): role is StaffRole {
  return role === 'supervisor' || role === 'admin';
}

/** An admin opens every page; a supervisor the supervisor pages. */
export function mayOpen(role: StaffRole, needs: StaffRole): boolean {
  return needs === 'supervisor' || role === 'admin';
}

export function visiblePages<P extends Routable>(role: StaffRole, pages: readonly P[]): P[] {
  return pages.filter((p) => mayOpen(role, p.needs));
}

export type Route<P> =
  | { kind: 'page'; page: P }
  | { kind: 'not_found'; id: string }
  | { kind: 'forbidden'; page: P };

/** `#/<id>` (anything after a further `/` or `?` is the page's own); empty: the first page the
 *  role may open. */
export function pageIdOf(hash: string): string {
  const path = hash.replace(/^#\/?/, '');
  return decodeURIComponent(path.split(/[/?]/)[0] ?? '');
}

export function route<P extends Routable>(hash: string, role: StaffRole, pages: readonly P[]): Route<P> {
  const id = pageIdOf(hash);
  const first = visiblePages(role, pages)[0];
  if (id === '' && first) return { kind: 'page', page: first };
  const page = pages.find((p) => p.id === id);
  if (!page) return { kind: 'not_found', id };
  return mayOpen(role, page.needs) ? { kind: 'page', page } : { kind: 'forbidden', page };
}

export function hrefOf(page: Routable): string {
  return `#/${encodeURIComponent(page.id)}`;
}

/** The People page's create form filled in for `user` (an agent Numbers & queues lists who has
 *  no account yet). */
export function createAccountHref(user: string): string {
  return `#/people?create=${encodeURIComponent(user)}`;
}

/** The user name a `#/people?create=<user>` address asks the create form to hold; '' when none. */
export function createPrefillOf(hash: string): string {
  const at = hash.indexOf('?');
  if (at < 0) return '';
  return new URLSearchParams(hash.slice(at + 1)).get('create')?.trim() ?? '';
}
