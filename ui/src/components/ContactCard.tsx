import type { Contact } from '../protocol';
import type { Ui } from './context';

/** The CRM record this call is about. */
export function ContactCard({ ui, contact }: { ui: Ui; contact: Contact }) {
  const { m } = ui.t;
  return (
    <section class="card contact" aria-label={m.contactKind[contact.kind]}>
      <p class="eyebrow">{m.contactKind[contact.kind]}</p>
      <h2 class="card-title">{contact.name}</h2>
      <p class="meta">
        {contact.account ? m.accountOf({ name: contact.account.name }) : m.noAccount}
      </p>
      <button type="button" class="link" onClick={() => { ui.act({ kind: 'open_contact', contact }); }}>
        {m.openRecord}
      </button>
    </section>
  );
}
