// The customer page's screens as HTML, in both languages: each phase shows what the person can do
// next, and names they did not choose (a contact's name) are escaped text.
import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { CustomerPage } from '../src/customer/CustomerPage';
import { initialState, type CustomerState, type Setup } from '../src/customer/reducer';
import { texts, type Lang } from '../src/i18n';

const setup: Setup = {
  softphone_path: '/api/v1/tenants/demo-carrier/agents/customer/softphone',
  contact_center: '+81312345000',
  callers: [
    { number: '+819012345678', name: 'Haruto Tanaka' },
    { number: '+819011112222', name: '<img src=x onerror=alert(1)> Test' },
  ],
};

const readyState: CustomerState = { ...initialState(setup, 0), connection: 'open', audio: 'ready', available: true };

function html(state: CustomerState, lang: Lang = 'en'): string {
  return renderToString(<CustomerPage t={texts(lang)} setup={setup} state={state} announcement="" act={() => {}} setLang={() => {}} />);
}

describe('the customer page', () => {
  it('ready: the callers and the call button, names escaped', () => {
    const page = html(readyState);
    expect(page).toContain('Haruto Tanaka (+819012345678)');
    expect(page).toContain('&lt;img src=x onerror=alert(1)> Test');
    expect(page).not.toContain('<img');
    expect(page).toMatch(/<button[^>]*type="submit"[^>]*>Call \+81312345000<\/button>/);
    expect(html(readyState, 'ja')).toContain('+81312345000 に発信');
  });

  it('connecting: the call button waits for the audio', () => {
    expect(html(initialState(setup, 0))).toMatch(/<button[^>]*disabled[^>]*>Call \+81312345000/);
  });

  it('ringing, connected with its timer, and the last call in words', () => {
    const ringing = html({ ...readyState, phase: { kind: 'incoming', call: 'c-1', from: '+81312345000' } });
    expect(ringing).toContain('Incoming call');
    expect(ringing).toContain('from +81312345000');
    expect(ringing).toContain('>Answer</button>');
    const connected = html({ ...readyState, now: 65_000, phase: { kind: 'connected', call: 'c-1', other: '+81312345000', since: 0, direction: 'out' } }, 'ja');
    expect(connected).toContain('通話中');
    expect(connected).toContain('01:05');
    expect(connected).toContain('>切断</button>');
    const failed = html({ ...readyState, outcome: { kind: 'not_connected', detail: 'The line is busy.' } });
    expect(failed).toContain('The call did not go through. The line is busy.');
  });

  it('replaced by another tab, and a failed microphone, are said plainly', () => {
    expect(html({ ...readyState, connection: 'replaced' })).toContain('open in another tab or window');
    expect(html({ ...readyState, audio: 'failed', problem: 'NotAllowedError: denied' }, 'ja')).toContain('マイクまたは音声を開始できませんでした：NotAllowedError: denied');
  });
});
