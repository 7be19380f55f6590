// Reading what the harnesses time from outside the page: the server's log lines (tracing's
// RFC 3339 timestamps, microseconds, UTC) and sipp's message trace.
import { readFileSync } from 'node:fs';

/** Epoch milliseconds (with microseconds) of an RFC 3339 / ISO timestamp with a fraction. */
export function epochMs(stamp: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(stamp.trim());
  if (!m) throw new Error(`not a timestamp: ${stamp}`);
  const whole = Date.parse(`${m[1] ?? ''}T${m[2] ?? ''}${m[4] ?? 'Z'}`);
  const fraction = Number(`0.${m[3] ?? '0'}`);
  return whole + fraction * 1_000;
}

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g;

export interface LogLine {
  at: number;
  text: string;
}

/** The server's log lines whose message contains `message`, in order. */
export function serverLines(output: string, message: string): LogLine[] {
  return output
    .replace(ansi, '')
    .split('\n')
    .filter((line) => line.includes(message))
    .flatMap((line) => {
      const stamp = /^(\S+)/.exec(line)?.[1];
      return stamp && /^\d{4}-/.test(stamp) ? [{ at: epochMs(stamp), text: line }] : [];
    });
}

/** A `key=value` field of a log line. */
export function field(line: string, key: string): string | null {
  return new RegExp(`\\b${key}=(\\S+)`).exec(line)?.[1] ?? null;
}

/**
 * When sipp sent its first INVITE, from its `-trace_msg` file: each message is preceded by a
 * line of dashes ending in the local date and time with microseconds, and sipp runs on this
 * machine, so the local clock is this process's.
 */
export function sippInviteSentAt(messageFile: string): number | null {
  const lines = readFileSync(messageFile, 'utf8').split('\n');
  for (let i = 0; i < lines.length - 2; i++) {
    const stamp = /^-+ (\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2})\.(\d+)/.exec(lines[i] ?? '');
    if (!stamp) continue;
    const firstLine = lines.slice(i + 2).find((l) => l.trim() !== '') ?? '';
    const sent = /message sent/.test(lines[i + 1] ?? '') && /^\s*INVITE /.test(firstLine);
    if (!sent) continue;
    // A local time: Date's local parsing of "YYYY-MM-DDTHH:MM:SS" (no zone) is local time.
    const whole = new Date(`${stamp[1] ?? ''}T${stamp[2] ?? ''}`).getTime();
    return whole + Number(`0.${stamp[3] ?? '0'}`) * 1_000;
  }
  return null;
}
