// The one store: holds the state, runs the reducer, hands effects to whoever executes them.
import { reduce } from './reducer';
import type { Effect, Input, State } from './types';

export interface Store {
  getState(): State;
  dispatch(input: Input): void;
  subscribe(listener: (state: State) => void): () => void;
}

export function createStore(initial: State, execute: (effect: Effect) => void): Store {
  let state = initial;
  const listeners = new Set<(state: State) => void>();
  // Inputs dispatched while effects run (an adapter answering synchronously) wait their turn,
  // so every input sees the state its predecessor left.
  const queue: Input[] = [];
  let running = false;
  return {
    getState: () => state,
    dispatch(input) {
      queue.push(input);
      if (running) return;
      running = true;
      try {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const step = reduce(state, next);
          const changed = step.state !== state;
          state = step.state;
          for (const effect of step.effects) execute(effect);
          if (changed) for (const listener of listeners) listener(state);
        }
      } finally {
        running = false;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
