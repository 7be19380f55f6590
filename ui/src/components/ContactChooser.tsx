import type { Contact } from '../protocol';
import type { Ui } from './context';

/** Several records hold the caller's number: the agent says who is calling. */
export function ContactChooser({ ui, candidates }: { ui: Ui; candidates: Contact[] }) {
  const { m } = ui.t;
  return (
    <section class="card chooser" aria-labelledby="chooser-title">
      <h2 id="chooser-title" class="card-title">{m.chooserTitle({ count: ui.t.number(candidates.length) })}</h2>
      <ul>
        {candidates.map((contact) => (
          <li key={`${contact.kind}:${contact.id}`}>
            <button type="button" class="choice" onClick={() => { ui.act({ kind: 'choose_contact', contact }); }}>
              <span class="choice-name">{contact.name}</span>
              <span class="meta">
                {contact.account
                  ? m.kindAndAccount({ kind: m.contactKind[contact.kind], account: contact.account.name })
                  : m.contactKind[contact.kind]}
              </span>
              <span class="visually-hidden">{m.chooseThis({ name: contact.name })}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
