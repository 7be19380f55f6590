// The demo's customer page, wired: the ticket from the URL the demo printed, the page's setup,
// the customer reducer, and the softphone's own adapters (WebSocket, WebRTC audio, ringtone),
// whose inputs are translated into the customer's.
import { render } from 'preact';
import { createMediaSession } from '../adapters/media';
import { createRingtone } from '../adapters/ringtone';
import { createSocket } from '../adapters/socket';
import { pickLanguage, texts, type Lang, type Texts } from '../i18n';
import type { Input as SoftphoneInput } from '../state/types';
import { announcementFor, CustomerPage } from './CustomerPage';
import { initialState, reduce, type CustomerInput, type CustomerState, type Effect, type Setup } from './reducer';
import '../styles.css';
import './customer.css';

const langKey = 'callbridge.lang';
const ticketKey = 'callbridge.demo-customer.ticket';
const root = document.getElementById('app');
const urlLang = new URLSearchParams(location.search).get('lang');
let t: Texts = texts(pickLanguage(navigator.languages, urlLang ?? stored(localStorage, langKey)));
document.documentElement.lang = t.lang;
document.title = t.m.customer.title;

function stored(storage: Storage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function keep(storage: Storage, key: string, value: string): void {
  try {
    storage.setItem(key, value);
  } catch {
    // Not kept: a reload then needs the printed link again.
  }
}

/** The ticket the demo printed after `#ticket=`, kept for reloads of this tab and taken out of
 *  the address bar (it is the page's password). */
function takeTicket(): string | null {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('ticket');
  if (fromUrl) {
    keep(sessionStorage, ticketKey, fromUrl);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return fromUrl;
  }
  return stored(sessionStorage, ticketKey);
}

function showBadLink(): void {
  if (root) render(<div class="app customer"><h1>{t.m.customer.title}</h1><p class="banner warn" role="alert">{t.m.customer.badLink}</p></div>, root);
}

/** The softphone adapters' inputs that mean something to the customer page. */
function translate(input: SoftphoneInput): CustomerInput | null {
  switch (input.kind) {
    case 'socket_open':
      return { kind: 'socket_open' };
    case 'socket_closed':
      return { kind: 'socket_closed', code: input.code };
    case 'server':
      return input.at === undefined ? { kind: 'server', message: input.message } : { kind: 'server', message: input.message, at: input.at };
    case 'media_offer_ready':
      return { kind: 'media_offer_ready', sdp: input.sdp };
    case 'media_failed':
      return { kind: 'media_failed', problem: input.problem };
    default:
      return null;
  }
}

function start(setup: Setup, ticket: string): void {
  if (!root) return;
  const socketUrl = new URL(setup.softphone_path, location.href);
  socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  socketUrl.searchParams.set('ticket', ticket);

  let state: CustomerState = initialState(setup, Date.now());
  let announcement = '';
  const queue: CustomerInput[] = [];
  let running = false;
  const fromAdapters = (input: SoftphoneInput) => {
    const translated = translate(input);
    if (translated) dispatch(translated);
  };
  const socket = createSocket(() => socketUrl.toString(), fromAdapters);
  const media = createMediaSession(fromAdapters);
  const ringtone = createRingtone();
  let focusTarget: string | null = null;

  const execute = (effect: Effect) => {
    switch (effect.kind) {
      case 'connect':
        socket.connect();
        break;
      case 'reconnect_in':
        setTimeout(() => { dispatch({ kind: 'start', now: Date.now() }); }, effect.ms);
        break;
      case 'send':
        socket.send(effect.message);
        break;
      case 'media_start':
        media.start();
        break;
      case 'media_answer':
        media.applyAnswer(effect.sdp);
        break;
      case 'ring':
        if (effect.on) ringtone.start();
        else ringtone.stop();
        break;
      case 'focus':
        focusTarget = effect.target;
        break;
    }
  };

  function dispatch(input: CustomerInput): void {
    queue.push(input);
    if (running) return;
    running = true;
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const before = state;
        const [after, effects] = reduce(state, next, setup);
        state = after;
        for (const effect of effects) execute(effect);
        const said = announcementFor(t, before, after);
        if (said) announcement = said;
        if (after !== before || effects.length > 0) paint();
      }
    } finally {
      running = false;
    }
  }

  let painting = false;
  function paint(): void {
    if (painting) return;
    painting = true;
    requestAnimationFrame(() => {
      painting = false;
      if (!root) return;
      render(
        <CustomerPage
          t={t}
          setup={setup}
          state={state}
          announcement={announcement}
          act={dispatch}
          setLang={(lang: Lang) => {
            t = texts(lang);
            keep(localStorage, langKey, lang);
            document.documentElement.lang = lang;
            document.title = t.m.customer.title;
            paint();
          }}
        />,
        root,
      );
      if (focusTarget) {
        const target = root.querySelector<HTMLElement>(`[data-focus="${focusTarget}"]`);
        focusTarget = null;
        target?.focus();
      }
    });
  }

  setInterval(() => { dispatch({ kind: 'tick', now: Date.now() }); }, 1_000);
  // Audio starts only after a user gesture once.
  document.addEventListener('pointerdown', () => { ringtone.unlock(); }, { once: true });
  document.addEventListener('keydown', () => { ringtone.unlock(); }, { once: true });
  dispatch({ kind: 'start', now: Date.now() });
}

async function boot(): Promise<void> {
  const ticket = takeTicket();
  if (!ticket) {
    showBadLink();
    return;
  }
  const response = await fetch('/demo/customer/setup', { headers: { Authorization: `Bearer ${ticket}` } }).catch(() => null);
  if (!response?.ok) {
    showBadLink();
    return;
  }
  start((await response.json()) as Setup, ticket);
}

void boot();
