import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../../api';
import type { ConsoleMessages } from '../../../i18n/messages';
import { createAccountHref } from '../../access';
import { consoleApi } from '../../api';
import type { PageProps } from '../../context';
import { messageOf, useLoad } from '../../load';
import { Confirm } from '../../Confirm';
import { Loading } from '../../Loading';
import type { ConsoleTexts } from '../../texts';
import {
  fieldErrorsOf,
  placeOf,
  telephonyApi,
  type FieldError,
  type Prompt,
  type PromptKind,
  type QueueSettings,
  type TelephonySettings,
  type TelephonyView,
  type Unserved,
  type Waiting,
} from './api';

/** A status line kept as words to say, not as a sentence: a language switch rewords it. */
type Worded = (c: ConsoleMessages) => string;
type Note = { kind: 'ok' | 'error'; text: Worded } | null;

const WAITINGS: readonly Waiting[] = ['ringback', 'music'];
/** A tenant kept in the store without telephony yet starts from nothing (one constant, so the
 *  form is not reset on every render). */
const NO_SETTINGS: TelephonySettings = { allowed_sources: [], numbers: [], queues: [], agents: [] };
const TREATMENTS: readonly Unserved[] = ['busy', 'announcement', 'hang_up'];

function newQueue(id: string): QueueSettings {
  return {
    id, ring_timeout_secs: 20, waiting: 'ringback', music: null, announcement: null, max_waiting: 100,
    max_wait_secs: 600, overflow: 'busy', no_agent: 'busy', wrap_up_secs: 0, service_level_secs: 20,
  };
}

/** The errors of one field: `list[index].field` (field `''`: the row as a whole). */
function errorsAt(errors: FieldError[], list: string, index: number, field: string): FieldError[] {
  return errors.filter((e) => {
    const place = placeOf(e.key);
    return place !== null && place.list === list && place.index === index && place.field === field;
  });
}

function FieldProblems({ t, errors, id }: { t: ConsoleTexts; errors: FieldError[]; id: string }) {
  if (errors.length === 0) return null;
  return (
    <span id={id} class="field-error" role="alert">
      {errors.map((e) => t.c.telephony.fieldError({ problem: e.problem, fix: e.fix })).join(' ')}
    </span>
  );
}

/** A choice of prompt: the tenant's uploads of that kind, the configured file if it is no
 *  upload, or none. */
function PromptSelect(props: {
  t: ConsoleTexts; kind: PromptKind; value: string | null; prompts: Prompt[]; label: string;
  disabled: boolean; describedBy: string | undefined; onChange: (value: string | null) => void;
}) {
  const { t, kind, value, prompts, label, disabled, describedBy, onChange } = props;
  const own = prompts.filter((p) => p.kind === kind);
  const configured = value !== null && !own.some((p) => p.id === value);
  const none = kind === 'music' ? t.c.telephony.generatedTone : t.c.telephony.noAnnouncement;
  return (
    <label>
      {label}
      <select
        value={value ?? ''}
        disabled={disabled}
        aria-describedby={describedBy}
        onChange={(e) => { const v = e.currentTarget.value; onChange(v === '' ? null : v); }}
      >
        <option value="">{none}</option>
        {configured && <option value={value}>{t.c.telephony.configuredFile({ path: value })}</option>}
        {own.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      </select>
    </label>
  );
}

function NumberInput(props: {
  label: string; value: number; disabled: boolean; errors: FieldError[]; errorId: string; onChange: (n: number) => void;
}) {
  const { label, value, disabled, errors, errorId, onChange } = props;
  return (
    <label>
      {label}
      <input
        type="number"
        min={0}
        value={value}
        disabled={disabled}
        aria-invalid={errors.length > 0 ? 'true' : undefined}
        aria-describedby={errors.length > 0 ? errorId : undefined}
        onInput={(e) => { onChange(Number(e.currentTarget.value)); }}
      />
    </label>
  );
}

function Uploads({ t, prompts, onUploaded, onRemoved, api }: {
  t: ConsoleTexts; prompts: Prompt[]; onUploaded: (p: Prompt) => void; onRemoved: (id: string) => void; api: ReturnType<typeof telephonyApi>;
}) {
  const tel = t.c.telephony;
  const [kind, setKind] = useState<PromptKind>('music');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [pending, setPending] = useState<Prompt | null>(null);
  const remove = (p: Prompt) => {
    setBusy(true);
    setNote(null);
    api.remove(p.id).then(
      () => { setBusy(false); setPending(null); setNote({ kind: 'ok', text: (c) => c.telephony.deleted({ name: p.name }) }); onRemoved(p.id); },
      (error: unknown) => { const message = messageOf(error); setBusy(false); setPending(null); setNote({ kind: 'error', text: (c) => c.telephony.deleteFailed({ message }) }); },
    );
  };
  const upload = (e: Event) => {
    e.preventDefault();
    if (file === null) return;
    setBusy(true);
    setNote(null);
    api.upload(kind, file).then(
      ({ prompt }) => { setBusy(false); setNote({ kind: 'ok', text: (c) => c.telephony.uploaded({ name: prompt.name }) }); onUploaded(prompt); },
      (error: unknown) => { const message = messageOf(error); setBusy(false); setNote({ kind: 'error', text: (c) => c.telephony.uploadFailed({ message }) }); },
    );
  };
  return (
    <section aria-labelledby="prompts-heading">
      <h2 id="prompts-heading">{tel.promptsHeading}</h2>
      <p>{tel.promptsIntro}</p>
      <form class="upload-form" onSubmit={upload}>
        <label>
          {tel.promptKind}
          <select value={kind} onChange={(e) => { setKind(e.currentTarget.value as PromptKind); }}>
            <option value="music">{tel.kinds.music}</option>
            <option value="announcement">{tel.kinds.announcement}</option>
          </select>
        </label>
        <label>
          {tel.chooseFile}
          <input type="file" accept=".wav,audio/wav,audio/x-wav" onChange={(e) => { setFile(e.currentTarget.files?.[0] ?? null); }} />
        </label>
        <button type="submit" class="primary" disabled={busy || file === null}>{busy ? tel.uploading : tel.upload}</button>
      </form>
      <p role="status" class={note?.kind === 'ok' ? 'banner info' : 'visually-hidden'}>{note?.kind === 'ok' ? note.text(t.c) : ''}</p>
      {note?.kind === 'error' && <p role="alert" class="banner warn" data-testid="upload-error">{note.text(t.c)}</p>}
      {pending && <Confirm t={t} question={tel.confirmDelete({ name: pending.name })} busy={busy} onConfirm={() => { remove(pending); }} onCancel={() => { setPending(null); }} />}
      {prompts.length === 0 ? <p class="card">{tel.noPrompts}</p> : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{tel.promptColumns.name}</th>
                <th scope="col">{tel.promptColumns.kind}</th>
                <th scope="col">{tel.promptColumns.length}</th>
                <th scope="col">{tel.promptColumns.uploaded}</th>
                <th scope="col">{tel.promptColumns.actions}</th>
              </tr>
            </thead>
            <tbody>
              {prompts.map((p) => (
                <tr key={p.id}>
                  <th scope="row">{p.name}</th>
                  <td>{tel.kinds[p.kind]}</td>
                  <td class="number">{tel.promptLength({ seconds: t.number(p.seconds) })}</td>
                  <td>{t.dateTime(p.uploaded_at)} · {p.uploaded_by}</td>
                  <td>
                    <button type="button" class="danger" aria-label={tel.deletePrompt({ name: p.name })} disabled={busy} onClick={() => { setPending(p); }}>{tel.deleteShort}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Editor({ t, source, settings, loadedPrompts, api, reload, accounts }: {
  t: ConsoleTexts; source: TelephonyView['source']; settings: TelephonySettings; loadedPrompts: Prompt[];
  api: ReturnType<typeof telephonyApi>; reload: () => void;
  /** The tenant's account names; null while unknown (then nothing is said about accounts). */
  accounts: ReadonlySet<string> | null;
}) {
  const tel = t.c.telephony;
  const editable = source.editable;
  const [draft, setDraft] = useState<TelephonySettings>(settings);
  const [prompts, setPrompts] = useState<Prompt[]>(loadedPrompts);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [sourcesText, setSourcesText] = useState(settings.allowed_sources.join(', '));
  // A reload (after a save) brings the saved settings: the form starts from them again.
  useEffect(() => { setDraft(settings); setPrompts(loadedPrompts); setSourcesText(settings.allowed_sources.join(', ')); }, [settings, loadedPrompts]);
  const sourceErrors = errors.filter((e) => e.key.startsWith('telephony.allowed_sources'));

  const change = (next: Partial<TelephonySettings>) => { setDraft({ ...draft, ...next }); };
  const setQueue = (i: number, next: Partial<QueueSettings>) => {
    change({ queues: draft.queues.map((q, j) => (j === i ? { ...q, ...next } : q)) });
  };
  const queueIds = draft.queues.map((q) => q.id);

  const save = (e: Event) => {
    e.preventDefault();
    if (source.kind !== 'store') return;
    setBusy(true);
    setNote(null);
    setErrors([]);
    const allowed_sources = sourcesText.split(/[\s,]+/).filter((x) => x !== '');
    api.save(source.version, { ...draft, allowed_sources }).then(
      (saved) => {
        setBusy(false);
        const version = String(saved.version);
        const reason = saved.not_applied ?? '';
        setNote(saved.applied ? { kind: 'ok', text: (c) => c.telephony.saved({ version }) } : { kind: 'error', text: (c) => c.telephony.savedNotApplied({ version, reason }) });
        reload();
      },
      (error: unknown) => {
        setBusy(false);
        const message = messageOf(error);
        setErrors(error instanceof ApiError ? fieldErrorsOf(error.details) : []);
        setNote({ kind: 'error', text: (c) => c.telephony.saveFailed({ message }) });
      },
    );
  };

  const err = (list: string, i: number, field: string) => errorsAt(errors, list, i, field);
  const errId = (list: string, i: number, field: string) => `err-${list}-${String(i)}-${field}`;

  return (
    <>
      <Uploads t={t} prompts={prompts} api={api} onUploaded={(p) => { setPrompts([p, ...prompts.filter((q) => q.id !== p.id)]); }} onRemoved={(id) => { setPrompts(prompts.filter((q) => q.id !== id)); }} />
      <form onSubmit={save} class="telephony-form">
        <section aria-labelledby="numbers-heading">
          <h2 id="numbers-heading">{tel.numbersHeading}</h2>
          <label class="sources">
            {tel.allowedSources}
            <input
              value={sourcesText}
              disabled={!editable}
              aria-describedby={sourceErrors.length > 0 ? 'sources-hint err-sources' : 'sources-hint'}
              aria-invalid={sourceErrors.length > 0 ? 'true' : undefined}
              onInput={(e) => { setSourcesText(e.currentTarget.value); }}
            />
          </label>
          <span id="sources-hint" class="meta block">{tel.allowedSourcesHint}</span>
          <FieldProblems t={t} errors={sourceErrors} id="err-sources" />
          {draft.numbers.length === 0 ? <p class="card">{tel.noNumbers}</p> : (
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">{tel.number}</th><th scope="col">{tel.numberQueue}</th>{editable && <th scope="col"><span class="visually-hidden">{tel.removeNumber({ number: '' })}</span></th>}</tr></thead>
                <tbody>
                  {draft.numbers.map((n, i) => (
                    <tr key={`n${String(i)}`}>
                      <td>
                        <input
                          aria-label={tel.number}
                          value={n.did}
                          disabled={!editable}
                          aria-invalid={err('number', i, 'did').length > 0 ? 'true' : undefined}
                          aria-describedby={err('number', i, 'did').length > 0 ? errId('number', i, 'did') : undefined}
                          onInput={(e) => { const did = e.currentTarget.value; change({ numbers: draft.numbers.map((m, j) => (j === i ? { ...m, did } : m)) }); }}
                        />
                        <FieldProblems t={t} errors={err('number', i, 'did')} id={errId('number', i, 'did')} />
                      </td>
                      <td>
                        <select
                          aria-label={tel.numberQueue}
                          value={n.queue}
                          disabled={!editable}
                          onChange={(e) => { const queue = e.currentTarget.value; change({ numbers: draft.numbers.map((m, j) => (j === i ? { ...m, queue } : m)) }); }}
                        >
                          {!queueIds.includes(n.queue) && <option value={n.queue}>{n.queue}</option>}
                          {queueIds.map((q) => <option key={q} value={q}>{q}</option>)}
                        </select>
                        <FieldProblems t={t} errors={err('number', i, 'queue')} id={errId('number', i, 'queue')} />
                      </td>
                      {editable && (
                        <td>
                          <button type="button" onClick={() => { change({ numbers: draft.numbers.filter((_, j) => j !== i) }); }}>
                            {tel.removeNumber({ number: n.did })}
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {editable && (
            <button type="button" onClick={() => { change({ numbers: [...draft.numbers, { did: '', queue: queueIds[0] ?? '' }] }); }}>{tel.addNumber}</button>
          )}
        </section>

        <section aria-labelledby="queues-heading">
          <h2 id="queues-heading">{tel.queuesHeading}</h2>
          {draft.queues.map((q, i) => (
            <fieldset key={`q${String(i)}`} class="card queue-card" disabled={!editable}>
              <legend>{tel.queueOf({ queue: q.id })}</legend>
              <div class="field-grid">
                <label>
                  {tel.queueId}
                  <input value={q.id} aria-invalid={err('queue', i, 'id').length > 0 ? 'true' : undefined} aria-describedby={err('queue', i, 'id').length > 0 ? errId('queue', i, 'id') : undefined} onInput={(e) => { setQueue(i, { id: e.currentTarget.value }); }} />
                </label>
                <label>
                  {tel.waiting}
                  <select value={q.waiting} aria-invalid={err('queue', i, 'waiting').length > 0 ? 'true' : undefined} aria-describedby={err('queue', i, 'waiting').length > 0 ? errId('queue', i, 'waiting') : undefined} onChange={(e) => { setQueue(i, { waiting: e.currentTarget.value as Waiting }); }}>
                    {WAITINGS.map((w) => <option key={w} value={w}>{tel.waitings[w]}</option>)}
                  </select>
                </label>
                <PromptSelect t={t} kind="music" label={tel.music} value={q.music} prompts={prompts} disabled={!editable} describedBy={err('queue', i, 'music').length > 0 ? errId('queue', i, 'music') : undefined} onChange={(music) => { setQueue(i, { music }); }} />
                <NumberInput label={tel.ringTimeout} value={q.ring_timeout_secs} disabled={!editable} errors={err('queue', i, 'ring_timeout_secs')} errorId={errId('queue', i, 'ring_timeout_secs')} onChange={(n) => { setQueue(i, { ring_timeout_secs: n }); }} />
                <NumberInput label={tel.maxWaiting} value={q.max_waiting} disabled={!editable} errors={err('queue', i, 'max_waiting')} errorId={errId('queue', i, 'max_waiting')} onChange={(n) => { setQueue(i, { max_waiting: n }); }} />
                <NumberInput label={tel.maxWait} value={q.max_wait_secs} disabled={!editable} errors={err('queue', i, 'max_wait_secs')} errorId={errId('queue', i, 'max_wait_secs')} onChange={(n) => { setQueue(i, { max_wait_secs: n }); }} />
                <label>
                  {tel.overflow}
                  <select value={q.overflow} onChange={(e) => { setQueue(i, { overflow: e.currentTarget.value as Unserved }); }}>
                    {TREATMENTS.map((u) => <option key={u} value={u}>{tel.treatments[u]}</option>)}
                  </select>
                </label>
                <label>
                  {tel.noAgent}
                  <select value={q.no_agent} onChange={(e) => { setQueue(i, { no_agent: e.currentTarget.value as Unserved }); }}>
                    {TREATMENTS.map((u) => <option key={u} value={u}>{tel.treatments[u]}</option>)}
                  </select>
                </label>
                <PromptSelect t={t} kind="announcement" label={tel.announcement} value={q.announcement} prompts={prompts} disabled={!editable} describedBy={err('queue', i, 'announcement').length > 0 ? errId('queue', i, 'announcement') : undefined} onChange={(announcement) => { setQueue(i, { announcement }); }} />
                <NumberInput label={tel.wrapUp} value={q.wrap_up_secs} disabled={!editable} errors={err('queue', i, 'wrap_up_secs')} errorId={errId('queue', i, 'wrap_up_secs')} onChange={(n) => { setQueue(i, { wrap_up_secs: n }); }} />
                <NumberInput label={tel.serviceLevel} value={q.service_level_secs} disabled={!editable} errors={err('queue', i, 'service_level_secs')} errorId={errId('queue', i, 'service_level_secs')} onChange={(n) => { setQueue(i, { service_level_secs: n }); }} />
              </div>
              {['id', 'waiting', 'music', 'announcement', 'ring_timeout_secs', 'max_waiting', 'max_wait_secs', 'overflow', 'no_agent', 'wrap_up_secs', 'service_level_secs', ''].map((field) => (
                <FieldProblems key={field} t={t} errors={err('queue', i, field)} id={errId('queue', i, field)} />
              ))}
              {editable && (
                <button type="button" onClick={() => { change({ queues: draft.queues.filter((_, j) => j !== i) }); }}>{tel.removeQueue({ queue: q.id })}</button>
              )}
            </fieldset>
          ))}
          {editable && (
            <button type="button" onClick={() => { change({ queues: [...draft.queues, newQueue(`queue-${String(draft.queues.length + 1)}`)] }); }}>{tel.addQueue}</button>
          )}
        </section>

        <section aria-labelledby="agents-heading">
          <h2 id="agents-heading">{tel.agentsHeading}</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{tel.agentName}</th>
                  {queueIds.map((q) => <th key={q} scope="col" class="check">{q}</th>)}
                  {editable && <th scope="col"><span class="visually-hidden">{tel.removeAgent({ agent: '' })}</span></th>}
                </tr>
              </thead>
              <tbody>
                {draft.agents.map((a, i) => (
                  <tr key={`a${String(i)}`}>
                    <th scope="row">
                      {editable
                        ? <input aria-label={tel.agentName} value={a.name} onInput={(e) => { const name = e.currentTarget.value; change({ agents: draft.agents.map((b, j) => (j === i ? { ...b, name } : b)) }); }} />
                        : a.name}
                      <FieldProblems t={t} errors={[...err('agent', i, 'name'), ...err('agent', i, 'queues'), ...err('agent', i, '')]} id={errId('agent', i, 'all')} />
                      {/* An agent signs in with an account of their name; the configuration does
                          not make one while the server runs. */}
                      {accounts && a.name.trim() !== '' && !accounts.has(a.name.trim()) && (
                        <a class="meta block" data-testid="no-account" href={createAccountHref(a.name.trim())}>{tel.noAccount({ agent: a.name.trim() })}</a>
                      )}
                    </th>
                    {queueIds.map((q) => (
                      <td key={q} class="check">
                        <input
                          type="checkbox"
                          aria-label={tel.servesQueue({ agent: a.name, queue: q })}
                          checked={a.queues.includes(q)}
                          disabled={!editable}
                          onChange={(e) => {
                            const on = e.currentTarget.checked;
                            const queues = on ? [...a.queues, q] : a.queues.filter((x) => x !== q);
                            change({ agents: draft.agents.map((b, j) => (j === i ? { ...b, queues } : b)) });
                          }}
                        />
                      </td>
                    ))}
                    {editable && (
                      <td><button type="button" onClick={() => { change({ agents: draft.agents.filter((_, j) => j !== i) }); }}>{tel.removeAgent({ agent: a.name })}</button></td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {editable && (
            <button type="button" onClick={() => { change({ agents: [...draft.agents, { name: '', queues: [] }] }); }}>{tel.addAgent}</button>
          )}
        </section>

        {errors.length > 0 && (
          <section class="banner warn" aria-labelledby="field-errors-heading">
            <h2 id="field-errors-heading">{tel.fieldErrorsHeading}</h2>
            <ul>{errors.map((e) => <li key={e.key}><code>{e.key}</code> {tel.fieldError({ problem: e.problem, fix: e.fix })}</li>)}</ul>
          </section>
        )}
        <p role="status" class={note?.kind === 'ok' ? 'banner info' : 'visually-hidden'} data-testid="save-status">{note?.kind === 'ok' ? note.text(t.c) : ''}</p>
        {note?.kind === 'error' && <p role="alert" class="banner warn" data-testid="save-error">{note.text(t.c)}</p>}
        {editable && <button type="submit" class="primary" disabled={busy}>{busy ? tel.saving : tel.save}</button>}
      </form>
    </>
  );
}

/** "Numbers & queues": the tenant's numbers, queues with their treatments, agents' queues, and
 *  music and announcements; editable for a tenant kept in the store, read-only for a file's. */
export function Telephony({ ctx }: PageProps) {
  const { t } = ctx;
  const tel = t.c.telephony;
  const api = telephonyApi(ctx.api);
  const { state, reload } = useLoad(() => api.load(), 'telephony');
  // Which agents have an account (a failure to read them leaves the page as it was).
  const people = useLoad(() => consoleApi(ctx.api).accounts(), 'telephony-accounts');
  const accounts = people.state.kind === 'ready' ? new Set(people.state.data.accounts.map((a) => a.user)) : null;
  return (
    <>
      <p>{tel.intro}</p>
      <Loading t={t} state={state} reload={reload}>
        {(view) => (
          <>
            {view.source.kind === 'file'
              ? <p class="banner info" data-testid="source">{tel.readOnly({ file: view.source.file })}</p>
              : <p class="banner info" data-testid="source">{tel.editable({ version: String(view.source.version) })}</p>}
            {view.telephony === null && !view.source.editable
              ? <p class="card">{tel.noTelephony}</p>
              : <Editor t={t} source={view.source} settings={view.telephony ?? NO_SETTINGS} loadedPrompts={view.prompts} api={api} reload={reload} accounts={accounts} />}
          </>
        )}
      </Loading>
    </>
  );
}
