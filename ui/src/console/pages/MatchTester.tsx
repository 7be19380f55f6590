import { useState } from 'preact/hooks';
import { consoleApi, type MatchRecordView, type MatchRuleView, type MatchView } from '../api';
import type { PageProps } from '../context';
import { messageOf } from '../load';
import type { ConsoleTexts } from '../texts';

/** Where a test stands. Kept as data, not sentences, so a language switch rewords it. */
type Test =
  | { kind: 'idle' }
  | { kind: 'testing' }
  | { kind: 'failed'; message: string }
  | { kind: 'done'; view: MatchView };

function ruleText(t: ConsoleTexts, rule: MatchRuleView): string {
  const { rules } = t.c.match;
  return rule.rule === 'suffix' ? rules.suffix({ digits: t.number(rule.suffix_digits ?? 0) }) : rules[rule.rule];
}

/** The pop an agent would get, in the page's language. */
function verdictText(t: ConsoleTexts, view: MatchView): string {
  const { verdict } = t.c.match;
  const matched = view.records.filter((r) => r.matched);
  switch (view.pop.outcome) {
    case 'new_contact':
      return view.pop.returned_unmatched > 0 ? verdict.new_contact_unmatched({ count: t.number(view.pop.returned_unmatched) }) : verdict.new_contact;
    case 'contact':
      return verdict.contact({ name: matched[0]?.name ?? '' });
    case 'chooser':
      return verdict.chooser({ count: t.number(view.pop.records), names: matched.map((r) => r.name).join(', ') });
  }
}

/** One row per stored phone value of a record: the record's cells span its values. */
function RecordRows({ t, record }: { t: ConsoleTexts; record: MatchRecordView }) {
  const { match } = t.c;
  const phones = record.phones.length > 0 ? record.phones : [null];
  const span = phones.length;
  return (
    <>
      {phones.map((phone, i) => (
        <tr key={`${record.id}-${String(i)}`} class={record.matched ? undefined : 'muted-row'} data-record={record.id}>
          {i === 0 && (
            <>
              <th scope="row" rowSpan={span} class="record-name">{record.name}</th>
              <td rowSpan={span} class="mono">{record.table}</td>
              <td rowSpan={span}>{record.account?.name ?? '—'}</td>
            </>
          )}
          <td class="mono">{phone?.column ?? '—'}</td>
          <td class="mono">{phone?.stored ?? '—'}</td>
          <td class="wrap">
            {phone?.match
              ? (
                <>
                  <span class="badge ok">{ruleText(t, phone.match)}</span>
                  <span class="meta block" lang="en">{phone.match.explanation}</span>
                </>
              )
              : <span class="meta">{match.notThisNumber}</span>}
          </td>
        </tr>
      ))}
    </>
  );
}

function Result({ t, view }: { t: ConsoleTexts; view: MatchView }) {
  const { match } = t.c;
  const tables = view.tables.map((table) => `${table.table} (${table.phone_columns.join(', ')})`).join('; ');
  return (
    <>
      <p class={view.pop.outcome === 'chooser' ? 'banner warn verdict' : 'banner info verdict'} data-outcome={view.pop.outcome}>{verdictText(t, view)}</p>
      <section class="card" aria-labelledby="match-parsed">
        <h2 id="match-parsed">{match.parsedHeading}</h2>
        <dl class="facts">
          <dt>{match.e164}</dt><dd class="mono" data-testid="e164">{view.number.e164}</dd>
          <dt>{match.region}</dt><dd>{view.number.region}</dd>
          <dt>{match.numberRegion}</dt><dd>{view.number.number_region ?? '—'}</dd>
        </dl>
        <h3>{match.formatsHeading}</h3>
        <ul class="formats">
          {view.formats.map((f) => <li key={f} class="mono">{f}</li>)}
          {view.suffix !== null && <li>{match.suffix({ digits: view.suffix })}</li>}
        </ul>
        <p class="meta">{match.tablesHeading({ tables })}</p>
      </section>
      <section aria-labelledby="match-records">
        <h2 id="match-records">{match.recordsHeading}</h2>
        {view.records.length === 0 ? <p class="card">{match.noneReturned}</p> : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{match.columns.record}</th>
                  <th scope="col">{match.columns.table}</th>
                  <th scope="col">{match.columns.account}</th>
                  <th scope="col">{match.columns.column}</th>
                  <th scope="col">{match.columns.stored}</th>
                  <th scope="col">{match.columns.rule}</th>
                </tr>
              </thead>
              <tbody>
                {view.records.map((record) => <RecordRows key={record.id} t={t} record={record} />)}
              </tbody>
            </table>
          </div>
        )}
        <p class="meta">{match.rightsNote}</p>
      </section>
    </>
  );
}

/** Type a number; see which records of the tenant's CRM hold it, by which stored value and rule,
 *  and the screen pop an agent would get (one record, a chooser, or a new contact). */
export function MatchTester({ ctx }: PageProps) {
  const { t } = ctx;
  const { match } = t.c;
  const api = consoleApi(ctx.api);
  const [number, setNumber] = useState('');
  const [test, setTest] = useState<Test>({ kind: 'idle' });

  const submit = (e: Event) => {
    e.preventDefault();
    setTest({ kind: 'testing' });
    api.testNumber(number).then(
      (view) => { setTest({ kind: 'done', view }); },
      (error: unknown) => { setTest({ kind: 'failed', message: messageOf(error) }); },
    );
  };

  return (
    <>
      <p>{match.intro}</p>
      <form class="card inline-form" onSubmit={submit}>
        <label class="field">
          <span>{match.number}</span>
          <input
            type="tel"
            inputMode="tel"
            autoComplete="off"
            required
            maxLength={64}
            aria-describedby="match-number-hint"
            value={number}
            onInput={(e) => { setNumber(e.currentTarget.value); }}
          />
          <span id="match-number-hint" class="meta">{match.numberHint}</span>
        </label>
        <button type="submit" class="primary" disabled={test.kind === 'testing'}>{match.test}</button>
      </form>
      <p role="status" data-testid="match-status" class={test.kind === 'testing' ? 'meta' : 'visually-hidden'}>
        {test.kind === 'testing' ? match.testing : test.kind === 'done' ? verdictText(t, test.view) : ''}
      </p>
      {test.kind === 'failed' && <p role="alert" class="banner warn">{match.failed({ message: test.message })}</p>}
      {test.kind === 'done' && <Result t={t} view={test.view} />}
    </>
  );
}
