// ServiceNow OpenFrame: when the softphone runs in the instance's OpenFrame panel, it loads the
// instance's own openFrameAPI.min.js, initialises it, listens for click-to-dial, and uses it to
// open records, set the title and presence, show itself and toast. Outside ServiceNow (or when no
// host answers within 3 s) it is absent and the caller falls back to tabs.
import type { PresenceIndicator } from '../state/types';
import type { FormRef } from './crm-links';

/** The part of the global `openFrameAPI` the softphone uses (reference/servicenow.md 5.2). */
export interface OpenFrameApi {
  init(config: object, onSuccess: (snConfig: unknown) => void, onFailure: (error: unknown) => void): void;
  subscribe(event: string, handler: (context: unknown) => void): void;
  setTitle(title: string): void;
  setPresenceIndicator(text: string, color: 'green' | 'orange' | 'grey' | 'red'): void;
  show(): void;
  toastMessage(message: string, kind: 'info' | 'warning' | 'error', ms?: number): void;
  openServiceNowForm(ref: { entity: string; query: string }): void;
  EVENTS?: { COMMUNICATION_EVENT?: string };
}

export interface OpenFrameHost {
  setTitle(title: string): void;
  setPresence(presence: PresenceIndicator, label: string): void;
  show(): void;
  toast(message: string, kind: 'info' | 'warning' | 'error'): void;
  openForm(ref: FormRef): void;
}

export const initTimeoutMs = 3_000;
const colors: Record<PresenceIndicator, 'green' | 'orange' | 'grey' | 'red'> = {
  available: 'green',
  away: 'orange',
  // Not taking calls, like away, until the after-call work is done.
  wrap_up: 'orange',
  busy: 'red',
  offline: 'grey',
};

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.async = true;
    script.onload = () => { resolve(); };
    script.onerror = () => { reject(new Error(`could not load ${src}`)); };
    document.head.append(script);
  });
}

export function openFrameScriptUrl(instanceUrl: string): string {
  return new URL('/scripts/openframe/latest/openFrameAPI.min.js', instanceUrl).toString();
}

/**
 * Initialises a loaded OpenFrame API: the host when `init` succeeds within 3 s, else null (no
 * OpenFrame host answered: the softphone runs standalone).
 */
export async function startOpenFrame(
  api: OpenFrameApi,
  title: string,
  onCommunication: (payload: unknown) => void,
): Promise<OpenFrameHost | null> {
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => { resolve(false); }, initTimeoutMs);
    try {
      api.init(
        { height: 560, width: 360, title },
        () => { clearTimeout(timer); resolve(true); },
        () => { clearTimeout(timer); resolve(false); },
      );
    } catch {
      clearTimeout(timer);
      resolve(false);
    }
  });
  if (!ready) return null;
  api.subscribe(api.EVENTS?.COMMUNICATION_EVENT ?? 'openframe_communication', onCommunication);
  return {
    setTitle: (t) => { api.setTitle(t.slice(0, 256)); },
    setPresence: (presence, label) => { api.setPresenceIndicator(label, colors[presence]); },
    show: () => { api.show(); },
    toast: (message, kind) => { api.toastMessage(message, kind, 5_000); },
    openForm: (ref) => { api.openServiceNowForm(ref); },
  };
}

/** The OpenFrame host, or null when the page is not inside one (or it does not answer). */
export async function connectOpenFrame(
  instanceUrl: string,
  title: string,
  onCommunication: (payload: unknown) => void,
): Promise<OpenFrameHost | null> {
  if (window.parent === window) return null;
  try {
    await loadScript(openFrameScriptUrl(instanceUrl));
  } catch {
    return null;
  }
  const api = (window as unknown as { openFrameAPI?: OpenFrameApi }).openFrameAPI;
  return api ? startOpenFrame(api, title, onCommunication) : null;
}
