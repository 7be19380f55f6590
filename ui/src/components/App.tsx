import type { Colleague, Profile } from '../api';
import { languageNames, languages, type Lang } from '../i18n';
import { currentCall, liveCall } from '../state/reducer';
import type { State } from '../state/types';
import { CallControls } from './CallControls';
import { CallOutcomeNote } from './CallOutcomeNote';
import { CaseBadge } from './CaseBadge';
import { ConnectionBanner } from './ConnectionBanner';
import { ContactCard } from './ContactCard';
import { ContactChooser } from './ContactChooser';
import type { Ui } from './context';
import { CrmLinkPanel } from './CrmLinkPanel';
import { DialPad } from './DialPad';
import { NewContactOffer } from './NewContactOffer';
import { NoCaseReason } from './NoCaseReason';
import { OtherTabNotice } from './OtherTabNotice';
import { PresenceSwitch } from './PresenceSwitch';
import { RingingBanner } from './RingingBanner';
import { ShortcutList } from './ShortcutList';
import { TransferPicker } from './TransferPicker';
import { WrapUpForm } from './WrapUpForm';

export interface AppProps {
  ui: Ui;
  state: State;
  profile: Profile | null;
  colleagues: Colleague[];
  crmBusy: boolean;
  announcement: string;
  setLang: (lang: Lang) => void;
  onLink: () => void;
  onUnlink: () => void;
  onRetry: () => void;
}

/** The whole softphone: a function of the state (and the profile the API gave). */
export function App(props: AppProps) {
  const { ui, state, profile } = props;
  const { m } = ui.t;
  const live = liveCall(state);
  const shown = currentCall(state);
  const connected = state.connection.status === 'open';
  // Without a profile (today's ticket URL) the server alone knows the link; it refuses if need be.
  const linked = profile ? profile.crm?.link.state === 'linked' : true;
  const crm = shown?.crm;
  return (
    <div class="app">
      <header class="topbar">
        <div>
          <h1>{m.appTitle}</h1>
          {state.identity && <p class="meta">{m.agentIdentity({ agent: profile?.agent.display_name ?? state.identity.agent, tenant: profile?.tenant.name ?? state.identity.tenant })}</p>}
          {/* Kept current by the server's `queues` news when an admin changes them. */}
          {state.identity && state.identity.queues.length > 0 && (
            <p class="meta" data-testid="agent-queues">{m.agentQueues({ queues: state.identity.queues })}</p>
          )}
        </div>
        <label class="lang">
          <span class="visually-hidden">{m.language}</span>
          <select value={ui.t.lang} onChange={(e) => { props.setLang(e.currentTarget.value as Lang); }}>
            {languages.map((l) => <option key={l} value={l} lang={l}>{languageNames[l]}</option>)}
          </select>
        </label>
      </header>

      <ConnectionBanner
        ui={ui}
        connection={state.connection}
        media={state.media}
        mediaProblem={state.mediaProblem}
        serverError={state.serverError}
        now={state.now}
        onRetry={props.onRetry}
        callKept={live?.phase === 'on_call'}
      />

      <main>
        {state.connection.status === 'replaced' ? (
          <OtherTabNotice ui={ui} />
        ) : (
          <>
            {!live && <PresenceSwitch ui={ui} agent={state.agent} enabled={connected && state.media === 'connected'} />}
            {live?.phase === 'ringing' && <RingingBanner ui={ui} call={live} />}
            {live && live.phase !== 'ringing' && (
              <section class="call" aria-labelledby="call-title">
                <p class="eyebrow">{live.direction === 'inbound' ? m.incomingCall : m.outgoingCall}</p>
                <h2 id="call-title" class="caller">{ui.t.caller(live.caller)}</h2>
                {live.caller.kind === 'number' && live.caller.name && <p class="number">{live.caller.number}</p>}
                <CallControls ui={ui} call={live} muted={state.muted} now={state.now} />
              </section>
            )}
            {/* After a call: what happened and the after-call work come first, the call's CRM
                cards below them. */}
            {!live && shown && <CallOutcomeNote ui={ui} call={shown} />}
            {!live && state.wrapUp && (
              <WrapUpForm ui={ui} wrapUp={state.wrapUp} dispositions={profile?.disposition_codes ?? []} now={state.now} />
            )}
            {shown && crm && (
              <>
                {crm.contact && <ContactCard ui={ui} contact={crm.contact} />}
                {crm.candidates && <ContactChooser ui={ui} candidates={crm.candidates} />}
                {crm.newContactNumber !== null && !crm.contact && <NewContactOffer ui={ui} number={crm.newContactNumber} />}
                {crm.case && <CaseBadge ui={ui} kase={crm.case} />}
                <NoCaseReason ui={ui} crm={crm} canCreate={linked && connected} />
              </>
            )}
            {live?.phase === 'on_call' && (
              <TransferPicker ui={ui} queues={state.identity?.queues ?? []} colleagues={props.colleagues} self={state.identity?.agent ?? null} />
            )}
            {!live && (
              <DialPad ui={ui} mode="dial" dial={state.dial} region={profile?.tenant.region ?? null} enabled={connected && state.media === 'connected'} />
            )}
          </>
        )}
        {profile && <CrmLinkPanel ui={ui} crm={profile.crm} busy={props.crmBusy} onLink={props.onLink} onUnlink={props.onUnlink} />}
        <ShortcutList ui={ui} />
      </main>
      <div class="visually-hidden" aria-live="assertive" aria-atomic="true">{props.announcement}</div>
    </div>
  );
}
