// The wall as the supervisor sees it: one tile per queue, one row per agent. A function of the
// wall's state and the clock; durations count on from the server's times.
import type { SupervisorMessages } from '../../i18n/messages';
import type { Texts } from '../../i18n';
import { since, serviceLevelLow, totals, type WallAgent, type WallQueue, type WallState } from './model';

export interface WallBoardProps {
  state: WallState;
  s: SupervisorMessages['wall'];
  t: Texts;
  /** The browser's clock (Date.now()), ticking. */
  now: number;
}

function QueueTile({ queue, props }: { queue: WallQueue; props: WallBoardProps }) {
  const { s, t, state, now } = props;
  const percent = new Intl.NumberFormat(t.lang, { style: 'percent', maximumFractionDigits: 0 });
  const target = t.number(queue.target_seconds);
  const longest = queue.longest_waiting_since === null ? '—' : t.duration(since(queue.longest_waiting_since, state, now));
  const low = serviceLevelLow(queue);
  return (
    <li class={`wall-queue${queue.waiting > 0 ? ' has-waiting' : ''}`} data-queue={queue.queue}>
      <h3>{queue.queue}</h3>
      <dl>
        <div class="figure waiting">
          <dt>{s.waiting}</dt>
          <dd data-figure="waiting">{t.number(queue.waiting)}</dd>
        </div>
        <div class="figure">
          <dt>{s.longestWait}</dt>
          <dd data-figure="longest-wait">{longest}</dd>
        </div>
        <div class={`figure${low ? ' low' : ''}`}>
          <dt>{s.serviceLevel}</dt>
          <dd data-figure="service-level">
            {queue.service_level === null
              ? s.noServiceLevel({ target })
              : s.serviceLevelOf({ share: percent.format(queue.service_level), target })}
          </dd>
        </div>
        <div class="figure">
          <dt>{s.answered}</dt>
          <dd data-figure="answered">{t.number(queue.answered)}</dd>
        </div>
        <div class="figure">
          <dt>{s.abandoned}</dt>
          <dd data-figure="abandoned">{t.number(queue.abandoned)}</dd>
        </div>
      </dl>
    </li>
  );
}

function stateText(agent: WallAgent, s: SupervisorMessages['wall']): string {
  const state = s.states[agent.state];
  if (agent.state !== 'unavailable' || agent.reason === null) return state;
  const reason = agent.reason === 'other' ? s.reasons.other({ text: agent.reason_text ?? '' }) : s.reasons[agent.reason];
  return `${state} (${reason})`;
}

function AgentRow({ agent, props }: { agent: WallAgent; props: WallBoardProps }) {
  const { s, t, state, now } = props;
  const call = agent.call;
  return (
    <tr data-agent={agent.agent} data-state={agent.state} data-call={call?.id}>
      <th scope="row">{agent.agent}</th>
      <td>
        <span class={`state-dot ${agent.state}`} aria-hidden="true" />
        <span data-field="state">{stateText(agent, s)}</span>
      </td>
      <td class="num" data-field="time-in-state">{t.duration(since(agent.since, state, now))}</td>
      <td data-field="call">
        {call === null ? (
          s.noCall
        ) : (
          <>
            <span class="meta">{s.direction[call.direction]}</span>{' '}
            <span class="number">{call.number === '' ? s.numberPending : call.number}</span>
            {call.held && <span class="badge"> {s.held}</span>}
          </>
        )}
      </td>
      <td class="num" data-field="call-duration">{call === null ? s.noCall : t.duration(since(call.started_at, state, now))}</td>
    </tr>
  );
}

export function WallBoard(props: WallBoardProps) {
  const { state, s, t } = props;
  const sum = totals(state);
  const status =
    state.problem !== null
      ? s.unavailableWall({ message: state.problem })
      : state.connection === 'live'
        ? s.live({ day: state.day ?? '' })
        : state.connection === 'reconnecting'
          ? s.reconnecting
          : s.connecting;
  return (
    <div class="wall">
      <p class={`banner ${state.problem !== null || state.connection === 'reconnecting' ? 'warn' : 'info'}`} role="status" data-connection={state.connection}>
        {status}
      </p>
      {state.problem === null && (
        <>
          <p class="wall-totals meta">
            {s.totals({
              waiting: t.number(sum.waiting),
              available: t.number(sum.available),
              busy: t.number(sum.busy),
              loggedIn: t.number(sum.loggedIn),
            })}
          </p>
          <section aria-labelledby="wall-queues">
            <h2 id="wall-queues">{s.queuesHeading}</h2>
            {state.queues.length === 0 && state.connection === 'live' ? (
              <p class="meta">{s.noQueues}</p>
            ) : (
              <ul class="wall-queues">
                {state.queues.map((q) => <QueueTile key={q.queue} queue={q} props={props} />)}
              </ul>
            )}
          </section>
          <section aria-labelledby="wall-agents">
            <h2 id="wall-agents">{s.agentsHeading}</h2>
            {state.agents.length === 0 && state.connection === 'live' ? (
              <p class="meta">{s.noAgents}</p>
            ) : (
              <div class="table-scroll">
                <table class="wall-agents">
                  <thead>
                    <tr>
                      <th scope="col">{s.agent}</th>
                      <th scope="col">{s.state}</th>
                      <th scope="col">{s.timeInState}</th>
                      <th scope="col">{s.currentCall}</th>
                      <th scope="col">{s.callDuration}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {state.agents.map((a) => <AgentRow key={a.agent} agent={a} props={props} />)}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}
