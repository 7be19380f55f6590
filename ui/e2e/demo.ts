// Starts `callbridge demo` (CALLBRIDGE_BIN) on free loopback ports with a temporary data
// directory, reads what its banner prints, and stops it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Demo {
  /** `http://127.0.0.1:<port>`: the softphone is `<publicUrl>/`. */
  publicUrl: string;
  /** The console's address as the banner's `console` line prints it (`<publicUrl>/console`). */
  consoleUrl: string | null;
  /** The embedded ServiceNow sandbox, `https://127.0.0.1:<port>`. */
  sandboxUrl: string;
  /** The sandbox's own accounts (the CRM sign-in when linking), by user name. */
  crmPasswords: Map<string, string>;
  /** Callbridge's demo accounts (the softphone's sign-in, tenant `demo`), by user name. */
  passwords: Map<string, string>;
  /** CRM-link URLs by agent (`…/crm-link?ticket=…`). */
  linkUrls: Map<string, string>;
  /** Softphone WebSocket URLs with a ticket, by agent. */
  socketUrls: Map<string, string>;
  /** The arguments of `callbridge demo call …` as the banner prints them. */
  callArgs: string[];
  /** The number whose calls are followed by after-call work (the banner's `after-call work` line). */
  afterCallNumber: string | null;
  /** The customer page's URL with its ticket (`…/demo/customer#ticket=…`), when the banner has one. */
  customerUrl: string | null;
  /** The demo's `--data` directory (its recordings are under `recordings/`). */
  data: string;
  /** Where its click-to-dial calls go (`--outbound-trunk`): `127.0.0.1:<port>`. */
  outboundTrunk: { host: string; port: number };
  /** Everything the demo printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export const bin = process.env.CALLBRIDGE_BIN ?? '';

/** A port nobody listens on right now (the OS's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

/** Reads the banner's lines into a [`Demo`]. Exported for its own test. */
export function parseBanner(text: string): Omit<Demo, 'output' | 'stop' | 'data' | 'outboundTrunk'> {
  const lines = text.split('\n');
  const publicUrl = /^Callbridge\s+(http\S+)/m.exec(text)?.[1];
  if (!publicUrl) throw new Error(`no "Callbridge <url>" line in the demo's banner:\n${text}`);
  const consoleUrl = /^\s+console\s+(http\S+)/m.exec(text)?.[1] ?? null;
  const sandboxUrl = /^ServiceNow sandbox\s+(https?:\/\/\S+)/m.exec(text)?.[1];
  if (!sandboxUrl) throw new Error(`no "ServiceNow sandbox <url>" line in the demo's banner:\n${text}`);
  const crmPasswords = new Map<string, string>();
  const passwords = new Map<string, string>();
  const linkUrls = new Map<string, string>();
  const socketUrls = new Map<string, string>();
  let callArgs: string[] = [];
  let customerUrl: string | null = null;
  const afterCallNumber = /^\s+after-call work\s+number (\+\d+)/m.exec(text)?.[1] ?? null;
  for (const line of lines) {
    const customer = /^\s+customer\s+(https?:\/\/\S+)/.exec(line);
    if (customer?.[1]) customerUrl = customer[1];
    const agent = /^\s+agent\s+(\S+)\s+password\s+(\S+)/.exec(line);
    if (agent?.[1] && agent[2]) crmPasswords.set(agent[1], agent[2]);
    const account = /^\s+account\s+(\S+)\s+password\s+(\S+)/.exec(line);
    if (account?.[1] && account[2]) passwords.set(account[1], account[2]);
    const url = /^\s{4}(\S+)\s+((?:https?|wss?):\/\/\S+)$/.exec(line);
    if (url?.[1] && url[2]) {
      if (url[2].includes('/crm-link?')) linkUrls.set(url[1], url[2]);
      if (url[2].includes('/softphone?')) socketUrls.set(url[1], url[2]);
    }
    const call = /place a call\s+callbridge demo call (.+)$/.exec(line);
    if (call?.[1]) callArgs = call[1].trim().split(/\s+/);
  }
  return {
    publicUrl, consoleUrl, sandboxUrl, crmPasswords, passwords, linkUrls, socketUrls, callArgs, customerUrl, afterCallNumber,
  };
}

/** A start that failed because a port picked as free was taken before the demo bound it. */
class PortTaken extends Error {}

/** `ownTrunk`: leave `--outbound-trunk` at its default, the demo's own SIP listener, where the
 *  seeded contacts' numbers ring the customer page (otherwise a free port, for a test's sipp).
 *
 *  A free port is only free when it is picked: between `freePort()` and the demo's bind, another
 *  process (a parallel test file's demo, sipp, a browser) may take it. That start fails with
 *  "Address already in use" and is tried again on new ports; any other failure is thrown. */
export async function startDemo(options: { ownTrunk?: boolean } = {}): Promise<Demo> {
  const attempts = 4;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startDemoOnce(options);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === attempts) throw error;
    }
  }
}

async function startDemoOnce(options: { ownTrunk?: boolean }): Promise<Demo> {
  if (!bin) throw new Error('set CALLBRIDGE_BIN to the callbridge binary (e.g. target/debug/callbridge)');
  const data = mkdtempSync(join(tmpdir(), 'callbridge-e2e-'));
  const [listen, sandbox, sip, trunk] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const outboundTrunk = { host: '127.0.0.1', port: options.ownTrunk ? sip : trunk };
  const child: ChildProcess = spawn(
    bin,
    [
      'demo',
      '--listen', `127.0.0.1:${listen}`,
      '--sandbox-listen', `127.0.0.1:${sandbox}`,
      '--sip-listen', `127.0.0.1:${sip}`,
      ...(options.ownTrunk ? [] : ['--outbound-trunk', `${outboundTrunk.host}:${outboundTrunk.port}`]),
      '--data', data,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code); }); });
  const ready = await Promise.race([
    (async () => {
      while (!output.includes('Press Ctrl-C to stop.')) await new Promise((r) => setTimeout(r, 100));
      return true;
    })(),
    exited.then(() => false),
    new Promise<false>((r) => setTimeout(() => { r(false); }, 60_000)),
  ]);
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGINT');
      const killer = setTimeout(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(data, { recursive: true, force: true });
  };
  if (!ready) {
    await stop();
    if (output.includes('Address already in use')) throw new PortTaken(`a port was taken before the demo bound it:\n${output}`);
    throw new Error(`callbridge demo did not start:\n${output}`);
  }
  return { ...parseBanner(output), data, outboundTrunk, output: () => output, stop };
}

/** Places one customer call into the demo (`callbridge demo call …`), as the banner says (from
 *  another number when `from` is given, to another of the demo's numbers when `to` is). */
export function placeCall(demo: Demo, seconds: number, from?: string, to?: string): { done: Promise<string>; stop: () => void } {
  const args = demo.callArgs
    .filter((_, i, all) => all[i - 1] !== '--seconds' && all[i] !== '--seconds')
    .map((arg, i, all) => (from !== undefined && all[i - 1] === '--from' ? from : arg));
  const toArgs = to === undefined ? [] : ['--to', to];
  const child = spawn(bin, ['demo', 'call', ...args, ...toArgs, '--seconds', String(seconds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const done = new Promise<string>((resolve) => { child.on('exit', () => { resolve(output); }); });
  return { done, stop: () => { if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGINT'); } };
}
