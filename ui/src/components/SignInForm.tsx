import { useState } from 'preact/hooks';
import type { Messages } from '../i18n';

/** Sign-in (POST /api/v1/session). `tenant` prefills the contact center (the page's `?tenant=`). */
export function SignInForm(
  { m, error, busy, tenant: givenTenant = '', onSubmit }: {
    m: Messages;
    error: string | null;
    busy: boolean;
    tenant?: string;
    onSubmit: (tenant: string, user: string, password: string) => void;
  },
) {
  const [tenant, setTenant] = useState(givenTenant);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  return (
    <main class="app sign-in">
      <h1>{m.appTitle}</h1>
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
