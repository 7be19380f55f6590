// One active tab per agent in this browser: the tab that connects says so on a BroadcastChannel,
// and the others step aside (the server would otherwise bounce the session between them).
export interface TabClaim {
  claim(): void;
  close(): void;
}

export function createTabClaim(name: string, onOtherTab: () => void): TabClaim {
  if (typeof BroadcastChannel === 'undefined') return { claim() {}, close() {} };
  const id = crypto.randomUUID();
  const channel = new BroadcastChannel(`callbridge-softphone:${name}`);
  channel.onmessage = (event: MessageEvent<{ type?: string; id?: string }>) => {
    if (event.data.type === 'claim' && event.data.id !== id) onOtherTab();
  };
  return {
    claim() { channel.postMessage({ type: 'claim', id }); },
    close() { channel.close(); },
  };
}
