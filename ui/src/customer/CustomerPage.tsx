// The demo's customer page: a function of the customer state. One card at a time says where the
// person stands (connecting, ready to call, calling, ringing here, connected with its timer);
// the last call's outcome and any problem are said in words.
import type { Texts } from '../i18n';
import { languageNames, languages, type Lang } from '../i18n';
import { canCall, other, type CustomerInput, type CustomerState, type Outcome, type Setup } from './reducer';

export interface CustomerPageProps {
  t: Texts;
  setup: Setup;
  state: CustomerState;
  announcement: string;
  act: (input: CustomerInput) => void;
  setLang: (lang: Lang) => void;
}

function outcomeText(t: Texts, outcome: Outcome): string {
  const c = t.m.customer;
  switch (outcome.kind) {
    case 'ended':
      return outcome.cause === 'you_hung_up' ? c.youHungUp : outcome.cause === 'they_hung_up' ? c.theyHungUp : c.cutOff;
    case 'not_connected':
      return c.notConnected({ detail: outcome.detail });
    case 'missed':
      return c.missed;
    case 'refused':
      return c.refused({ detail: outcome.detail });
  }
}

function Status({ t, state }: { t: Texts; state: CustomerState }) {
  const c = t.m.customer;
  if (state.connection === 'replaced') return <p class="banner warn">{c.replaced}</p>;
  if (state.connection === 'closed') {
    return <p class="banner warn">{c.reconnectingIn({ seconds: t.seconds((state.retryAt ?? state.now) - state.now) })}</p>;
  }
  if (state.audio === 'failed') return <p class="banner warn" role="alert">{c.audioFailed({ problem: state.problem ?? '' })}</p>;
  if (state.connection === 'connecting') return <p class="meta">{c.connecting}</p>;
  if (state.audio !== 'ready' || !state.available) return <p class="meta">{c.audioStarting}</p>;
  return <p class="meta ready-line"><span class="dot dot-available" aria-hidden="true" /> {c.ready}</p>;
}

function CallForm({ t, setup, state, act }: Omit<CustomerPageProps, 'announcement' | 'setLang'>) {
  const c = t.m.customer;
  const disabled = state.phase.kind !== 'idle';
  return (
    <form
      class="card customer-form"
      onSubmit={(e) => {
        e.preventDefault();
        act({ kind: 'call' });
      }}
    >
      <label class="field">
        <span>{c.callAs}</span>
        <select
          id="caller"
          value={state.chosen}
          disabled={disabled}
          onChange={(e) => { act({ kind: 'choose', caller: e.currentTarget.value }); }}
        >
          {setup.callers.map((caller) => (
            <option key={caller.number} value={caller.number}>{c.callerOption({ name: caller.name, number: caller.number })}</option>
          ))}
          <option value={other}>{c.otherNumber}</option>
        </select>
      </label>
      {state.chosen === other && (
        <label class="field">
          <span>{c.yourNumber}</span>
          <input
            type="tel"
            autocomplete="tel"
            inputMode="tel"
            value={state.typed}
            disabled={disabled}
            aria-describedby="your-number-hint"
            onInput={(e) => { act({ kind: 'type', number: e.currentTarget.value }); }}
          />
          <span class="meta" id="your-number-hint">{c.yourNumberHint}</span>
        </label>
      )}
      <div class="actions">
        <button type="submit" class="primary call-button" data-focus="call" disabled={!canCall(state)}>
          {c.call({ number: setup.contact_center })}
        </button>
      </div>
    </form>
  );
}

function Timer({ t, since, now }: { t: Texts; since: number; now: number }) {
  return <p class="timer"><span class="visually-hidden">{t.m.elapsed}: </span><span>{t.duration(now - since)}</span></p>;
}

function CallCard({ t, state, act }: { t: Texts; state: CustomerState; act: (input: CustomerInput) => void }) {
  const c = t.m.customer;
  const phase = state.phase;
  switch (phase.kind) {
    case 'idle':
      return null;
    case 'calling':
      return (
        <section class="call customer-call" aria-labelledby="call-title">
          <h2 id="call-title">{c.calling({ number: phase.to })}</h2>
          <p class="meta">{c.callingAs({ number: phase.from })}</p>
          <div class="actions">
            <button type="button" class="danger" data-focus="hang_up" disabled={phase.call === null} onClick={() => { act({ kind: 'hang_up' }); }}>{c.hangUp}</button>
          </div>
        </section>
      );
    case 'incoming':
    case 'answering':
      return (
        <section class="ringing customer-ringing" aria-labelledby="call-title">
          <h2 id="call-title">{c.incoming}</h2>
          <p class="caller small">{c.incomingFrom({ number: phase.from || c.unknownCaller })}</p>
          <div class="actions">
            <button type="button" class="primary answer" data-focus="answer" disabled={phase.kind === 'answering'} onClick={() => { act({ kind: 'answer' }); }}>{c.answer}</button>
            <button type="button" disabled={phase.kind === 'answering'} onClick={() => { act({ kind: 'decline' }); }}>{c.decline}</button>
          </div>
        </section>
      );
    case 'connected':
      return (
        <section class="call customer-call" aria-labelledby="call-title">
          <h2 id="call-title">{c.connected}</h2>
          <p class="meta">{c.connectedWith({ number: phase.other })}</p>
          <Timer t={t} since={phase.since} now={state.now} />
          <div class="actions">
            <button type="button" class="danger" data-focus="hang_up" onClick={() => { act({ kind: 'hang_up' }); }}>{c.hangUp}</button>
          </div>
        </section>
      );
  }
}

export function CustomerPage(props: CustomerPageProps) {
  const { t, setup, state, act } = props;
  const c = t.m.customer;
  return (
    <div class="app customer">
      <header class="topbar">
        <div>
          <h1>{c.title}</h1>
        </div>
        <label class="lang">
          <span class="visually-hidden">{t.m.language}</span>
          <select value={t.lang} onChange={(e) => { props.setLang(e.currentTarget.value as Lang); }}>
            {languages.map((l) => <option key={l} value={l} lang={l}>{languageNames[l]}</option>)}
          </select>
        </label>
      </header>
      <main>
        <p class="meta">{c.intro({ number: setup.contact_center })}</p>
        {/* During a call the call card says it all; "Ready" would be wrong there. */}
        {(state.phase.kind === 'idle' || state.connection !== 'open') && <Status t={t} state={state} />}
        <CallCard t={t} state={state} act={act} />
        {state.phase.kind === 'idle' && <CallForm t={t} setup={setup} state={state} act={act} />}
        {state.outcome && state.phase.kind === 'idle' && (
          <section class="card outcome" aria-labelledby="outcome-title">
            <h2 id="outcome-title">{c.lastCall}</h2>
            <p>{outcomeText(t, state.outcome)}</p>
          </section>
        )}
        {state.problem && state.audio !== 'failed' && <p class="banner warn" role="alert">{c.serverSaid({ message: state.problem })}</p>}
      </main>
      <div class="visually-hidden" aria-live="polite">{props.announcement}</div>
    </div>
  );
}

/** What a screen reader is told when the phase changes. */
export function announcementFor(t: Texts, before: CustomerState, after: CustomerState): string | null {
  const c = t.m.customer;
  if (before.phase.kind === after.phase.kind) {
    if (after.outcome && after.outcome !== before.outcome) return outcomeText(t, after.outcome);
    return null;
  }
  switch (after.phase.kind) {
    case 'incoming':
      return `${c.incoming} ${c.incomingFrom({ number: after.phase.from || c.unknownCaller })}`;
    case 'calling':
      return c.calling({ number: after.phase.to });
    case 'connected':
      return c.connected;
    case 'answering':
      return null;
    case 'idle':
      return after.outcome ? outcomeText(t, after.outcome) : null;
  }
}
