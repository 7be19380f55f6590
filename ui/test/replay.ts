// Replays a recorded sequence (test/fixtures/*.json) through the reducer, checking every message
// received and sent against the protocol's schema.
import { readFileSync } from 'node:fs';
import { initialState, reduce } from '../src/state/reducer';
import type { Effect, Input, Intent, State } from '../src/state/types';
import type { ServerMessage } from '../src/protocol';
import { assertClientMessage, assertServerMessage } from './schema';

/** One step of a recording: a frame received, an intent, or another input (socket, tick...). */
export type Recorded =
  | { recv: ServerMessage }
  | { intent: Intent }
  | { input: Input }
  | { comment: string };

export interface Replay {
  state: State;
  effects: Effect[];
  /** Effects per step, in order (comments included as empty lists). */
  perStep: Effect[][];
  sent: Effect[];
}

export function loadFixture(name: string): Recorded[] {
  const url = new URL(`./fixtures/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Recorded[];
}

export function replay(steps: Recorded[], from: State = initialState(1_000_000)): Replay {
  let state = from;
  const effects: Effect[] = [];
  const perStep: Effect[][] = [];
  for (const step of steps) {
    let input: Input | null = null;
    if ('recv' in step) {
      assertServerMessage(step.recv);
      input = { kind: 'server', message: step.recv };
    } else if ('intent' in step) {
      input = { kind: 'intent', intent: step.intent };
    } else if ('input' in step) {
      input = step.input;
    }
    if (!input) {
      perStep.push([]);
      continue;
    }
    const out = reduce(state, input);
    for (const effect of out.effects) {
      if (effect.kind === 'send') assertClientMessage(effect.message);
    }
    state = out.state;
    effects.push(...out.effects);
    perStep.push(out.effects);
  }
  return { state, effects, perStep, sent: effects.filter((e) => e.kind === 'send') };
}

export function sentMessages(r: Replay): unknown[] {
  return r.effects.flatMap((e) => (e.kind === 'send' ? [e.message] : []));
}

export function effectsOf<K extends Effect['kind']>(r: Replay, kind: K): Extract<Effect, { kind: K }>[] {
  return r.effects.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
}
