// Development only (`npm run dev`, then /gallery.html?lang=ja): every screen of the softphone,
// made by replaying the test fixtures through the reducer, at OpenFrame width. Not in the build.
import { render } from 'preact';
import type { Profile } from '../api';
import { App } from '../components/App';
import { texts, type Lang } from '../i18n';
import { initialState, reduce } from '../state/reducer';
import type { Input, Intent, State } from '../state/types';
import type { ServerMessage } from '../protocol';
import '../styles.css';
import './gallery.css';

type Recorded = { recv: ServerMessage } | { intent: Intent } | { input: Input } | { comment: string };

const fixtures = import.meta.glob<Recorded[]>('../../test/fixtures/*.json', { eager: true, import: 'default' });
const fixture = (name: string): Recorded[] => fixtures[`../../test/fixtures/${name}.json`] ?? [];

function play(steps: Recorded[]): State {
  let state = initialState(Date.UTC(2026, 11, 6, 5, 0));
  for (const step of steps) {
    const input: Input | null =
      'recv' in step ? { kind: 'server', message: step.recv } : 'intent' in step ? { kind: 'intent', intent: step.intent } : 'input' in step ? step.input : null;
    if (input) state = reduce(state, input).state;
  }
  return state;
}

const profile: Profile = {
  tenant: { id: 'acme', name: 'Acme Support', region: 'JP', allowed_origins: [] },
  agent: { name: 'alice', display_name: 'Alice Tanaka', role: 'agent' },
  crm: {
    kind: 'servicenow',
    instance_url: 'https://acme.service-now.com',
    tables: { contact: 'customer_contact', consumer: 'csm_consumer', case: 'sn_customerservice_case' },
    link: { state: 'linked', user: 'alice.tanaka', linked_at: '2026-12-01T09:00:00Z' },
  },
  queues: [{ name: 'support', wrap_up_seconds: 30 }],
  disposition_codes: [
    { code: 'resolved', label: { en: 'Resolved', ja: '解決' } },
    { code: 'callback', label: { en: 'Call back', ja: '折り返し' } },
  ],
  softphone_path: '/',
};

const login = fixture('login');
const onCall = (steps: Recorded[], call: string): Recorded[] => [
  ...login,
  ...steps,
  { recv: { type: 'agent_state', state: 'on_call', call, reason: null, detail: '' } },
  { input: { kind: 'tick', now: Date.UTC(2026, 11, 6, 5, 3, 27) } },
];
const screens: [string, Recorded[]][] = [
  ['available', login],
  ['ringing, contact popped', [...login, ...fixture('inbound-screen-pop').slice(0, 3)]],
  ['chooser', [...login, ...fixture('inbound-chooser').slice(0, 3)]],
  ['no match', [...login, ...fixture('inbound-no-match').slice(0, 2)]],
  ['on a call with the Case', onCall(fixture('inbound-screen-pop').slice(0, 3).concat([{ recv: { type: 'crm', call: 'c-100', notice: { type: 'show_case', case: { id: 'x', label: 'CS0001001' } } } }]), 'c-100')],
  ['transfer rule', [...login, ...fixture('transfer-rule').slice(0, 6)]],
  ['missed call', [...login, ...fixture('missed-call')]],
  ['outbound busy', [...login, ...fixture('outbound-busy')]],
  ['after-call work', [...login, ...fixture('inbound-screen-pop'), { input: { kind: 'server', message: { type: 'wrap_up', call: 'c-100', case: { id: 'x', label: 'CS0001001' }, ends_at: null, ends_in_ms: 0 } } }]],
  ['reconnecting', [...login, { input: { kind: 'socket_closed', code: 1006, jitter: 0 } }, { input: { kind: 'socket_closed', code: 1006, jitter: 0 } }]],
  ['other tab', [...login, { input: { kind: 'other_tab_active' } }]],
  ['hostile names', [...login, ...fixture('hostile-names')]],
];

const lang: Lang = new URLSearchParams(location.search).get('lang') === 'ja' ? 'ja' : 'en';
document.documentElement.lang = lang;
const t = texts(lang);
const root = document.getElementById('gallery');
if (root) {
  render(
    <div class="gallery">
      {screens.map(([name, steps]) => (
        <figure key={name}>
          <figcaption>{name}</figcaption>
          <div class="frame">
            <App
              ui={{ t, act: () => {} }}
              state={play(steps)}
              profile={profile}
              colleagues={[{ name: 'bob', display_name: 'Bob Ito', state: 'available' }, { name: 'carol', display_name: 'Carol Mori', state: 'on_call' }]}
              crmBusy={false}
              announcement=""
              setLang={() => {}}
              onLink={() => {}}
              onUnlink={() => {}}
              onRetry={() => {}}
            />
          </div>
        </figure>
      ))}
    </div>,
    root,
  );
}
