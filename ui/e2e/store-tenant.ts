// A tenant kept in the store, for the browser tests of its console pages: added to a running
// `callbridge demo` with the `callbridge tenant add` an operator runs, then its admin signed in
// once the demo has taken it in.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { bin, type Demo } from './demo';

/** Runs `callbridge` with `args`, `stdin` on its standard input; its standard output. */
export function cli(args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('exit', (code) => { if (code === 0) resolve(out); else reject(new Error(`callbridge ${args.join(' ')}: ${err}`)); });
    child.stdin.end(stdin);
  });
}

/** The OAuth client the demo's own tenant signs in to the sandbox with (registered there). */
export function demoClient(demo: Demo): { id: string; secret: string; caFile: string } {
  const config = readFileSync(`${demo.data}/callbridge.toml`, 'utf8');
  const id = /^client_id = "(.+)"$/m.exec(config)?.[1];
  const file = /^client_secret = \{ file = "(.+)" \}$/m.exec(config)?.[1];
  const caFile = /^ca_file = "(.+)"$/m.exec(config)?.[1];
  if (id === undefined || file === undefined || caFile === undefined) {
    throw new Error(`no client_id, client_secret file or ca_file in the demo's configuration:\n${config}`);
  }
  return { id, secret: readFileSync(`${demo.data}/${file}`, 'utf8').trim(), caFile };
}

/** Adds tenant `id` with admin `admin`, its CRM the demo's sandbox with `client` (default:
 *  `<id>-client`, which the sandbox does not know); the admin's one-time password. */
export async function addStoreTenant(demo: Demo, id: string, admin: string, client = { id: `${id}-client`, secret: `${id}-secret` }): Promise<string> {
  const out = await cli(
    ['tenant', 'add', '--config', `${demo.data}/callbridge.toml`, id, '--admin', admin, '--region', 'JP',
      '--instance-url', demo.sandboxUrl, '--client-id', client.id],
    `${client.secret}\n`,
  );
  const password = /^one-time password: (.+)$/m.exec(out)?.[1];
  if (password === undefined) throw new Error(`no one-time password in:\n${out}`);
  return password;
}

/** Signs `user` of `tenant` in on `page` as soon as the running demo takes the tenant's
 *  sign-ins, then waits until `ready` (a console API path) answers: the tenant's settings reach
 *  the server at its next look at the store (every 5 s). */
export async function signInWhenReady(page: Page, demo: Demo, tenant: string, user: string, password: string, ready: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await page.request.post(`${demo.publicUrl}/api/v1/session`, {
      headers: { Origin: demo.publicUrl },
      data: { tenant, user, password },
    });
    if (answer.ok()) break;
    if (Date.now() > deadline) throw new Error(`${tenant} never took sign-ins: ${String(answer.status())} ${await answer.text()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  for (;;) {
    const view = await page.request.get(`${demo.publicUrl}${ready}`);
    if (view.ok()) break;
    if (Date.now() > deadline) throw new Error(`${tenant}'s settings never arrived: ${String(view.status())} ${await view.text()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
