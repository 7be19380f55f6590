// What a brand-new tenant's onboarding needs besides Callbridge: a ServiceNow instance that
// knows nothing of Callbridge (`callbridge sandbox --seed empty`), its admin's Table API, an
// S3-compatible server (s3s-fs, `callbridge-test-s3`, built with the workspace's binaries), and a
// carrier's call (sipp with the demo's scenario). Each process on loopback, stopped by pid.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { request, type APIRequestContext } from 'playwright-core';
import { bin, freePort } from './demo';

/** A child process whose output is kept, stopped by pid (SIGINT, then SIGKILL after 10 s). */
interface Running {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

function run(command: string, args: string[]): Running {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code); }); });
  return {
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      process.kill(child.pid, 'SIGINT');
      const killer = setTimeout(() => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Waits until `ready` holds for the output, the process exits, or 60 s pass. */
async function started(process: Running, ready: (output: string) => boolean): Promise<boolean> {
  return Promise.race([
    (async () => {
      while (!ready(process.output())) await new Promise((r) => setTimeout(r, 50));
      return true;
    })(),
    process.exited.then(() => ready(process.output())),
    new Promise<false>((r) => setTimeout(() => { r(false); }, 60_000)),
  ]);
}

/** Starts `once` again (up to 4 times) when a port picked as free was taken before its bind. */
async function retryingPorts<T>(what: string, once: () => Promise<T | 'port taken'>): Promise<T> {
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    const result = await once();
    if (result !== 'port taken') return result;
  }
  throw new Error(`${what}: a port picked as free was taken four times`);
}

export interface EmptyInstance {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** The CA that signed the instance's certificate (the operator's `tenant add --ca-file`). */
  caFile: string;
  admin: { user: string; password: string };
  /** The OAuth client the instance registered (System OAuth > Application Registry). */
  client: { id: string; secret: string };
  stop(): Promise<void>;
}

/** `callbridge sandbox --seed empty`: an instance with platform rows only, its own data dir. */
export function startEmptyInstance(): Promise<EmptyInstance> {
  return retryingPorts('callbridge sandbox', async () => {
    const data = mkdtempSync(join(tmpdir(), 'callbridge-e2e-instance-'));
    const port = await freePort();
    const sandbox = run(bin, ['sandbox', '--listen', `127.0.0.1:${port}`, '--data', data, '--seed', 'empty']);
    const stop = async () => { await sandbox.stop(); rmSync(data, { recursive: true, force: true }); };
    if (!await started(sandbox, (o) => o.includes('Press Ctrl-C to stop.'))) {
      await stop();
      if (sandbox.output().includes('Address already in use')) return 'port taken';
      throw new Error(`callbridge sandbox did not start:\n${sandbox.output()}`);
    }
    const text = sandbox.output();
    const url = /base URL:\s+(\S+)/.exec(text)?.[1];
    const admin = /admin:\s+(\S+) \/ (\S+)/.exec(text);
    const client = /OAuth client:\s+id (\S+)\s+secret (\S+)/.exec(text);
    const caFile = /CA certificate:\s+(\S+)/.exec(text)?.[1];
    if (url === undefined || caFile === undefined || !admin?.[1] || !admin[2] || !client?.[1] || !client[2]) {
      await stop();
      throw new Error(`the sandbox's banner lacks its URL, CA, admin or OAuth client:\n${text}`);
    }
    return { url, caFile, admin: { user: admin[1], password: admin[2] }, client: { id: client[1], secret: client[2] }, stop };
  });
}

export interface S3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The bucket's directory: each object is a file under it, at its key. */
  bucketDir: string;
  stop(): Promise<void>;
}

/** The workspace's `callbridge-test-s3` (s3s-fs), beside the callbridge binary. */
export const s3Bin = process.env.CALLBRIDGE_TEST_S3 ?? join(dirname(bin), 'callbridge-test-s3');

/** s3s-fs on a port the OS picks (no race), serving one bucket from a temporary directory. */
export async function startS3(): Promise<S3> {
  if (!existsSync(s3Bin)) throw new Error(`no ${s3Bin}: build it with \`cargo build -p callbridge-testkit --bins\` (or set CALLBRIDGE_TEST_S3)`);
  const root = mkdtempSync(join(tmpdir(), 'callbridge-e2e-s3-'));
  const bucket = 'acme-calls';
  const accessKeyId = 'AKIAACMERECORDINGS01';
  const secretAccessKey = `acme-${Math.random().toString(36).slice(2)}-secret`;
  const server = run(s3Bin, ['--listen', '127.0.0.1:0', '--root', root, '--bucket', bucket, '--access-key', accessKeyId, '--secret-key', secretAccessKey]);
  const stop = async () => { await server.stop(); rmSync(root, { recursive: true, force: true }); };
  if (!await started(server, (o) => /s3 listening on http:\/\/\S+\n/.test(o))) {
    await stop();
    throw new Error(`callbridge-test-s3 did not start:\n${server.output()}`);
  }
  const endpoint = /s3 listening on (http:\/\/\S+)/.exec(server.output())?.[1] ?? '';
  return { endpoint, bucket, accessKeyId, secretAccessKey, bucketDir: join(root, bucket), stop };
}

/** Every file under `dir`, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path).map((p) => `${name}/${p}`));
    else found.push(name);
  }
  return found;
}

export type CrmRow = Record<string, string>;

/** The instance's Table API as one of its users (Basic authentication), as an admin's script
 *  or the instance's own forms would change it. */
export class TableApi {
  private api: APIRequestContext | undefined;

  constructor(private readonly url: string, private readonly user: string, private readonly password: string) {}

  private async call(method: string, path: string, body?: object): Promise<unknown> {
    // The instance's certificate is signed by the CA the sandbox generated at start.
    this.api ??= await request.newContext({ ignoreHTTPSErrors: true });
    const response = await this.api.fetch(`${this.url}/api/now/table/${path}`, {
      method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`,
        Accept: 'application/json',
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body ? { data: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok()) throw new Error(`${method} ${path} as ${this.user}: ${String(response.status())} ${text}`);
    return (JSON.parse(text) as { result: unknown }).result;
  }

  async dispose(): Promise<void> {
    await this.api?.dispose();
  }

  async list(table: string, query: string): Promise<CrmRow[]> {
    const params = new URLSearchParams({ sysparm_query: query, sysparm_exclude_reference_link: 'true' });
    return await this.call('GET', `${table}?${params.toString()}`) as CrmRow[];
  }

  async one(table: string, query: string): Promise<CrmRow> {
    const rows = await this.list(table, query);
    if (rows.length !== 1 || !rows[0]) throw new Error(`${table} where ${query}: ${String(rows.length)} rows, not one`);
    return rows[0];
  }

  async create(table: string, row: Record<string, string>): Promise<CrmRow> {
    return await this.call('POST', table, row) as CrmRow;
  }

  async update(table: string, sysId: string, row: Record<string, string>): Promise<CrmRow> {
    return await this.call('PATCH', `${table}/${sysId}`, row) as CrmRow;
  }

  /** User Administration > Users > the user > Roles > Edit: grants `role`. */
  async grant(userSysId: string, role: string): Promise<void> {
    const { sys_id: roleId } = await this.one('sys_user_role', `name=${role}`);
    await this.create('sys_user_has_role', { user: userSysId, role: roleId ?? '' });
  }
}

export interface Caller {
  output: () => string;
  /** sipp's exit code once its one call ended (0: answered, talked, hung up). */
  done: Promise<number | null>;
  stop: () => Promise<void>;
}

/** A customer's call from `from` to `to` through the carrier (sipp with the demo's scenario,
 *  `DATA/customer-call.xml`), up for `talkMs` once answered, then hung up. */
export async function sippCall(options: { sip: string; scenario: string; from: string; to: string; talkMs: number }): Promise<Caller> {
  const [host, port] = options.sip.split(':');
  const [own, media] = [await freePort(), await freePort()];
  const sipp = run('sipp', [
    `${host ?? '127.0.0.1'}:${port ?? '5060'}`, '-sf', options.scenario, '-s', options.to.replace(/^\+/, ''),
    '-set', 'caller', options.from, '-m', '1', '-d', String(options.talkMs),
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(own), '-mp', String(media), '-nostdin',
  ]);
  return { output: sipp.output, done: sipp.exited, stop: sipp.stop };
}
