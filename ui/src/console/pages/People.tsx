import { useState } from 'preact/hooks';
import type { Role } from '../../api';
import { createPrefillOf } from '../access';
import { consoleApi, type AccountView } from '../api';
import { Confirm } from '../Confirm';
import type { ConsoleMessages } from '../../i18n/messages';
import type { PageProps } from '../context';
import { messageOf, useLoad } from '../load';
import { Loading } from '../Loading';
import type { ConsoleTexts } from '../texts';

const roles: readonly Role[] = ['agent', 'supervisor', 'admin'];

/** Names the row's account in a button's accessible name ("Reset password (bob)"), unseen. */
function Who({ user }: { user: string }) {
  return <span class="visually-hidden"> ({user})</span>;
}

/** What waits for a confirmation. */
type Pending =
  | { kind: 'reset'; user: string }
  | { kind: 'disable'; user: string }
  | { kind: 'revoke'; user: string }
  | { kind: 'role'; user: string; role: Role };

/** A status line kept as words to say, not as a sentence: a language switch rewords it. */
type Worded = (c: ConsoleMessages) => string;
type Note = { kind: 'ok' | 'error'; text: Worded } | null;

function linkText(t: ConsoleTexts, a: AccountView): string {
  const { people } = t.c;
  const link = a.crm_link;
  if (!link) return people.noLink;
  switch (link.state) {
    case 'linked':
      return people.linked({ user: link.crm_user ?? '', since: t.dateTime(link.linked_at) });
    case 'relink_required':
      return people.relinkRequired({ user: link.crm_user ?? '', at: t.dateTime(link.refused_at) });
    case 'not_linked':
      return people.notLinked;
  }
}

/** The tenant's accounts: add one (its one-time password shown once), reset a password,
 *  disable or enable, change a role, revoke an agent's CRM link. */
export function People({ ctx, hash = '' }: PageProps) {
  const { t } = ctx;
  const { people, roles: roleNames } = t.c;
  const api = consoleApi(ctx.api);
  const { state, reload } = useLoad(() => api.accounts(), 'accounts');
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [secret, setSecret] = useState<{ user: string; password: string } | null>(null);
  // Numbers & queues links here with an agent who has no account yet: the form holds their name.
  const [user, setUser] = useState(() => createPrefillOf(hash));
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('agent');

  const run = (work: () => Promise<Worded>) => {
    setBusy(true);
    setNote(null);
    work().then(
      (text) => { setNote({ kind: 'ok', text }); setPending(null); setBusy(false); reload(); },
      (error: unknown) => { const message = messageOf(error); setNote({ kind: 'error', text: (c) => c.people.failed({ message }) }); setPending(null); setBusy(false); reload(); },
    );
  };

  const confirmPending = () => {
    if (!pending) return;
    const who = pending.user;
    switch (pending.kind) {
      case 'reset':
        run(async () => {
          const answer = await api.resetPassword(who);
          setSecret({ user: who, password: answer.one_time_password });
          return (c) => c.people.reset({ user: who });
        });
        break;
      case 'disable':
        run(async () => { await api.changeAccount(who, { disabled: true }); return (c) => c.people.disabledDone({ user: who }); });
        break;
      case 'revoke':
        run(async () => { await api.revokeLink(who); return (c) => c.people.revoked({ user: who }); });
        break;
      case 'role': {
        const to = pending.role;
        run(async () => { await api.changeAccount(who, { role: to }); return (c) => c.people.roleChanged({ user: who, role: c.roles[to] }); });
        break;
      }
    }
  };

  const question = (p: Pending): string => {
    switch (p.kind) {
      case 'reset': return people.confirmReset({ user: p.user });
      case 'disable': return people.confirmDisable({ user: p.user });
      case 'revoke': return people.confirmRevoke({ user: p.user });
      case 'role': return people.confirmRole({ user: p.user, role: roleNames[p.role] });
    }
  };

  return (
    <>
      {secret && (
        <section class="card secret" aria-labelledby="one-time-title">
          <h2 id="one-time-title">{people.oneTimeTitle({ user: secret.user })}</h2>
          <p><code class="password" data-testid="one-time-password">{secret.password}</code></p>
          <p class="meta">{people.oneTimeNote}</p>
          <button type="button" class="primary" onClick={() => { setSecret(null); }}>{people.oneTimeDone}</button>
        </section>
      )}
      <p role="status" class={note?.kind === 'ok' ? 'banner info' : 'visually-hidden'}>{note?.kind === 'ok' ? note.text(t.c) : ''}</p>
      {note?.kind === 'error' && <p role="alert" class="banner warn">{note.text(t.c)}</p>}

      <section class="card" aria-labelledby="create-title">
        <h2 id="create-title">{people.createHeading}</h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const wanted = user.trim();
            run(async () => {
              const answer = await api.createAccount({ user: wanted, role, ...(displayName.trim() ? { display_name: displayName.trim() } : {}) });
              setSecret({ user: answer.account.user, password: answer.one_time_password });
              setUser('');
              setDisplayName('');
              return (c) => c.people.created({ user: answer.account.user });
            });
          }}
        >
          <label class="field">
            <span>{people.userLabel}</span>
            <input type="text" required autoComplete="off" spellcheck={false} aria-describedby="user-hint" value={user} onInput={(e) => { setUser(e.currentTarget.value); }} />
          </label>
          <label class="field">
            <span>{people.displayNameLabel}</span>
            <input type="text" autoComplete="off" value={displayName} onInput={(e) => { setDisplayName(e.currentTarget.value); }} />
          </label>
          <label class="field">
            <span>{people.roleLabel}</span>
            <select value={role} onChange={(e) => { setRole(e.currentTarget.value as Role); }}>
              {roles.map((r) => <option key={r} value={r}>{roleNames[r]}</option>)}
            </select>
          </label>
          <button type="submit" class="primary" disabled={busy}>{people.create}</button>
        </form>
        <p id="user-hint" class="meta">{people.userHint}</p>
      </section>

      {pending && <Confirm t={t} question={question(pending)} busy={busy} onConfirm={confirmPending} onCancel={() => { setPending(null); }} />}

      <section aria-labelledby="accounts-title">
        <div class="section-head">
          <h2 id="accounts-title">{people.listHeading}</h2>
          <button type="button" onClick={reload}>{t.c.refresh}</button>
        </div>
        <Loading t={t} state={state} reload={reload}>
          {(data) => (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{people.columns.user}</th>
                    <th scope="col">{people.columns.role}</th>
                    <th scope="col">{people.columns.status}</th>
                    {data.crm_links && <th scope="col">{people.columns.crmLink}</th>}
                    <th scope="col">{people.columns.actions}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.accounts.map((a) => {
                    const self = a.user === ctx.session.user;
                    return (
                      <tr key={a.user} data-user={a.user} class={a.disabled ? 'muted-row' : undefined}>
                        <th scope="row">
                          <span class="strong">{a.display_name}</span>
                          <span class="meta block">{a.user} {self && t.c.you}</span>
                        </th>
                        <td>
                          <select
                            aria-label={people.roleOf({ user: a.user })}
                            value={a.role}
                            disabled={self || busy}
                            onChange={(e) => {
                              const to = e.currentTarget.value as Role;
                              e.currentTarget.value = a.role;
                              if (to !== a.role) setPending({ kind: 'role', user: a.user, role: to });
                            }}
                          >
                            {roles.map((r) => <option key={r} value={r}>{roleNames[r]}</option>)}
                          </select>
                        </td>
                        <td><span class={a.disabled ? 'badge' : 'badge ok'}>{a.disabled ? people.disabled : people.active}</span></td>
                        {data.crm_links && <td class="wrap">{linkText(t, a)}</td>}
                        <td>
                          <div class="row-actions">
                            <button type="button" disabled={busy} onClick={() => { setPending({ kind: 'reset', user: a.user }); }}>{people.resetPassword}<Who user={a.user} /></button>
                            {a.disabled
                              ? <button type="button" disabled={busy} onClick={() => { run(async () => { await api.changeAccount(a.user, { disabled: false }); return (c) => c.people.enabledDone({ user: a.user }); }); }}>{people.enable}<Who user={a.user} /></button>
                              : <button type="button" disabled={busy || self} onClick={() => { setPending({ kind: 'disable', user: a.user }); }}>{people.disable}<Who user={a.user} /></button>}
                            {a.crm_link && a.crm_link.state !== 'not_linked' && (
                              <button type="button" disabled={busy} onClick={() => { setPending({ kind: 'revoke', user: a.user }); }}>{people.revoke}<Who user={a.user} /></button>
                            )}
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </Loading>
      </section>
    </>
  );
}
