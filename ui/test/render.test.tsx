import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { ApiError, type Profile } from '../src/api';
import { App } from '../src/components/App';
import { SignInForm, signInProblem } from '../src/components/SignInForm';
import { texts, type Lang } from '../src/i18n';
import type { Intent, State } from '../src/state/types';
import { loadFixture, replay } from './replay';

const login = loadFixture('login');

const profile: Profile = {
  tenant: { id: 'acme', name: 'Acme Support', region: 'JP', allowed_origins: ['https://acme.service-now.com'] },
  agent: { name: 'alice', display_name: 'Alice Tanaka', role: 'agent' },
  crm: {
    kind: 'servicenow',
    instance_url: 'https://acme.service-now.com',
    tables: { contact: 'customer_contact', consumer: 'csm_consumer', case: 'sn_customerservice_case' },
    link: { state: 'linked', user: 'alice.tanaka', linked_at: '2026-12-01T09:00:00Z' },
  },
  queues: [{ name: 'support', wrap_up_seconds: 30 }],
  disposition_codes: [{ code: 'resolved', label: { en: 'Resolved', ja: '解決' } }],
  softphone_path: '/api/v1/tenants/acme/agents/alice/softphone',
};

function html(state: State, lang: Lang = 'en', withProfile: Profile | null = profile): string {
  const acts: Intent[] = [];
  return renderToString(
    <App
      ui={{ t: texts(lang), act: (i) => acts.push(i) }}
      state={state}
      profile={withProfile}
      colleagues={[{ name: 'bob', display_name: 'Bob <b>Ito</b>', state: 'available' }]}
      crmBusy={false}
      announcement=""
      setLang={() => {}}
      onLink={() => {}}
      onUnlink={() => {}}
      onRetry={() => {}}
    />,
  );
}

function after(...names: string[]): State {
  return replay([...login, ...names.flatMap((n) => loadFixture(n))]).state;
}

describe('screens', () => {
  it('shows hostile names, queues, Case labels and colleagues as text, never as markup', () => {
    const ringing = replay([...login, ...loadFixture('hostile-names')]).state;
    const ringingOut = html(ringing);
    expect(ringingOut).not.toMatch(/<script|<img|<svg|<b>|<i>/i);
    expect(ringingOut).toContain('Queue: &lt;img src=x onerror=alert(1)>');
    expect(ringingOut).toContain('Transferred by &lt;b>bob&lt;/b>');
    const state = replay([...login, ...loadFixture('hostile-names'), { intent: { kind: 'answer' } },
      { recv: { type: 'agent_state', state: 'on_call', call: 'c-666', reason: null, detail: '' } }]).state;
    for (const lang of ['en', 'ja'] as const) {
      const out = html(state, lang);
      expect(out).not.toMatch(/<script|<img|<svg|<b>|<i>/i);
      expect(out).toContain("&lt;script>alert('pwned')&lt;/script>");
      expect(out).toContain('&quot;>&lt;svg onload=alert(2)>');
      expect(out).toContain('&lt;i>CS0006666&lt;/i>');
      expect(out).toContain('Bob &lt;b>Ito&lt;/b>');
    }
  });

  it("names the agent's queues, and the new ones after the server's queues news, in both languages", () => {
    const loggedIn = replay(login).state;
    expect(html(loggedIn)).toContain('Your queues: support, sales');
    const moved = replay([{ recv: { type: 'queues', queues: ['billing', '<b>vip</b>'] } }], loggedIn).state;
    expect(html(moved)).toContain('Your queues: billing, &lt;b>vip&lt;/b>');
    expect(html(moved, 'ja')).toContain('担当キュー: billing、&lt;b>vip&lt;/b>');
    const none = replay([{ recv: { type: 'queues', queues: [] } }], loggedIn).state;
    expect(html(none)).not.toContain('agent-queues');
  });

  it('ringing: a banner with real, labelled buttons and the shortcuts', () => {
    const state = replay([...login, ...loadFixture('inbound-screen-pop').slice(0, 3)]).state;
    const out = html(state);
    expect(out).toContain('class="ringing"');
    expect(out).toContain('Hanako Yamada');
    expect(out).toMatch(/<button[^>]*aria-keyshortcuts="Alt\+A"[^>]*>Answer<\/button>/);
    expect(out).toMatch(/<button[^>]*>Decline<\/button>/);
    expect(out).toContain('Alt + A');
    expect(out).toContain('aria-live="assertive"');
    const ja = html(state, 'ja');
    expect(ja).toContain('応答');
    expect(ja).toContain('着信');
  });

  it('the chooser, the new-contact offer and the transfer-rule reason', () => {
    const chooser = html(replay([...login, ...loadFixture('inbound-chooser').slice(0, 3)]).state);
    expect(chooser).toContain('2 records hold this number');
    expect(chooser).toContain('Jiro Sato');
    const none = html(after('inbound-no-match'));
    expect(none).toContain('No record holds this number');
    const rule = replay([...login, ...loadFixture('transfer-rule').slice(0, 6)]).state;
    const out = html(rule);
    expect(out).toContain('the agent who answered first has no linked CRM account');
    expect(out).toMatch(/<button[^>]*>Create Case<\/button>/);
    expect(html(rule, 'en', { ...profile, crm: null })).not.toMatch(/>Create Case</);
    // With today's ticket URL there is no profile: the server decides, so the button is offered.
    expect(html(rule, 'en', null)).toMatch(/>Create Case</);
    expect(html(rule, 'en', null)).not.toContain('class="card crm-link"');
  });

  it('in a call: timer, mute, hold, keypad, transfer, hang up, the Case', () => {
    const state = replay([...login, ...loadFixture('inbound-screen-pop').slice(0, 6), { input: { kind: 'tick', now: 1_000_000 + 65_000 } }]).state;
    const out = html(state);
    expect(out).toContain('01:05');
    for (const label of ['Mute', 'Hold', 'Keypad', 'Hang up', 'Case CS0001001', 'Transfer']) expect(out).toContain(label);
    const ja = html(state, 'ja');
    for (const label of ['ミュート', '保留', '切断', 'ケース CS0001001']) expect(ja).toContain(label);
  });

  it('the outcome of a busy outbound call, the dial pad with the number as it will be dialled', () => {
    const out = html(after('outbound-busy'));
    expect(out).toContain('The call did not connect: The line is busy.');
    const typed = replay([...login, { intent: { kind: 'set_dial_number', number: '03-1234-5678' } }]).state;
    expect(html(typed)).toContain('Will dial +81312345678');
    expect(html(typed, 'ja')).toContain('+81312345678 に発信します');
  });

  it('the connection banner counts down, and a replaced tab offers "use here"', () => {
    const lost = replay([...login, { input: { kind: 'socket_closed', code: 1006, jitter: 0 } }, { input: { kind: 'tick', now: 1_000_000 + 4_000 } }]);
    // attempt 1: 500 ms; the tick at +4 s already started the next attempt.
    expect(html(lost.state)).toContain('Reconnecting…');
    expect(html(lost.state, 'ja')).toContain('再接続しています');
    const waiting = replay([...login, { input: { kind: 'socket_closed', code: 1006, jitter: 0 } }]).state;
    expect(html(waiting)).toContain('Reconnecting in 1 s');
    const replaced = replay([...login, { input: { kind: 'other_tab_active' } }]).state;
    expect(html(replaced)).toContain('Use here');
    expect(html(replaced, 'ja')).toContain('ここで使う');
  });

  it('a call kept during a reconnect says so, in both languages', () => {
    const onCall = [...login, ...loadFixture('reconnect-mid-call').slice(0, 3)];
    const waiting = replay([...onCall, { input: { kind: 'socket_closed', code: 1006, jitter: 0 } }]).state;
    expect(html(waiting)).toContain('Your call is kept');
    expect(html(waiting, 'ja')).toContain('通話は保たれています');
    const back = replay([...login, ...loadFixture('reconnect-mid-call')]).state;
    expect(html(back)).not.toContain('Your call is kept');
    expect(html(back)).toContain('Aiko Mori');
  });

  it('after-call work (proposed messages): outcome codes in the agent language', () => {
    const state = replay([
      ...login,
      ...loadFixture('inbound-screen-pop'),
      { input: { kind: 'server', message: { type: 'wrap_up', call: 'c-100', case: null, ends_at: null, ends_in_ms: 0 } } },
    ]).state;
    expect(html(state)).toContain('After-call work');
    expect(html(state)).toContain('Resolved');
    expect(html(state, 'ja')).toContain('解決');
  });

  it('a reload during after-call work shows its disposition form again, in both languages', () => {
    // A fresh page (nothing of the call in memory) is told the wrap-up waits for it.
    const reloaded = replay([
      { input: { kind: 'start' } },
      { input: { kind: 'socket_open' } },
      { recv: { type: 'welcome', tenant: 'acme', agent: 'alice', queues: ['support'] } },
      { recv: { type: 'wrap_up', call: 'c-100', case: null, ends_at: '2026-12-06T05:10:30Z', ends_in_ms: 30_000 } },
      {
        recv: {
          type: 'agent_state', state: 'wrap_up', call: null, reason: null,
          detail: 'Your after-call work is waiting for you: connect your audio (send media_offer).',
        },
      },
    ]).state;
    expect(reloaded.wrapUp).toMatchObject({ call: 'c-100', status: 'editing' });
    expect(html(reloaded)).toContain('After-call work');
    expect(html(reloaded)).toContain('Resolved');
    expect(html(reloaded, 'ja')).toContain('解決');
    // Saving it sends the one submission for that call.
    const saved = replay([{ intent: { kind: 'submit_wrap_up', disposition: 'resolved', notes: 'Called back.' } }], reloaded);
    expect(saved.sent).toEqual([
      { kind: 'send', message: { type: 'submit_wrap_up', call: 'c-100', disposition: 'resolved', notes: 'Called back.' } },
    ]);
  });

  it('the CRM link panel says what integration does and offers the link', () => {
    const state = replay(login).state;
    const crm = profile.crm;
    if (!crm) throw new Error('the test profile has a CRM');
    const unlinked = html(state, 'en', { ...profile, crm: { ...crm, link: { state: 'relink_required', user: null, linked_at: null } } });
    expect(unlinked).toContain('expired or was refused');
    expect(unlinked).toMatch(/>Connect ServiceNow</);
    expect(html(state)).toContain('Linked as alice.tanaka.');
  });
});

describe('the sign-in form', () => {
  it("fills in the contact center the page's ?tenant= names", () => {
    const given = renderToString(<SignInForm m={texts('en').m} error={null} busy={false} tenant="acme" onSubmit={() => {}} />);
    expect(given).toContain('value="acme"');
    const blank = renderToString(<SignInForm m={texts('ja').m} error={null} busy={false} onSubmit={() => {}} />);
    expect(blank).toContain('サインイン');
    expect(blank).not.toContain('value="acme"');
  });

  it('says in the page language that the contact center is not set up yet, and the server\'s words otherwise', () => {
    const notReady = new ApiError(403, 'tenant_not_ready', 'your contact center is not set up yet: ...');
    expect(signInProblem(texts('en').m, notReady)).toMatch(/^Your contact center is not set up yet: .*Ask your admin/);
    expect(signInProblem(texts('ja').m, notReady)).toContain('管理者に');
    const wrong = new ApiError(401, 'bad_credentials', 'the tenant, user name or password is wrong');
    expect(signInProblem(texts('ja').m, wrong)).toBe('the tenant, user name or password is wrong');
    const out = renderToString(<SignInForm m={texts('ja').m} error={signInProblem(texts('ja').m, notReady)} busy={false} onSubmit={() => {}} />);
    expect(out).toContain('role="alert"');
    expect(out).toContain('セットアップがまだ終わっていません');
  });
});
