import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../../context';
import { messageOf, useLoad } from '../../load';
import { Loading } from '../../Loading';
import type { ConsoleTexts } from '../../texts';
import { ApiError } from '../../../api';
import { fieldErrorsOf, type FieldError } from '../telephony/api';
import { fieldOf, lookupPlaceOf, lookupRowsOf, lookupTablesBody, phoneColumnsOf, setupApi, togglePhoneColumn, type LookupRow, type RecordingStoreView, type SchemaTable, type SchemaView, type SetupOverview, type SetupValue, type TableChoices } from './api';
import type { SetupStepId } from './messages';

type SetupCalls = ReturnType<typeof setupApi>;

function valueText(t: ConsoleTexts, v: SetupValue): string {
  const s = t.c.setup;
  if (v.secret) return v.set ? s.secretSet : s.secretNotSet;
  return v.value === null || v.value === '' ? s.notSet : v.value;
}

/** The CRM section's values of a step, read-only. */
function Values({ t, values, id }: { t: ConsoleTexts; values: SetupValue[]; id: string }) {
  const s = t.c.setup;
  return (
    <section aria-labelledby={id}>
      <h3 id={id}>{s.valuesHeading}</h3>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{s.keyColumn}</th>
              <th scope="col">{s.valueColumn}</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v) => (
              <tr key={v.key} data-key={v.key}>
                <th scope="row" class="mono">{v.key}</th>
                <td class={v.secret || v.value === null ? 'wrap' : 'wrap mono'}>{valueText(t, v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The step's doctor checks, run when the step opens and on request. */
function Checks({ t, calls, step }: { t: ConsoleTexts; calls: SetupCalls; step: SetupStepId }) {
  const s = t.c.setup;
  // The checks come in the page's language (a language switch asks again); a part the server
  // has no Japanese for stays English, and each part is marked with its own language.
  const lang = t.lang;
  const { state, reload } = useLoad(() => calls.checks(step, lang), `checks-${step}-${lang}`);
  return (
    <section aria-labelledby="checks-title" data-testid="checks">
      <div class="section-head">
        <h3 id="checks-title">{s.checksHeading}</h3>
        <button type="button" onClick={reload} disabled={state.kind === 'loading'}>{s.runChecks}</button>
      </div>
      {state.kind === 'loading' ? <p class="meta" role="status">{s.running}</p> : (
        <Loading t={t} state={state} reload={reload}>
          {(data) => (
            <>
              <p role="status" data-testid="checks-summary">
                {s.checksSummary({
                  pass: t.number(data.summary.pass),
                  warn: t.number(data.summary.warn),
                  fail: t.number(data.summary.fail),
                  skipped: t.number(data.summary.skipped),
                })}
              </p>
              {data.checks.length === 0 ? <p class="card">{s.noChecks}</p> : (
                <ul class="checks">
                  {data.checks.map((c) => (
                    <li key={c.id} data-check={c.id} data-status={c.status} class="card">
                      <span class={c.status === 'fail' ? 'badge danger' : c.status === 'pass' ? 'badge ok' : 'badge'}>{s.statuses[c.status]}</span>{' '}
                      <span class="strong" lang={c.title_lang}>{c.title}</span>
                      <span class="block wrap" lang={c.detail_lang}>{c.detail}</span>
                      {c.fix !== null && (c.status === 'fail' || c.status === 'warn') && (
                        <span class="block wrap fix" data-testid="check-fix"><span class="strong">{s.fix}: </span><span lang={c.fix_lang ?? 'en'}>{c.fix}</span></span>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </Loading>
      )}
    </section>
  );
}

function Connection({ t, data }: { t: ConsoleTexts; data: SetupOverview }) {
  const s = t.c.setup;
  if (!data.connection) return <p class="card">{s.noCrm}</p>;
  const registration = data.connection.registration;
  return (
    <>
      <Values t={t} values={data.connection.values} id="connection-values" />
      {registration && (
        <section aria-labelledby="registration-title" class="card">
          <h3 id="registration-title">{s.registrationHeading}</h3>
          <p>{s.registration({ menu: registration.menu })}</p>
          <p>
            <span class="strong">{s.redirectUrl}: </span>
            <code class="mono" data-testid="redirect-url">{registration.redirect_url}</code>
          </p>
        </section>
      )}
    </>
  );
}

/** A status line already written (saved, created, or why not), kept as which message and its
 *  values so that a language switch writes it again in the new language. The server's own
 *  words (a reason, an error's message) stay as the server wrote them. */
type Note =
  | { kind: 'ok'; id: 'saved'; version: number }
  | { kind: 'ok'; id: 'savedNotApplied'; version: number; reason: string }
  | { kind: 'ok'; id: 'created'; column: string }
  | { kind: 'error'; id: 'saveFailed' | 'createFailed'; message: string }
  | null;

/** A note's words in the page's language now. */
function noteText(t: ConsoleTexts, note: NonNullable<Note>): string {
  const s = t.c.setup;
  switch (note.id) {
    case 'saved':
      return s.saved({ version: t.number(note.version) });
    case 'savedNotApplied':
      return s.savedNotApplied({ version: t.number(note.version), reason: note.reason });
    case 'created':
      return s.created({ column: note.column });
    case 'saveFailed':
      return s.saveFailed({ message: note.message });
    case 'createFailed':
      return s.createFailed({ message: note.message });
  }
}

/** Creates the recording-link column with an instance admin's sign-in (kept nowhere). */
function CreateColumn({ t, calls, schema, onCreated }: { t: ConsoleTexts; calls: SetupCalls; schema: SchemaView; onCreated: () => void }) {
  const s = t.c.setup;
  const [name, setName] = useState(schema.recording_column);
  const [label, setLabel] = useState('Call recording');
  const [type, setType] = useState<'url' | 'string_full_utf8'>('url');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  return (
    <section aria-labelledby="create-column-title" class="card">
      <h4 id="create-column-title">{s.createHeading}</h4>
      <p>{s.createIntro}</p>
      <p role="status" class={note?.kind === 'ok' ? 'banner info' : 'visually-hidden'}>{note?.kind === 'ok' ? noteText(t, note) : ''}</p>
      {note?.kind === 'error' && <p role="alert" class="banner warn">{noteText(t, note)}</p>}
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setNote(null);
          calls.createRecordingColumn({ name: name.trim(), label: label.trim(), type, admin_user: user.trim(), admin_password: password }).then(
            (answer) => { setPassword(''); setBusy(false); setNote({ kind: 'ok', id: 'created', column: answer.column.name }); onCreated(); },
            (error: unknown) => { setPassword(''); setBusy(false); setNote({ kind: 'error', id: 'createFailed', message: messageOf(error) }); },
          );
        }}
      >
        <label class="field">
          <span>{s.newName}</span>
          <input type="text" name="column-name" required spellcheck={false} autoComplete="off" aria-describedby="column-name-hint" value={name} onInput={(e) => { setName(e.currentTarget.value); }} />
        </label>
        <label class="field">
          <span>{s.newLabel}</span>
          <input type="text" name="column-label" required autoComplete="off" value={label} onInput={(e) => { setLabel(e.currentTarget.value); }} />
        </label>
        <label class="field">
          <span>{s.newType}</span>
          <select name="column-type" value={type} onChange={(e) => { setType(e.currentTarget.value === 'string_full_utf8' ? 'string_full_utf8' : 'url'); }}>
            <option value="url">{s.typeUrl}</option>
            <option value="string_full_utf8">{s.typeText}</option>
          </select>
        </label>
        <label class="field">
          <span>{s.adminUser}</span>
          <input type="text" name="admin-user" required autoComplete="off" spellcheck={false} aria-describedby="admin-hint" value={user} onInput={(e) => { setUser(e.currentTarget.value); }} />
        </label>
        <label class="field">
          <span>{s.adminPassword}</span>
          <input type="password" name="admin-password" required autoComplete="off" value={password} onInput={(e) => { setPassword(e.currentTarget.value); }} />
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>{s.create}</button>
        </div>
      </form>
      <p id="column-name-hint" class="meta">{s.newNameHint}</p>
      <p id="admin-hint" class="meta">{s.adminHint}</p>
    </section>
  );
}

/** What the instance's dictionary holds for the configured tables. */
function Schema({ t, calls, onChanged }: { t: ConsoleTexts; calls: SetupCalls; onChanged: () => void }) {
  const s = t.c.setup;
  const [round, setRound] = useState(0);
  const { state, reload } = useLoad(() => calls.schema(), `schema-${String(round)}`);
  return (
    <section aria-labelledby="schema-title" data-testid="schema">
      <div class="section-head">
        <h3 id="schema-title">{s.schemaHeading}</h3>
        <button type="button" onClick={reload}>{s.readSchema}</button>
      </div>
      <Loading t={t} state={state} reload={reload}>
        {(schema) => (
          <>
            <p data-testid="recording-column-state" class={schema.recording_column_exists ? 'banner info' : 'banner warn'}>
              {schema.recording_column_exists
                ? s.recordingColumnPresent({ column: schema.recording_column })
                : s.recordingColumnMissing({ column: schema.recording_column })}
            </p>
            {schema.recording_columns.length === 0 ? <p>{s.noRecordingColumn}</p> : (
              <p>
                {s.recordingColumns({ min: t.number(schema.recording_min_length) })}{' '}
                <span class="mono" data-testid="recording-columns">{schema.recording_columns.join(', ')}</span>
              </p>
            )}
            {!schema.recording_column_exists && (
              <CreateColumn t={t} calls={calls} schema={schema} onCreated={() => { setRound((r) => r + 1); onChanged(); }} />
            )}
            {schema.tables.map((table) => table.problem !== null ? (
              <p key={table.name} class="banner warn">{s.tableProblem({ table: table.name, problem: table.problem })}</p>
            ) : (
              <details key={table.name} data-table={table.name}>
                <summary>{s.tableColumns({ table: table.name, count: t.number(table.columns.length) })}</summary>
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">{s.columnName}</th>
                        <th scope="col">{s.columnLabel}</th>
                        <th scope="col">{s.columnType}</th>
                        <th scope="col">{s.columnLength}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {table.columns.map((c) => (
                        <tr key={c.name}>
                          <th scope="row" class="mono">{c.name}</th>
                          <td>{c.label}</td>
                          <td class="mono">{c.reference ? `${c.kind} → ${c.reference}` : c.kind}</td>
                          <td class="number">{c.max_length === null ? '—' : t.number(c.max_length)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            ))}
          </>
        )}
      </Loading>
    </section>
  );
}

function Roles({ t, data }: { t: ConsoleTexts; data: SetupOverview }) {
  const s = t.c.setup;
  if (!data.roles) return <p class="card">{s.noCrm}</p>;
  return (
    <section aria-labelledby="roles-title">
      <h3 id="roles-title">{s.rolesHeading}</h3>
      <p>{s.rolesIntro}</p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{s.roleTable}</th>
              <th scope="col">{s.rolePurpose}</th>
              <th scope="col">{s.roleName}</th>
            </tr>
          </thead>
          <tbody>
            {data.roles.needs.map((n) => (
              <tr key={n.table} data-table={n.table}>
                <th scope="row" class="mono">{n.table}</th>
                <td>{s.purposes[n.purpose] ?? n.purpose}</td>
                <td class={n.role ? 'mono' : undefined}>{n.role ?? s.noRoleKnown}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Store({ t, store }: { t: ConsoleTexts; store: RecordingStoreView | null }) {
  const s = t.c.setup;
  if (!store) return <p class="card">{s.noStore}</p>;
  if (store.kind === 'local') return <p class="card" data-testid="store">{s.storeLocal({ path: store.path ?? '' })}</p>;
  const policy = JSON.stringify(store.iam_policy, null, 2);
  const rows: [string, string][] = [
    [s.bucket, store.bucket ?? ''],
    [s.region, store.region ?? ''],
    [s.prefix, store.prefix ?? ''],
    [s.endpoint, store.endpoint ?? s.notSet],
    [s.credentials, store.credentials === 'access_key' ? s.accessKey({ id: store.access_key_id ?? '' }) : s.role],
  ];
  if (store.credentials === 'access_key') rows.push([s.secretAccessKey, store.secret_access_key_set ? s.secretSet : s.secretNotSet]);
  return (
    <>
      <section aria-labelledby="store-title" data-testid="store">
        <h3 id="store-title">{s.storeHeading}</h3>
        <p>{s.storeS3}</p>
        <dl class="store-facts">
          {rows.map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd class="mono">{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="policy-title">
        <h3 id="policy-title">{s.policyHeading}</h3>
        <p>{s.policyIntro}</p>
        <pre class="policy mono" tabIndex={0} aria-label={s.policyLabel} data-testid="iam-policy">{policy}</pre>
      </section>
    </>
  );
}

/** One field of a step's form: its settings key (the body's), its label, and its input. */
interface FieldSpec {
  key: string;
  label: string;
  secret?: boolean;
  hint?: string;
  options?: { value: string; label: string }[];
  /** A field whose hint explains a rule: it takes a row of its own. */
  wide?: boolean;
  /** Whether the field applies given the form's values (absent: always). */
  shown?: (values: Record<string, string>) => boolean;
}

/** The current value of `key` among a step's values (`null`: not set or a secret). */
function current(values: SetupValue[] | undefined, key: string): string {
  return values?.find((v) => v.key === key)?.value ?? '';
}

/** A step's form for a tenant kept in the store: saved, used at once, checked again. */
function EditStep({ t, calls, step, fields, initial, body, onSaved, lookup }: {
  t: ConsoleTexts;
  calls: SetupCalls;
  step: SetupStepId;
  fields: FieldSpec[];
  initial: Record<string, string>;
  /** The request body from the form's values (secrets left empty are left out) and the
   *  lookup tables' rows when the step has them. */
  body: (values: Record<string, string>, rows: LookupRow[]) => Record<string, unknown>;
  onSaved: () => void;
  /** The tables step's customer tables, in search order, and what the instance offers. */
  lookup?: { rows: LookupRow[]; offered: Offered };
}) {
  const s = t.c.setup;
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [rows, setRows] = useState<LookupRow[]>(lookup?.rows ?? []);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [errors, setErrors] = useState<Record<string, FieldError>>({});
  const [rowErrors, setRowErrors] = useState<Record<string, FieldError>>({});
  const set = (key: string, value: string) => { setValues((v) => ({ ...v, [key]: value })); };
  const names = fields.map((f) => f.key);
  return (
    <section aria-labelledby={`edit-${step}-title`} class="card" data-testid={`edit-${step}`}>
      <h3 id={`edit-${step}-title`}>{s.editHeading}</h3>
      <p role="status" class={note?.kind === 'ok' ? 'banner info' : 'visually-hidden'} data-testid="save-status">{note?.kind === 'ok' ? noteText(t, note) : ''}</p>
      {note?.kind === 'error' && <p role="alert" class="banner warn" data-testid="save-error">{noteText(t, note)}</p>}
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setNote(null);
          setErrors({});
          setRowErrors({});
          calls.save(step, { ...body(values, rows), version: Number(initial.version) }).then(
            (answer) => {
              setValues((v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fields.find((f) => f.key === k)?.secret === true ? '' : x])));
              setBusy(false);
              setNote(answer.not_applied === null
                ? { kind: 'ok', id: 'saved', version: answer.version }
                : { kind: 'ok', id: 'savedNotApplied', version: answer.version, reason: answer.not_applied });
              onSaved();
            },
            (error: unknown) => {
              setBusy(false);
              const placed: Record<string, FieldError> = {};
              const placedRows: Record<string, FieldError> = {};
              if (error instanceof ApiError) {
                for (const f of fieldErrorsOf(error.details)) {
                  const row = lookup ? lookupPlaceOf(f.key) : null;
                  if (row !== null) {
                    const at = `${String(row.index)}.${row.field}`;
                    if (placedRows[at] === undefined) placedRows[at] = f;
                    continue;
                  }
                  const field = fieldOf(f.key, names);
                  if (field !== null && placed[field] === undefined) placed[field] = f;
                }
              }
              setErrors(placed);
              setRowErrors(placedRows);
              setNote({ kind: 'error', id: 'saveFailed', message: messageOf(error) });
            },
          );
        }}
      >
        {fields.filter((f) => f.shown?.(values) ?? true).map((f) => (
          <label class={f.wide === true ? 'field wide' : 'field'} key={f.key}>
            <span>{f.label}</span>
            {f.options ? (
              <select name={f.key} value={values[f.key] ?? ''} onChange={(e) => { set(f.key, e.currentTarget.value); }}>
                {f.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              </select>
            ) : (
              <input
                type={f.secret === true ? 'password' : 'text'}
                name={f.key}
                autoComplete="off"
                spellcheck={false}
                aria-invalid={errors[f.key] !== undefined ? true : undefined}
                aria-describedby={[
                  f.secret === true || f.hint !== undefined ? `${step}-${f.key}-hint` : '',
                  errors[f.key] !== undefined ? `${step}-${f.key}-error` : '',
                ].filter((id) => id !== '').join(' ') || undefined}
                value={values[f.key] ?? ''}
                onInput={(e) => { set(f.key, e.currentTarget.value); }}
              />
            )}
            {(f.secret === true || f.hint !== undefined) && <span id={`${step}-${f.key}-hint`} class="meta">{f.secret === true ? s.secretKeep : f.hint}</span>}
            {errors[f.key] !== undefined && (
              <span id={`${step}-${f.key}-error`} class="field-error" data-testid={`error-${f.key}`}>
                {s.fieldError({ problem: errors[f.key]?.problem ?? '', fix: errors[f.key]?.fix ?? '' })}
              </span>
            )}
          </label>
        ))}
        {lookup && <LookupTables t={t} calls={calls} rows={rows} setRows={setRows} errors={rowErrors} offered={lookup.offered} />}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>{busy ? s.saving : s.save}</button>
        </div>
      </form>
    </section>
  );
}

/** The columns the instance's dictionary holds for `table`, if it was read. */
function columnsOf(schema: SchemaView | null, table: string) {
  return schema?.tables.find((x) => x.name === table.trim() && x.problem === null)?.columns ?? null;
}

/** A table an admin named, as the instance described it when it was last asked. */
type Described =
  | { kind: 'reading' }
  | { kind: 'ready'; table: SchemaTable }
  | { kind: 'failed'; problem: string; fix: string | null };

/** What the instance offers the tables step: its caller tables (or why they could not be read)
 *  and the tables already configured, described. */
interface Offered {
  schema: SchemaView | null;
  choices: TableChoices | null;
  choicesProblem: string | null;
}

/** The customer tables searched for the caller's number, in order: add, remove, move. A table
 *  picked from the instance's list (or typed) is described at once, so its columns are offered
 *  before anything is saved. */
function LookupTables({ t, calls, rows, setRows, errors, offered }: {
  t: ConsoleTexts;
  calls: SetupCalls;
  rows: LookupRow[];
  setRows: (update: (rows: LookupRow[]) => LookupRow[]) => void;
  errors: Record<string, FieldError>;
  offered: Offered;
}) {
  const s = t.c.setup;
  const { schema, choices } = offered;
  const [described, setDescribed] = useState<Record<string, Described>>({});
  const change = (i: number, patch: Partial<LookupRow>) => { setRows((all) => all.map((r, j) => (j === i ? { ...r, ...patch } : r))); };
  const move = (i: number, by: number) => {
    setRows((all) => {
      const next = [...all];
      const [row] = next.splice(i, 1);
      if (row) next.splice(i + by, 0, row);
      return next;
    });
  };
  // Asked again at every pick: a column made on the instance a moment ago shows up.
  const describe = (name: string) => {
    const table = name.trim();
    if (table === '' || described[table]?.kind === 'reading') return;
    setDescribed((all) => ({ ...all, [table]: { kind: 'reading' } }));
    calls.describeTable(table).then(
      (answer) => { setDescribed((all) => ({ ...all, [table]: { kind: 'ready', table: answer } })); },
      (error: unknown) => {
        const field = error instanceof ApiError ? fieldErrorsOf(error.details)[0] : undefined;
        setDescribed((all) => ({
          ...all,
          [table]: field ? { kind: 'failed', problem: field.problem, fix: field.fix } : { kind: 'failed', problem: messageOf(error), fix: null },
        }));
      },
    );
  };
  const pick = (i: number, name: string) => {
    const choice = choices?.tables.find((c) => c.name === name.trim());
    if (choice) change(i, { kind: choice.kind });
    describe(name);
  };
  return (
    <fieldset class="lookup-tables" data-testid="lookup-tables">
      <legend>{s.lookupHeading}</legend>
      <p class="meta">{s.lookupIntro}</p>
      {choices && (
        <p class="meta" data-testid="table-choices">
          {choices.truncated
            ? s.lookupChoicesTruncated({ count: t.number(choices.tables.length), limit: t.number(choices.limit) })
            : s.lookupChoices({ count: t.number(choices.tables.length) })}
        </p>
      )}
      {offered.choicesProblem !== null && <p class="banner warn">{s.lookupChoicesFailed({ message: offered.choicesProblem })}</p>}
      <datalist id="lookup-table-options" data-testid="lookup-table-options">
        {(choices?.tables ?? []).map((c) => <option key={c.name} value={c.name}>{s.lookupChoice({ label: c.label, phones: c.phone_columns.join(', ') })}</option>)}
        {(schema?.tables ?? []).filter((x) => x.problem === null && !(choices?.tables ?? []).some((c) => c.name === x.name)).map((x) => <option key={x.name} value={x.name} />)}
      </datalist>
      {rows.length === 0 && <p class="banner warn">{s.lookupNone}</p>}
      {rows.map((r, i) => {
        const n = t.number(i + 1);
        const name = r.table.trim();
        const state = described[name];
        const columns = state?.kind === 'ready' ? state.table.columns : columnsOf(schema, r.table);
        const phones = columns ? phoneColumnsOf(columns) : [];
        const chosen = r.phone_columns.split(',').map((c) => c.trim());
        const id = (field: string) => `lookup-${String(i)}-${field}`;
        const saveError = (field: string) => errors[`${String(i)}.${field}`];
        // The table's own problem from the instance, when it has one, sits at the table field.
        const tableError = state?.kind === 'failed' ? { problem: state.problem, fix: state.fix } : undefined;
        const error = (field: string) => (field === 'table' && tableError ? tableError : saveError(field));
        const tableHint = name === '' ? null
          : state?.kind === 'reading' ? s.lookupTableReading
          : columns === null && tableError === undefined ? s.lookupTableUnread : null;
        const describedBy = (field: string, hint: boolean) =>
          [hint ? `${id(field)}-hint` : '', error(field) ? `${id(field)}-error` : ''].filter((x) => x !== '').join(' ') || undefined;
        const input = (field: 'table' | 'phone_columns' | 'name_column' | 'account_column', label: string, hint: string | null, list: string | undefined) => (
          <label class="field">
            <span>{label}</span>
            <input
              type="text"
              name={`lookup-${String(i)}-${field}`}
              autoComplete="off"
              spellcheck={false}
              list={list}
              aria-invalid={error(field) ? true : undefined}
              aria-describedby={describedBy(field, hint !== null)}
              value={r[field]}
              onInput={(e) => {
                const value = e.currentTarget.value;
                change(i, { [field]: value });
                // A name picked from the list is described at once; a typed one when the field is left.
                if (field === 'table' && choices?.tables.some((c) => c.name === value.trim())) pick(i, value);
              }}
              onChange={field === 'table' ? (e) => { pick(i, e.currentTarget.value); } : undefined}
            />
            {hint !== null && <span id={`${id(field)}-hint`} class="meta" role={field === 'table' ? 'status' : undefined}>{hint}</span>}
            {error(field) && (
              <span id={`${id(field)}-error`} class="field-error" data-testid={`error-lookup-${String(i)}-${field}`}>
                {error(field)?.fix ? s.fieldError({ problem: error(field)?.problem ?? '', fix: error(field)?.fix ?? '' }) : error(field)?.problem}
              </span>
            )}
          </label>
        );
        const columnList = columns ? `lookup-${String(i)}-columns` : undefined;
        return (
          <fieldset key={String(i)} class="card queue-card" data-lookup={String(i)}>
            <legend>{s.lookupRow({ n, table: name === '' ? s.lookupNewTable : name })}</legend>
            {columns && (
              <datalist id={`lookup-${String(i)}-columns`}>
                {columns.map((c) => <option key={c.name} value={c.name}>{c.label}</option>)}
              </datalist>
            )}
            <div class="filter">
              {input('table', s.lookupTable, tableHint, 'lookup-table-options')}
              <label class="field">
                <span>{s.lookupKind}</span>
                <select name={`lookup-${String(i)}-kind`} value={r.kind} onChange={(e) => { change(i, { kind: e.currentTarget.value }); }}>
                  <option value="contact">{s.lookupKinds.contact}</option>
                  <option value="consumer">{s.lookupKinds.consumer}</option>
                </select>
                {error('kind') && <span class="field-error">{s.fieldError({ problem: error('kind')?.problem ?? '', fix: error('kind')?.fix ?? '' })}</span>}
              </label>
              {input('phone_columns', s.lookupPhoneColumns, phones.length > 0 ? s.lookupPhoneHint({ columns: phones.join(', ') }) : s.lookupPhoneOrder, undefined)}
              {input('name_column', s.lookupNameColumn, null, columnList)}
              {input('account_column', s.lookupAccountColumn, null, columnList)}
            </div>
            {phones.length > 0 && (
              <fieldset class="phone-choices" data-testid={`phone-choices-${String(i)}`}>
                <legend>{s.lookupPhonePick({ table: name })}</legend>
                {phones.map((p) => (
                  <label key={p} class="check">
                    <input
                      type="checkbox"
                      name={`lookup-${String(i)}-phone-${p}`}
                      checked={chosen.includes(p)}
                      onChange={(e) => { change(i, { phone_columns: togglePhoneColumn(r.phone_columns, p, e.currentTarget.checked) }); }}
                    />
                    <span class="mono">{p}</span>
                    {columns?.find((c) => c.name === p)?.label ? <span>{` (${columns.find((c) => c.name === p)?.label ?? ''})`}</span> : null}
                  </label>
                ))}
              </fieldset>
            )}
            <div class="row-actions">
              <button type="button" disabled={i === 0} onClick={() => { move(i, -1); }}>{s.lookupUp({ n })}</button>
              <button type="button" disabled={i + 1 === rows.length} onClick={() => { move(i, 1); }}>{s.lookupDown({ n })}</button>
              <button type="button" onClick={() => { setRows((all) => all.filter((_, j) => j !== i)); }}>{s.lookupRemove({ n })}</button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => { setRows((all) => [...all, { table: '', kind: 'contact', phone_columns: '', name_column: '', account_column: '' }]); }}>{s.lookupAdd}</button>
    </fieldset>
  );
}

/** The recording store form's fields of one kind of store: only those of the store chosen. */
const onDisk = (values: Record<string, string>): boolean => values.store === 'local';
const inS3 = (values: Record<string, string>): boolean => values.store !== 'local';

/** `value` trimmed, or `null` when empty (the server's "take the default" / "keep the secret"). */
function orNull(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return v === '' ? null : v;
}

/** A whole number as a number, empty as `null`, anything else as typed (the server says
 *  what is wrong with it). */
function wholeOrText(value: string | undefined): number | string | null {
  const v = (value ?? '').trim();
  if (v === '') return null;
  return /^\d+$/.test(v) ? Number(v) : v;
}

function usesPassword(values: Record<string, string>): boolean {
  return values.service_grant === 'password';
}

/** The tables step's form: the Case table's columns and the customer tables searched, the
 *  columns and tables offered from what the instance's dictionary holds. */
function TablesForm({ t, calls, data, version, onSaved }: { t: ConsoleTexts; calls: SetupCalls; data: SetupOverview; version: string; onSaved: () => void }) {
  const s = t.c.setup;
  const { state } = useLoad(() => calls.schema(), 'schema-form');
  const { state: listed } = useLoad(() => calls.tableChoices(), 'table-choices');
  const values = data.tables?.values ?? [];
  const caseFields: FieldSpec[] = [
    { key: 'table', label: s.fieldCaseTable },
    { key: 'recording_url_column', label: s.fieldRecordingColumn },
    { key: 'caller_number_column', label: s.fieldCallerNumberColumn },
    { key: 'correlation_column', label: s.fieldCorrelationColumn, hint: s.fieldCorrelationColumnHint },
    { key: 'contact_column', label: s.fieldContactColumn, hint: s.fieldContactColumnHint },
    { key: 'account_column', label: s.fieldCaseAccountColumn, hint: s.fieldCaseAccountColumnHint },
    { key: 'consumer_column', label: s.fieldConsumerColumn, hint: s.fieldConsumerColumnHint },
    { key: 'assigned_to_column', label: s.fieldAssignedToColumn, hint: s.fieldAssignedToColumnHint },
    { key: 'contact_type', label: s.fieldContactType, hint: s.fieldContactTypeHint },
  ];
  const caseKeys = caseFields.map((f) => f.key);
  const initial: Record<string, string> = { version, suffix_digits: current(values, 'lookup.suffix_digits') };
  for (const k of caseKeys) initial[k] = current(values, `case.${k}`);
  // The form waits for the instance's answer (or its failure) so the offered names are there.
  if (state.kind === 'loading' || listed.kind === 'loading') return <p class="meta" role="status">{s.readingTables}</p>;
  const offered: Offered = {
    schema: state.kind === 'ready' ? state.data : null,
    choices: listed.kind === 'ready' ? listed.data : null,
    choicesProblem: listed.kind === 'failed' ? listed.message : null,
  };
  return (
    <EditStep
      t={t} calls={calls} step="tables" onSaved={onSaved}
      fields={[...caseFields, { key: 'suffix_digits', label: s.fieldSuffixDigits, hint: s.fieldSuffixDigitsHint, wide: true }]}
      initial={initial}
      lookup={{ rows: lookupRowsOf(values), offered }}
      body={(v, rows) => ({
        case: Object.fromEntries(caseKeys.map((k) => [k, orNull(v[k])])),
        lookup_tables: lookupTablesBody(rows),
        suffix_digits: wholeOrText(v.suffix_digits),
      })}
    />
  );
}

/** The form of `step` for a tenant kept in the store, or nothing for a file tenant. */
function StepForm({ t, calls, data, step, onSaved }: { t: ConsoleTexts; calls: SetupCalls; data: SetupOverview; step: SetupStepId; onSaved: () => void }) {
  const s = t.c.setup;
  if (!data.editable || data.version === null) return null;
  const version = String(data.version);
  const key = step;
  switch (step) {
    case 'connection': {
      const values = data.connection?.values;
      return (
        <EditStep
          key={key} t={t} calls={calls} step={step} onSaved={onSaved}
          fields={[
            { key: 'instance_url', label: s.fieldInstanceUrl },
            { key: 'ca_file', label: s.fieldCaFile, hint: s.fieldCaFileHint },
            { key: 'client_id', label: s.fieldClientId },
            { key: 'client_secret', label: s.fieldClientSecret, secret: true },
            {
              key: 'service_grant',
              label: s.fieldServiceGrant,
              options: [
                { value: 'client_credentials', label: s.grantClientCredentials },
                { value: 'password', label: s.grantPassword },
              ],
            },
            { key: 'service_user', label: s.fieldServiceUser, hint: s.fieldServiceUserHint, shown: usesPassword },
            { key: 'service_password', label: s.fieldServicePassword, secret: true, shown: usesPassword },
            { key: 'requests_per_hour', label: s.fieldRequestsPerHour, hint: s.fieldRequestsPerHourHint },
          ]}
          initial={{
            version,
            instance_url: current(values, 'instance_url'),
            ca_file: current(values, 'ca_file'),
            requests_per_hour: current(values, 'requests_per_hour'),
            client_id: current(values, 'client_id'),
            client_secret: '',
            service_grant: current(values, 'service_grant') || 'client_credentials',
            service_user: current(values, 'service_user'),
            service_password: '',
          }}
          body={(v) => ({
            instance_url: v.instance_url ?? '',
            client_id: v.client_id ?? '',
            client_secret: orNull(v.client_secret),
            ca_file: orNull(v.ca_file),
            requests_per_hour: wholeOrText(v.requests_per_hour),
            service_grant: v.service_grant ?? 'client_credentials',
            ...(usesPassword(v) ? { service_user: orNull(v.service_user), service_password: orNull(v.service_password) } : {}),
          })}
        />
      );
    }
    case 'tables':
      return <TablesForm key={key} t={t} calls={calls} data={data} version={version} onSaved={onSaved} />;
    case 'recordings': {
      const r = data.recordings;
      return (
        <EditStep
          key={key} t={t} calls={calls} step={step} onSaved={onSaved}
          fields={[
            { key: 'store', label: s.fieldStore, options: [{ value: 'local', label: s.storeKindLocal }, { value: 's3', label: s.storeKindS3 }] },
            { key: 'path', label: s.fieldPath, shown: onDisk },
            { key: 'bucket', label: s.bucket, shown: inS3 },
            { key: 'region', label: s.region, shown: inS3 },
            { key: 'endpoint', label: s.endpoint, shown: inS3 },
            { key: 'prefix', label: s.prefix, shown: inS3 },
            { key: 'access_key_id', label: s.fieldAccessKeyId, hint: s.fieldAccessKeyHint, shown: inS3 },
            { key: 'secret_access_key', label: s.secretAccessKey, secret: true, shown: inS3 },
          ]}
          initial={{
            version,
            store: r?.kind ?? 'local',
            path: r?.path ?? '',
            bucket: r?.bucket ?? '',
            region: r?.region ?? '',
            endpoint: r?.endpoint ?? '',
            prefix: r?.prefix ?? '',
            access_key_id: r?.access_key_id ?? '',
            secret_access_key: '',
          }}
          body={(v) => v.store === 'local'
            ? { store: 'local', path: orNull(v.path) }
            : {
                store: v.store ?? 's3',
                bucket: orNull(v.bucket),
                region: orNull(v.region),
                endpoint: orNull(v.endpoint),
                prefix: orNull(v.prefix),
                access_key_id: orNull(v.access_key_id),
                secret_access_key: orNull(v.secret_access_key),
              }}
        />
      );
    }
    case 'roles':
      return null;
  }
}

function StepBody({ t, calls, data, step, reload }: { t: ConsoleTexts; calls: SetupCalls; data: SetupOverview; step: SetupStepId; reload: () => void }) {
  switch (step) {
    case 'connection':
      return <Connection t={t} data={data} />;
    case 'tables':
      return (
        <>
          {data.tables ? <Values t={t} values={data.tables.values} id="tables-values" /> : <p class="card">{t.c.setup.noCrm}</p>}
          {data.tables && <Schema t={t} calls={calls} onChanged={reload} />}
        </>
      );
    case 'roles':
      return <Roles t={t} data={data} />;
    case 'recordings':
      return <Store t={t} store={data.recordings} />;
  }
}

/** The tenant's setup as steps, each checked live by the tenant's doctor. */
export function Setup({ ctx }: PageProps) {
  const { t } = ctx;
  const s = t.c.setup;
  const calls = setupApi(ctx.api);
  const { state, reload } = useLoad(() => calls.overview(), 'setup');
  const [step, setStep] = useState<SetupStepId>('connection');
  const [checksRound, setChecksRound] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  // A layout effect: the new step's heading takes the focus in the same commit that shows it,
  // before the browser paints, so nothing (a person or a test) sees the new step unfocused.
  useLayoutEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [step]);
  const go = (next: SetupStepId) => { moved.current = true; setStep(next); };

  return (
    <>
      <p>{s.intro}</p>
      <Loading t={t} state={state} reload={reload}>
        {(data) => {
          const index = data.steps.indexOf(step);
          const previous = index > 0 ? data.steps[index - 1] : undefined;
          const next = index + 1 < data.steps.length ? data.steps[index + 1] : undefined;
          return (
            <>
              {data.editable
                ? <p class="banner info" data-testid="editable">{s.editable}</p>
                : <p class="banner info" data-testid="read-only">{s.readOnly({ file: data.file ?? '' })}</p>}
              <nav aria-label={s.stepsLabel}>
                <ol class="setup-steps">
                  {data.steps.map((id, i) => (
                    <li key={id}>
                      <button type="button" aria-current={id === step ? 'step' : undefined} onClick={() => { go(id); }}>
                        {`${String(i + 1)}. ${s.steps[id]}`}
                      </button>
                    </li>
                  ))}
                </ol>
              </nav>
              <section aria-labelledby="step-title" data-step={step}>
                <h2 id="step-title" tabIndex={-1} ref={heading}>{s.steps[step]}</h2>
                <p class="meta">{s.stepOf({ n: t.number(index + 1), total: t.number(data.steps.length) })}</p>
                <p>{s.stepIntro[step]}</p>
                <StepBody t={t} calls={calls} data={data} step={step} reload={() => { setChecksRound((r) => r + 1); }} />
                <StepForm t={t} calls={calls} data={data} step={step} onSaved={() => { reload(); setChecksRound((r) => r + 1); }} />
                <Checks key={`${step}-${String(checksRound)}`} t={t} calls={calls} step={step} />
                <div class="actions step-actions">
                  {previous && <button type="button" onClick={() => { go(previous); }}>{s.previous}</button>}
                  {next && <button type="button" class="primary" onClick={() => { go(next); }}>{s.next}</button>}
                </div>
              </section>
            </>
          );
        }}
      </Loading>
    </>
  );
}
