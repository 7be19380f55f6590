import { languageNames, languages, type Lang } from '../i18n';
import type { ConsoleTexts } from './texts';

/** What an agent (or any account that is not staff) sees at `/console`. */
export function NotForAgents({ t, user, setLang, onSignOut }: { t: ConsoleTexts; user: string; setLang: (lang: Lang) => void; onSignOut: () => void }) {
  const { c, m } = t;
  return (
    <div class="console narrow">
      <header class="console-top">
        <p class="brand">{c.title}</p>
        <label class="lang">
          <span class="visually-hidden">{m.language}</span>
          <select value={t.lang} onChange={(e) => { setLang(e.currentTarget.value as Lang); }}>
            {languages.map((l) => <option key={l} value={l} lang={l}>{languageNames[l]}</option>)}
          </select>
        </label>
      </header>
      <main class="console-main card" id="console-main">
        <h1>{c.agentTitle}</h1>
        <p>{c.agentBody({ user })}</p>
        <div class="actions">
          <a class="button primary" href="/">{c.openSoftphone}</a>
          <button type="button" onClick={onSignOut}>{m.signOut}</button>
        </div>
      </main>
    </div>
  );
}
