// sipp (Debian's sip-tester) as the called party of click-to-dial: its built-in UAS scenario on
// loopback answers one call (180, 200 with SDP), echoes the RTP it receives when asked, and
// waits for the BYE. Stopped by pid.
import { spawn } from 'node:child_process';
import { freePort } from './demo';

export interface Answerer {
  /** sipp's own output (its screen and errors), for failure messages. */
  output(): string;
  /** Resolves with sipp's exit code once it has handled its one call (or was stopped). */
  done: Promise<number | null>;
  stop(): void;
}

export async function sippAnswerer(port: number, options: { echo?: boolean } = {}): Promise<Answerer> {
  const media = await freePort();
  const args = ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1', '-nostdin'];
  if (options.echo) args.push('-rtp_echo');
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const done = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code); }); });
  // sipp binds its port at start; give it that moment before a call is placed at it.
  await new Promise((r) => setTimeout(r, 300));
  return {
    output: () => output,
    done,
    stop: () => { if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM'); },
  };
}
