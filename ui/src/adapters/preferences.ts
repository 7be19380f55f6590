// The agent's remembered choices (the language), in localStorage when the browser lets this page
// have it. Inside the CRM's iframe a browser that blocks third-party storage throws on the mere
// read of `localStorage`; the softphone then works without remembering.
export interface Preferences {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

export function createPreferences(storage: () => Storage = () => window.localStorage): Preferences {
  return {
    get(key) {
      try {
        return storage().getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        storage().setItem(key, value);
      } catch {
        // Not remembered; the choice holds for this page.
      }
    },
  };
}
