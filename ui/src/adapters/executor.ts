// Carries out the reducer's effects with the adapters. The only place effects meet the world.
import type { Texts } from '../i18n';
import type { Effect, Input } from '../state/types';
import { contactOfRecord, formRef, formUrl, type CrmTables } from './crm-links';
import type { MediaSession } from './media';
import type { Notifier } from './notify';
import type { OpenFrameHost } from './openframe';
import type { Ringtone } from './ringtone';
import type { SocketAdapter } from './socket';
import type { TabClaim } from './tabs';

export interface Adapters {
  socket: SocketAdapter;
  media: MediaSession;
  ringtone: Ringtone;
  notifier: Notifier;
  tabs: TabClaim;
  texts: () => Texts;
  openFrame: () => OpenFrameHost | null;
  crm: () => { instanceUrl: string; tables: CrmTables } | null;
  announce: (text: string) => void;
  /** Runs `task` once the frame that shows the current state has been painted. */
  afterPaint: (task: () => void) => void;
  dispatch: (input: Input) => void;
}

export function createExecutor(a: Adapters): (effect: Effect) => void {
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  return (effect) => {
    switch (effect.kind) {
      case 'send':
      case 'send_proposed':
        a.socket.send(effect.message);
        return;
      case 'connect':
        clearTimeout(reconnectTimer);
        a.socket.connect();
        return;
      case 'disconnect':
        clearTimeout(reconnectTimer);
        a.socket.disconnect();
        return;
      case 'reconnect':
        // The countdown is in the state; the tick that reaches `retryAt` emits `connect`. This
        // timer only makes sure that happens on time even when ticks are throttled (hidden tab).
        clearTimeout(reconnectTimer);
        reconnectTimer = setTimeout(() => { a.dispatch({ kind: 'tick', now: Date.now() }); }, effect.afterMs);
        return;
      case 'start_media':
        a.media.start();
        return;
      case 'apply_media_answer':
        a.media.applyAnswer(effect.sdp);
        return;
      case 'stop_media':
        a.media.stop();
        return;
      case 'mute':
        a.media.setMuted(effect.on);
        return;
      case 'dtmf':
        a.media.sendDtmf(effect.tones);
        return;
      case 'ring':
        if (effect.on) a.ringtone.start();
        else a.ringtone.stop();
        return;
      case 'notify': {
        const t = a.texts();
        a.notifier.show(t.m.notificationTitle, t.m.notificationBody({ caller: t.caller(effect.caller) }), effect.call);
        return;
      }
      case 'announce': {
        const text = a.texts().announcement(effect.announcement);
        a.announce(text);
        // Inside ServiceNow the panel may be collapsed: news the agent must not miss is toasted.
        const kind = effect.announcement.kind;
        if (kind === 'case_created') a.openFrame()?.toast(text, 'info');
        else if (kind === 'connection_lost') a.openFrame()?.toast(text, 'warning');
        else if (kind === 'call_ended' && effect.announcement.outcome.kind === 'dial_failed') a.openFrame()?.toast(text, 'error');
        return;
      }
      case 'open_crm': {
        const crm = a.crm();
        if (!crm) return;
        const ref = formRef(effect.target, crm.tables);
        const frame = a.openFrame();
        if (frame) {
          frame.openForm(ref);
          return;
        }
        const url = formUrl(crm.instanceUrl, ref);
        // Opening a tab holds this page up for tens of milliseconds: the contact's name is
        // painted first, so the agent sees who calls before the CRM's form opens.
        if (url) a.afterPaint(() => { window.open(url, '_blank', 'noopener'); });
        return;
      }
      case 'link_dial_context': {
        const crm = a.crm();
        const contact = crm ? contactOfRecord(effect.context, crm.tables) : null;
        if (contact) a.socket.send({ type: 'choose_contact', call: effect.call, contact });
        return;
      }
      case 'claim_tab':
        a.tabs.claim();
        return;
      case 'presence_indicator': {
        const t = a.texts();
        const labels: Record<typeof effect.presence, string> = {
          available: t.m.agentState.available,
          away: t.m.agentState.unavailable,
          wrap_up: t.m.agentState.wrap_up,
          busy: t.m.presenceBusy,
          offline: t.m.agentState.offline,
        };
        const label = labels[effect.presence];
        const frame = a.openFrame();
        frame?.setPresence(effect.presence, label);
        frame?.setTitle(`${t.m.appTitle} · ${label}`);
        return;
      }
      case 'show_frame':
        a.openFrame()?.show();
        return;
    }
  };
}
