// The console's pure parts (who sees which page, where an address leads, the audit's query)
// and its shell rendered to HTML in both languages.
import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { createApi, type Session } from '../src/api';
import { enConsole } from '../src/i18n/en';
import { jaConsole } from '../src/i18n/ja';
import { createAccountHref, createPrefillOf, isStaff, pageIdOf, route, visiblePages } from '../src/console/access';
import { auditPath, auditQuery } from '../src/console/api';
import { NotForAgents } from '../src/console/NotForStaff';
import { pages } from '../src/console/pages';
import { localToIso } from '../src/console/pages/Audit';
import { Shell } from '../src/console/Shell';
import { consoleTexts } from '../src/console/texts';

const fakeApi = createApi(() => Promise.reject(new Error('no network in this test')));

function shell(role: 'admin' | 'supervisor', hash: string, lang: 'en' | 'ja' = 'en'): string {
  const session: Session = { tenant: 'acme', user: 'ada', role, expires_at: '2026-12-07T05:00:00Z' };
  const ctx = { t: consoleTexts(lang), api: fakeApi, session, pages: visiblePages(role, pages) };
  return renderToString(<Shell ctx={ctx} role={role} hash={hash} setLang={() => {}} onSignOut={() => {}} />);
}

describe('who sees what', () => {
  it('lets supervisors and admins in, not agents', () => {
    expect(isStaff('admin')).toBe(true);
    expect(isStaff('supervisor')).toBe(true);
    expect(isStaff('agent')).toBe(false);
  });

  it('shows admins every page and supervisors only the supervisor pages', () => {
    expect(visiblePages('admin', pages).map((p) => p.id)).toEqual(pages.map((p) => p.id));
    const supervisor = visiblePages('supervisor', pages);
    expect(supervisor.every((p) => p.needs === 'supervisor')).toBe(true);
    expect(supervisor.map((p) => p.id)).not.toContain('people');
  });

  it('has page ids that are unique and usable as addresses', () => {
    const ids = pages.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it('routes an address to its page, the first page, no page, or a page not for the role', () => {
    expect(pageIdOf('#/people')).toBe('people');
    expect(pageIdOf('#/people/ada?x=1')).toBe('people');
    // Numbers & queues sends an agent without an account to People's create form, filled in.
    const href = createAccountHref('gina.o&x=1');
    expect(pageIdOf(href)).toBe('people');
    expect(createPrefillOf(href)).toBe('gina.o&x=1');
    expect(createPrefillOf('#/people')).toBe('');
    expect(createPrefillOf('#/people?other=1')).toBe('');
    expect(pageIdOf('')).toBe('');
    const first = route('', 'supervisor', pages);
    expect(first.kind === 'page' && first.page.id).toBe('overview');
    const people = route('#/people', 'admin', pages);
    expect(people.kind === 'page' && people.page.id).toBe('people');
    expect(route('#/people', 'supervisor', pages).kind).toBe('forbidden');
    expect(route('#/nowhere', 'admin', pages)).toEqual({ kind: 'not_found', id: 'nowhere' });
  });
});

describe('the audit query', () => {
  it('leaves out empty fields and asks for CSV by format', () => {
    const filter = { from: '2026-12-01T00:00:00.000Z', to: '', user: ' bob ', call: '', outcome: 'refused' as const };
    expect(auditQuery(filter, 'json')).toBe('?from=2026-12-01T00%3A00%3A00.000Z&user=bob&outcome=refused');
    expect(auditPath('admin', { from: '', to: '', user: '', call: '', outcome: '' }, 'csv')).toBe('/api/v1/console/audit/admin?format=csv');
    expect(auditPath('listen', { from: '', to: '', user: '', call: '', outcome: '' }, 'json')).toBe('/api/v1/console/audit/listen');
  });

  it('reads the local time inputs as UTC instants', () => {
    expect(localToIso('')).toBe('');
    expect(localToIso('2026-12-01T09:00')).toBe(new Date('2026-12-01T09:00').toISOString());
  });
});

describe('the shell', () => {
  it('names the signed-in account, lists the pages and marks the current one', () => {
    const html = shell('admin', '#/people');
    expect(html).toContain('ada · admin · acme');
    expect(html).toContain('aria-label="Console pages"');
    expect(html).toMatch(/<a href="#\/people" aria-current="page">People<\/a>/);
    expect(html).toContain('<h1 tabindex="-1">People</h1>');
    expect(html).toContain('Skip to the page');
  });

  it('says when a page is not for the role or does not exist, in Japanese too', () => {
    expect(shell('supervisor', '#/people')).toContain('This page is for admins; your account is a supervisor account.');
    expect(shell('supervisor', '#/people')).not.toContain('href="#/people"');
    expect(shell('admin', '#/nowhere', 'ja')).toContain('コンソールに「nowhere」というページはありません。');
    expect(shell('admin', '', 'ja')).toContain('<h1 tabindex="-1">概要</h1>');
  });

  it('tells an agent the console is not for them, as text', () => {
    const html = renderToString(<NotForAgents t={consoleTexts('en')} user="<b>alice</b>" setLang={() => {}} onSignOut={() => {}} />);
    expect(html).toContain('The console is for supervisors and admins');
    expect(html).toContain('&lt;b>alice&lt;/b>');
    expect(html).toContain('href="/"');
  });

  it('has every console string in both languages', () => {
    const keys = (o: object): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keys(v as object).map((s) => `${k}.${s}`) : [k]));
    expect(keys(jaConsole).sort()).toEqual(keys(enConsole).sort());
  });
});
