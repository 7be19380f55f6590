// Desktop notifications for a call ringing while the tab is hidden.
export interface Notifier {
  /** Ask once, from a user gesture. */
  ask(): void;
  show(title: string, body: string, tag: string): void;
}

export function createNotifier(): Notifier {
  const supported = typeof Notification !== 'undefined';
  return {
    ask() {
      if (supported && Notification.permission === 'default') void Notification.requestPermission();
    },
    show(title, body, tag) {
      if (!supported || Notification.permission !== 'granted') return;
      const note = new Notification(title, { body, tag, requireInteraction: true });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    },
  };
}
