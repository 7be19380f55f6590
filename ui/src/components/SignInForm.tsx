import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { languageNames, languages, type Lang, type Messages } from '../i18n';

/** Why a sign-in failed, in the page's language where the server's code is known (a tenant not
 *  set up yet), else in the server's words. */
export function signInProblem(m: Messages, error: unknown): string {
  if (error instanceof ApiError && error.code === 'tenant_not_ready') return m.tenantNotReady;
  return error instanceof Error ? error.message : String(error);
}

/** Sign-in (POST /api/v1/session). `tenant` prefills the contact center (the page's `?tenant=`).
 *  The console passes its own `title` and a language choice (`langs`). */
export function SignInForm(
  { m, error, busy, tenant: givenTenant = '', title, langs, onSubmit }: {
    m: Messages;
    error: string | null;
    busy: boolean;
    tenant?: string;
    title?: string;
    langs?: { current: Lang; label: string; set: (lang: Lang) => void };
    onSubmit: (tenant: string, user: string, password: string) => void;
  },
) {
  const [tenant, setTenant] = useState(givenTenant);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  return (
    <main class="app sign-in">
      <div class="topbar">
        <h1>{title ?? m.appTitle}</h1>
        {langs && (
          <label class="lang">
            <span class="visually-hidden">{langs.label}</span>
            <select value={langs.current} onChange={(e) => { langs.set(e.currentTarget.value as Lang); }}>
              {languages.map((l) => <option key={l} value={l} lang={l}>{languageNames[l]}</option>)}
            </select>
          </label>
        )}
      </div>
      <form
        class="card"
        aria-labelledby="sign-in-title"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(tenant.trim(), user.trim(), password);
        }}
      >
        <h2 id="sign-in-title">{m.signInTitle}</h2>
        <label class="field">
          <span>{m.tenantLabel}</span>
          <input type="text" required autoComplete="organization" value={tenant} onInput={(e) => { setTenant(e.currentTarget.value); }} />
        </label>
        <label class="field">
          <span>{m.userLabel}</span>
          <input type="text" required autoComplete="username" value={user} onInput={(e) => { setUser(e.currentTarget.value); }} />
        </label>
        <label class="field">
          <span>{m.passwordLabel}</span>
          <input type="password" required autoComplete="current-password" value={password} onInput={(e) => { setPassword(e.currentTarget.value); }} />
        </label>
        {error && <p class="banner warn" role="alert">{m.signInFailed({ message: error })}</p>}
        <button type="submit" class="primary wide" disabled={busy}>{m.signIn}</button>
      </form>
    </main>
  );
}
