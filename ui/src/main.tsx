// Wiring: boot (session, profile, or today's ticket URL), the store, the adapters, the intake of
// click-to-dial from every source, keyboard shortcuts, and rendering on every change.
import { render } from 'preact';
import { ApiError, createApi, type Colleague, type Profile } from './api';
import { tablesOf } from './adapters/crm-links';
import { createExecutor } from './adapters/executor';
import { createMediaSession } from './adapters/media';
import { createNotifier } from './adapters/notify';
import { connectOpenFrame, type OpenFrameHost } from './adapters/openframe';
import { createRingtone } from './adapters/ringtone';
import { createSocket } from './adapters/socket';
import { createTabClaim } from './adapters/tabs';
import { App } from './components/App';
import { shortcuts } from './components/ShortcutList';
import { SignInForm, signInProblem } from './components/SignInForm';
import { pickLanguage, texts, type Lang, type Texts } from './i18n';
import { parseOpenFrameCommunication } from './intake/openframe';
import { parseDialFromUrl } from './intake/page-url';
import { parseDialMessage } from './intake/post-message';
import { initialState, liveCall } from './state/reducer';
import { createStore } from './state/store';
import type { Intent, PresenceIndicator } from './state/types';
import './styles.css';

const langKey = 'callbridge.lang';
const root = document.getElementById('app');
const api = createApi((input, init) => fetch(input, init));

// `?lang=ja` (for example in the OpenFrame configuration's URL) wins over the remembered choice.
const urlLang = new URLSearchParams(location.search).get('lang');
let t: Texts = texts(pickLanguage(navigator.languages, urlLang ?? rememberedLang()));
document.documentElement.lang = t.lang;

// Inside the CRM's frame the page is a third-party context, where browsers may block storage
// (`localStorage` then throws): the language is then simply not remembered.
function rememberedLang(): string | null {
  try {
    return localStorage.getItem(langKey);
  } catch {
    return null;
  }
}

function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(langKey, lang);
  } catch {
    // Not remembered; the choice holds for this page.
  }
}

function socketUrlFrom(path: string): string {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

async function boot(): Promise<void> {
  if (!root) return;
  const params = new URLSearchParams(location.search);
  // Today's server: the URL `callbridge softphone-url` prints, passed as ?ws=... (no sign-in).
  const ticketUrl = params.get('ws');
  let profile: Profile | null = null;
  let socketUrl: string;
  if (ticketUrl) {
    socketUrl = ticketUrl;
  } else {
    let problem: string | null = null;
    const session = await api.session().catch((e: unknown) => {
      problem = e instanceof ApiError ? e.message : String(e);
      return null;
    });
    if (!session) {
      showSignIn(problem);
      return;
    }
    try {
      profile = await api.profile();
    } catch (e) {
      showSignIn(e instanceof ApiError ? e.message : String(e));
      return;
    }
    socketUrl = socketUrlFrom(profile.softphone_path);
  }
  start(socketUrl, profile);
}

function showSignIn(error: string | null, busy = false): void {
  if (!root) return;
  render(
    <SignInForm
      m={t.m}
      error={error}
      busy={busy}
      tenant={new URLSearchParams(location.search).get('tenant') ?? ''}
      onSubmit={(tenant, user, password) => {
        showSignIn(null, true);
        api.signIn(tenant, user, password).then(
          () => { void boot(); },
          (e: unknown) => { showSignIn(signInProblem(t.m, e)); },
        );
      }}
    />,
    root,
  );
}

function start(socketUrl: string, initialProfile: Profile | null): void {
  if (!root) return;
  let profile = initialProfile;
  let colleagues: Colleague[] = [];
  let announcement = '';
  let crmBusy = false;
  let openFrame: OpenFrameHost | null = null;

  const ringtone = createRingtone();
  const notifier = createNotifier();
  // The OpenFrame presence indicator last shown, to say it again in another language.
  let presence: PresenceIndicator | null = null;
  const store = createStore(initialState(Date.now()), (effect) => {
    if (effect.kind === 'presence_indicator') presence = effect.presence;
    execute(effect);
  });
  const dispatch = (input: Parameters<typeof store.dispatch>[0]) => { store.dispatch(input); };
  const act = (intent: Intent) => { dispatch({ kind: 'intent', intent }); };
  const tabs = createTabClaim(new URL(socketUrl).pathname, () => { dispatch({ kind: 'other_tab_active' }); });
  const execute = createExecutor({
    socket: createSocket(() => socketUrl, dispatch),
    media: createMediaSession(dispatch),
    ringtone,
    notifier,
    tabs,
    texts: () => t,
    openFrame: () => openFrame,
    crm: () => (profile?.crm ? { instanceUrl: profile.crm.instance_url, tables: tablesOf(profile.crm.tables) } : null),
    announce: (text) => {
      // Clear first so the same words said twice are announced twice.
      announcement = '';
      paint();
      requestAnimationFrame(() => { announcement = text; paint(); });
    },
    afterPaint: (task) => {
      // A hidden tab gets no animation frames (and paints nothing): run the task at once.
      if (document.hidden) {
        setTimeout(task, 0);
        return;
      }
      // Animation-frame callbacks run before that frame's paint; a task queued from one runs
      // after it.
      requestAnimationFrame(() => { setTimeout(task, 0); });
    },
    dispatch,
  });

  let painting = false;
  const paint = () => {
    if (painting) return;
    painting = true;
    requestAnimationFrame(() => {
      painting = false;
      render(
        <App
          ui={{ t, act }}
          state={store.getState()}
          profile={profile}
          colleagues={colleagues}
          crmBusy={crmBusy}
          announcement={announcement}
          setLang={(lang: Lang) => {
            t = texts(lang);
            rememberLang(lang);
            document.documentElement.lang = lang;
            if (presence) execute({ kind: 'presence_indicator', presence });
            else openFrame?.setTitle(t.m.appTitle);
            paint();
          }}
          onLink={() => { linkCrm(); }}
          onUnlink={() => { unlinkCrm(); }}
          onRetry={() => { act({ kind: 'reconnect_now' }); }}
        />,
        root,
      );
      document.title = t.m.appTitle;
    });
  };
  store.subscribe(paint);
  // Signed out elsewhere (close code 4401): start over at the sign-in form.
  store.subscribe((state) => { if (state.connection.status === 'signed_out') location.reload(); });

  const refreshProfile = () => {
    if (!initialProfile) return;
    api.profile().then((p) => { profile = p; paint(); }, () => {});
  };
  const linkCrm = () => {
    crmBusy = true;
    paint();
    api.startCrmLink().then(
      ({ start_url }) => {
        const popup = window.open(start_url, 'callbridge-crm-link', 'popup,width=520,height=680');
        const watch = setInterval(() => {
          if (!popup || popup.closed) {
            clearInterval(watch);
            crmBusy = false;
            refreshProfile();
          }
        }, 500);
      },
      () => { crmBusy = false; paint(); },
    );
  };
  const unlinkCrm = () => {
    crmBusy = true;
    paint();
    void api.unlinkCrm().finally(() => { crmBusy = false; refreshProfile(); });
  };

  // Clock: call timers, reconnect countdowns.
  setInterval(() => { dispatch({ kind: 'tick', now: Date.now() }); }, 1_000);
  document.addEventListener('visibilitychange', () => { dispatch({ kind: 'page_visibility', hidden: document.hidden }); });
  // Audio and notifications need a user gesture once.
  document.addEventListener('pointerdown', () => { ringtone.unlock(); notifier.ask(); }, { once: true });

  // Keyboard shortcuts (listed on screen).
  document.addEventListener('keydown', (event) => {
    if (!event.altKey || event.isComposing || event.ctrlKey || event.metaKey) return;
    const key = event.code.replace(/^Key/, '').toLowerCase();
    const live = liveCall(store.getState());
    let intent: Intent | null = null;
    if (key === shortcuts.answer && live?.phase === 'ringing') intent = { kind: 'answer' };
    else if (key === shortcuts.decline && live?.phase === 'ringing') intent = { kind: 'decline' };
    else if (key === shortcuts.hangUp && live && live.phase !== 'ringing') intent = { kind: 'hang_up' };
    else if (key === shortcuts.mute && live?.phase === 'on_call') intent = { kind: 'mute', on: !store.getState().muted };
    if (intent) {
      event.preventDefault();
      act(intent);
    }
  });

  // Click-to-dial intake: the page URL, tel: links, postMessage, OpenFrame.
  const fromUrl = parseDialFromUrl(location.search);
  if (fromUrl) act({ kind: 'dial_request', request: fromUrl });
  try {
    navigator.registerProtocolHandler('tel', `${location.origin}${location.pathname}?tel=%s`);
  } catch {
    // Not allowed here (an iframe, an insecure context): clicks still arrive through OpenFrame.
  }
  window.addEventListener('message', (event: MessageEvent) => {
    const allowed = [location.origin, ...(profile?.tenant.allowed_origins ?? [])];
    const request = parseDialMessage(event.data, event.origin, allowed);
    if (request) act({ kind: 'dial_request', request });
  });
  if (profile?.crm) {
    void connectOpenFrame(profile.crm.instance_url, t.m.appTitle, (payload) => {
      const request = parseOpenFrameCommunication(payload);
      if (request) act({ kind: 'dial_request', request });
    }).then((host) => { openFrame = host; });
  }
  if (profile) {
    const tenant = profile.tenant.id;
    const loadColleagues = () => { api.colleagues(tenant).then((c) => { colleagues = c.agents; paint(); }, () => {}); };
    loadColleagues();
    setInterval(loadColleagues, 15_000);
  }

  dispatch({ kind: 'page_visibility', hidden: document.hidden });
  dispatch({ kind: 'start' });
  paint();
}

void boot();
