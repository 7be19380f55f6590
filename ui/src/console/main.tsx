// The console's wiring: the session decides what shows (sign-in, "not for agents", the shell),
// the address's `#/<page>` which page; language from the browser, switchable and remembered.
import { render } from 'preact';
import { ApiError, createApi, type Session } from '../api';
import { SignInForm, signInProblem } from '../components/SignInForm';
import { pickLanguage, type Lang } from '../i18n';
import { isStaff, visiblePages } from './access';
import { NotForAgents } from './NotForStaff';
import { pages } from './pages';
import { Shell } from './Shell';
import { consoleTexts, type ConsoleTexts } from './texts';
import '../styles.css';
import './console.css';

const langKey = 'callbridge.lang';
const root = document.getElementById('app');
const api = createApi((input, init) => fetch(input, init));
const urlLang = new URLSearchParams(location.search).get('lang');
let t: ConsoleTexts = consoleTexts(pickLanguage(navigator.languages, urlLang ?? remembered()));
let session: Session | null = null;
let view: { kind: 'sign_in'; error: string | null; busy: boolean } | { kind: 'signed_in' } = { kind: 'sign_in', error: null, busy: false };

function remembered(): string | null {
  try {
    return localStorage.getItem(langKey);
  } catch {
    return null;
  }
}

function setLang(lang: Lang): void {
  t = consoleTexts(lang);
  try {
    localStorage.setItem(langKey, lang);
  } catch {
    // Not remembered; the choice holds for this page.
  }
  paint();
}

function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

async function boot(): Promise<void> {
  try {
    const answer = await api.session();
    session = answer?.session ?? null;
    view = session ? { kind: 'signed_in' } : { kind: 'sign_in', error: null, busy: false };
  } catch (error) {
    view = { kind: 'sign_in', error: messageOf(error), busy: false };
  }
  paint();
}

function signOut(): void {
  api.signOut(false).then(
    () => { session = null; view = { kind: 'sign_in', error: null, busy: false }; paint(); },
    () => { location.reload(); },
  );
}

function paint(): void {
  if (!root) return;
  document.documentElement.lang = t.lang;
  document.title = t.c.title;
  if (view.kind === 'sign_in' || !session) {
    const error = view.kind === 'sign_in' ? view.error : null;
    const busy = view.kind === 'sign_in' && view.busy;
    render(
      <SignInForm
        m={t.m}
        title={t.c.title}
        error={error}
        busy={busy}
        tenant={new URLSearchParams(location.search).get('tenant') ?? ''}
        onSubmit={(tenant, user, password) => {
          view = { kind: 'sign_in', error: null, busy: true };
          paint();
          api.signIn(tenant, user, password).then(
            (answer) => { session = answer.session; view = { kind: 'signed_in' }; paint(); },
            (e: unknown) => { view = { kind: 'sign_in', error: signInProblem(t.m, e), busy: false }; paint(); },
          );
        }}
        langs={{ current: t.lang, label: t.m.language, set: setLang }}
      />,
      root,
    );
    return;
  }
  const role = session.role;
  if (!isStaff(role)) {
    render(<NotForAgents t={t} user={session.user} setLang={setLang} onSignOut={signOut} />, root);
    return;
  }
  const ctx = { t, api, session, pages: visiblePages(role, pages) };
  render(<Shell ctx={ctx} role={role} hash={location.hash} setLang={setLang} onSignOut={signOut} />, root);
}

window.addEventListener('hashchange', paint);
void boot();
