import { useEffect, useRef } from 'preact/hooks';
import { languageNames, languages, type Lang } from '../i18n';
import { hrefOf, route, type StaffRole } from './access';
import type { ConsoleContext } from './context';
import { pages } from './pages';

export interface ShellProps {
  ctx: ConsoleContext;
  role: StaffRole;
  hash: string;
  setLang: (lang: Lang) => void;
  onSignOut: () => void;
}

/** The frame around every page: who is signed in, language, sign-out, the page list, and the
 *  page the address names (or why it cannot be shown). */
export function Shell({ ctx, role, hash, setLang, onSignOut }: ShellProps) {
  const { c, m } = ctx.t;
  const shown = route(hash, role, pages);
  const heading = useRef<HTMLHeadingElement>(null);
  const current = shown.kind === 'not_found' ? `missing:${shown.id}` : shown.page.id;
  // A new page takes the focus to its heading, so keyboard and screen-reader users land on it.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [current]);
  let title: string;
  let body;
  switch (shown.kind) {
    case 'page': {
      const Page = shown.page.component;
      title = shown.page.title(c);
      body = <Page ctx={ctx} hash={hash} />;
      break;
    }
    case 'not_found':
      title = c.notFoundTitle;
      body = <p class="banner warn">{c.notFound({ page: shown.id })}</p>;
      break;
    case 'forbidden':
      title = c.forbiddenTitle;
      body = <p class="banner warn">{c.forbidden({ role: c.roles[role] })}</p>;
      break;
  }
  return (
    <div class="console">
      <a class="skip-link" href="#console-main">{c.skipToContent}</a>
      <header class="console-top">
        <p class="brand">{c.title}</p>
        <p class="meta who">{c.signedInAs({ name: ctx.session.user, role: c.roles[role], tenant: ctx.session.tenant })}</p>
        <label class="lang">
          <span class="visually-hidden">{m.language}</span>
          <select value={ctx.t.lang} onChange={(e) => { setLang(e.currentTarget.value as Lang); }}>
            {languages.map((l) => <option key={l} value={l} lang={l}>{languageNames[l]}</option>)}
          </select>
        </label>
        <button type="button" onClick={onSignOut}>{m.signOut}</button>
      </header>
      <nav class="console-nav" aria-label={c.navLabel}>
        <ul>
          {ctx.pages.map((p) => (
            <li key={p.id}>
              <a href={hrefOf(p)} aria-current={shown.kind === 'page' && shown.page.id === p.id ? 'page' : undefined}>{p.title(c)}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="console-main" class="console-main" tabIndex={-1}>
        <h1 ref={heading} tabIndex={-1}>{title}</h1>
        {body}
      </main>
    </div>
  );
}
