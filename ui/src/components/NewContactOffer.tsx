import type { Ui } from './context';

/** Nobody in the CRM holds the number: offer the CRM's new-contact form with it filled in. */
export function NewContactOffer({ ui, number }: { ui: Ui; number: string }) {
  const { m } = ui.t;
  return (
    <section class="card new-contact" aria-labelledby="new-contact-title">
      <h2 id="new-contact-title" class="card-title">{m.newContactTitle}</h2>
      <p>{m.newContactBody({ number })}</p>
      <button type="button" onClick={() => { ui.act({ kind: 'new_contact' }); }}>
        {m.createContact}
      </button>
    </section>
  );
}
