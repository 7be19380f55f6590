// The shape of a language catalogue: every string the softphone shows. Each language is one
// object of this type, so a missing or misspelt key is a compile error.
import type { AgentStateName, NotifyReason, ServerCallEnded, ServerCallStatus } from '../protocol';
import type { SetupMessages } from '../console/pages/setup/messages';
import type { TelephonyMessages } from '../console/pages/telephony/messages';

export type Fmt<P> = (p: P) => string;

export interface Messages {
  appTitle: string;
  language: string;
  agentIdentity: Fmt<{ agent: string; tenant: string }>;
  /** The queues the agent serves. */
  agentQueues: Fmt<{ queues: readonly string[] }>;

  agentState: Record<AgentStateName, string>;
  awayReason: { away: string; missedCall: string; other: Fmt<{ text: string }> };
  /** The OpenFrame presence indicator while ringing, dialling or on a call. */
  presenceBusy: string;
  presenceLabel: string;
  goAvailable: string;
  goAway: string;
  awayReasonLabel: string;
  awayReasonPlaceholder: string;

  callerWithheld: string;
  callerUnknown: string;
  incomingCall: string;
  outgoingCall: string;
  viaQueue: Fmt<{ queue: string }>;
  transferredBy: Fmt<{ agent: string }>;
  answer: string;
  decline: string;
  hangUp: string;
  cancelDial: string;

  contactKind: { contact: string; consumer: string };
  accountOf: Fmt<{ name: string }>;
  kindAndAccount: Fmt<{ kind: string; account: string }>;
  noAccount: string;
  openRecord: string;
  /** `count` already formatted for the language (Intl.NumberFormat). */
  chooserTitle: Fmt<{ count: string }>;
  chooseThis: Fmt<{ name: string }>;
  newContactTitle: string;
  newContactBody: Fmt<{ number: string }>;
  createContact: string;

  dialPadTitle: string;
  numberLabel: string;
  willDial: Fmt<{ number: string }>;
  notANumber: string;
  call: string;
  dialling: string;
  backspace: string;
  clear: string;
  fromRecord: Fmt<{ table: string }>;

  onCallWith: Fmt<{ caller: string }>;
  elapsed: string;
  hold: string;
  resume: string;
  onHold: string;
  mute: string;
  unmute: string;
  muted: string;
  keypad: string;
  hideKeypad: string;
  transfer: string;

  caseLabel: Fmt<{ label: string }>;
  openCase: string;
  noCaseReason: Record<NotifyReason['kind'], string>;
  createCase: string;

  transferTitle: string;
  transferToAgent: string;
  transferToQueue: string;
  transferAgentName: string;
  transferSend: Fmt<{ target: string }>;
  noAgentsKnown: string;
  colleagueState: Record<AgentStateName, string>;

  wrapUpTitle: string;
  disposition: string;
  noDisposition: string;
  notes: string;
  saveWrapUp: string;
  wrapUpSaved: string;
  wrapUpQueued: string;
  wrapUpFailed: Fmt<{ detail: string }>;
  backToAvailable: string;
  wrapUpEndsIn: Fmt<{ seconds: string }>;
  dismiss: string;

  crmTitle: string;
  crmLinked: Fmt<{ user: string }>;
  crmNotLinked: string;
  crmRelink: string;
  crmNotConfigured: string;
  crmWhatItDoes: string;
  crmConnect: string;
  crmDisconnect: string;

  connecting: string;
  reconnecting: string;
  reconnectingIn: Fmt<{ seconds: string }>;
  callKept: string;
  audioReconnecting: string;
  reconnectNow: string;
  audioConnecting: string;
  audioFailed: Fmt<{ problem: string }>;
  serverSaid: Fmt<{ message: string }>;

  otherTabTitle: string;
  otherTabBody: string;
  useHere: string;

  ringStopped: Record<ServerCallStatus['reason'], string>;
  callEnded: Record<ServerCallEnded['cause'], string>;
  transferredTo: Fmt<{ target: string }>;
  queueTarget: Fmt<{ queue: string }>;
  dialFailed: Fmt<{ detail: string }>;
  endedAt: Fmt<{ time: string; duration: string }>;

  shortcutsTitle: string;
  shortcutAnswer: string;
  shortcutHangUp: string;
  shortcutDecline: string;
  shortcutMute: string;

  announce: {
    ringing: Fmt<{ caller: string }>;
    contactFound: Fmt<{ name: string }>;
    connected: string;
    onHold: string;
    offHold: string;
    caseCreated: Fmt<{ label: string }>;
    connectionLost: string;
    connectionRestored: string;
    otherTab: string;
  };
  notificationTitle: string;
  notificationBody: Fmt<{ caller: string }>;

  signInTitle: string;
  tenantLabel: string;
  userLabel: string;
  passwordLabel: string;
  signIn: string;
  signOut: string;
  signInFailed: Fmt<{ message: string }>;
  /** Sign-in refused with `tenant_not_ready`: the contact center cannot take calls yet. */
  tenantNotReady: string;

  /** The demo's customer page (`/demo/customer`). */
  customer: CustomerMessages;
}

export interface CustomerMessages {
  title: string;
  intro: Fmt<{ number: string }>;
  callAs: string;
  callerOption: Fmt<{ name: string; number: string }>;
  otherNumber: string;
  yourNumber: string;
  yourNumberHint: string;
  call: Fmt<{ number: string }>;
  connecting: string;
  audioStarting: string;
  ready: string;
  reconnectingIn: Fmt<{ seconds: string }>;
  replaced: string;
  badLink: string;
  audioFailed: Fmt<{ problem: string }>;
  serverSaid: Fmt<{ message: string }>;
  calling: Fmt<{ number: string }>;
  callingAs: Fmt<{ number: string }>;
  incoming: string;
  incomingFrom: Fmt<{ number: string }>;
  unknownCaller: string;
  answer: string;
  decline: string;
  hangUp: string;
  connected: string;
  connectedWith: Fmt<{ number: string }>;
  lastCall: string;
  youHungUp: string;
  theyHungUp: string;
  cutOff: string;
  notConnected: Fmt<{ detail: string }>;
  missed: string;
  refused: Fmt<{ detail: string }>;
}

/** The supervisor's pages of the console: the live wall, the call history and the charts. */
export interface SupervisorMessages {
  wall: {
    title: string;
    summary: string;
    queuesHeading: string;
    agentsHeading: string;
    connecting: string;
    reconnecting: string;
    live: Fmt<{ day: string }>;
    unavailableWall: Fmt<{ message: string }>;
    totals: Fmt<{ waiting: string; available: string; busy: string; loggedIn: string }>;
    queue: string;
    waiting: string;
    longestWait: string;
    serviceLevel: string;
    /** `share` already formatted as a percentage. */
    serviceLevelOf: Fmt<{ share: string; target: string }>;
    noServiceLevel: Fmt<{ target: string }>;
    answered: string;
    abandoned: string;
    agent: string;
    state: string;
    timeInState: string;
    currentCall: string;
    callDuration: string;
    noCall: string;
    noAgents: string;
    noQueues: string;
    states: Record<'offline' | 'available' | 'unavailable' | 'ringing' | 'dialing' | 'on_call' | 'wrap_up', string>;
    reasons: { away: string; missed_call: string; other: Fmt<{ text: string }> };
    direction: Record<'inbound' | 'outbound', string>;
    held: string;
    numberPending: string;
  };
  history: {
    title: string;
    summary: string;
    filtersHeading: string;
    from: string;
    to: string;
    agent: string;
    queue: string;
    number: string;
    numberHint: string;
    direction: string;
    outcome: string;
    any: string;
    search: string;
    reset: string;
    exportCsv: string;
    loading: string;
    failed: Fmt<{ message: string }>;
    empty: string;
    caption: string;
    started: string;
    duration: string;
    agents: string;
    recording: string;
    case: string;
    listen: Fmt<{ number: string }>;
    recordingRemoved: string;
    recordingPending: string;
    noCase: string;
    newest: string;
    nextPage: string;
    directions: Record<'inbound' | 'outbound', string>;
    outcomes: Record<'answered' | 'abandoned' | 'no_agent' | 'overflow' | 'outbound_failed' | 'cancelled' | 'failed', string>;
  };
  charts: {
    title: string;
    summary: string;
    filtersHeading: string;
    day: string;
    interval: string;
    intervals: Record<'900' | '1800' | '3600', string>;
    queue: string;
    allQueues: string;
    show: string;
    loading: string;
    failed: Fmt<{ message: string }>;
    badDay: string;
    drawFailed: string;
    totalsHeading: string;
    callsHeading: string;
    levelHeading: string;
    /** What the service level counts, for the queue targets given. */
    levelRule: Fmt<{ targets: string }>;
    noTargets: string;
    target: Fmt<{ queue: string; seconds: string }>;
    inbound: string;
    answered: string;
    inTime: string;
    abandoned: string;
    unserved: string;
    outbound: string;
    serviceLevel: string;
    abandonRate: string;
    none: string;
    empty: string;
    tableSummary: string;
    tableCaption: Fmt<{ day: string }>;
    start: string;
  };
}

/** Every string the console (`/console`, `src/console/`) shows: the shell, then one group per
 *  page. Each language is one object of this type (`enConsole`, `jaConsole`). */
export interface ConsoleMessages {
  title: string;
  navLabel: string;
  skipToContent: string;
  signedInAs: Fmt<{ name: string; role: string; tenant: string }>;
  roles: Record<'agent' | 'supervisor' | 'admin', string>;
  loading: string;
  loadFailed: Fmt<{ message: string }>;
  retry: string;
  notFoundTitle: string;
  notFound: Fmt<{ page: string }>;
  forbiddenTitle: string;
  forbidden: Fmt<{ role: string }>;
  agentTitle: string;
  agentBody: Fmt<{ user: string }>;
  openSoftphone: string;
  pageNeeds: Record<'supervisor' | 'admin', string>;
  /** The live wall and the call history. */
  supervisor: SupervisorMessages;
  /** The tenant setup steps. */
  setup: SetupMessages;
  /** Numbers & queues. */
  telephony: TelephonyMessages;

  overview: {
    title: string;
    summary: string;
    intro: Fmt<{ name: string }>;
    pagesHeading: string;
  };

  confirm: string;
  cancel: string;
  refresh: string;
  you: string;

  people: {
    title: string;
    summary: string;
    createHeading: string;
    userLabel: string;
    userHint: string;
    displayNameLabel: string;
    roleLabel: string;
    create: string;
    listHeading: string;
    columns: { user: string; role: string; status: string; crmLink: string; actions: string };
    active: string;
    disabled: string;
    linked: Fmt<{ user: string; since: string }>;
    notLinked: string;
    relinkRequired: Fmt<{ user: string; at: string }>;
    noLink: string;
    roleOf: Fmt<{ user: string }>;
    resetPassword: string;
    disable: string;
    enable: string;
    revoke: string;
    confirmReset: Fmt<{ user: string }>;
    confirmDisable: Fmt<{ user: string }>;
    confirmRevoke: Fmt<{ user: string }>;
    confirmRole: Fmt<{ user: string; role: string }>;
    oneTimeTitle: Fmt<{ user: string }>;
    oneTimeNote: string;
    oneTimeDone: string;
    created: Fmt<{ user: string }>;
    reset: Fmt<{ user: string }>;
    disabledDone: Fmt<{ user: string }>;
    enabledDone: Fmt<{ user: string }>;
    roleChanged: Fmt<{ user: string; role: string }>;
    revoked: Fmt<{ user: string }>;
    failed: Fmt<{ message: string }>;
  };

  outbox: {
    title: string;
    summary: string;
    intro: string;
    empty: string;
    columns: { item: string; write: string; call: string; status: string; answer: string; actions: string };
    kinds: Record<string, string>;
    statuses: { pending: string; dead: string; done: string; discarded: string };
    attempts: Fmt<{ count: string }>;
    nextAttempt: Fmt<{ time: string }>;
    since: Fmt<{ time: string }>;
    noAnswer: string;
    replay: string;
    discard: string;
    replayOf: Fmt<{ id: string }>;
    discardOf: Fmt<{ id: string }>;
    confirmDiscard: Fmt<{ id: string }>;
    replayed: Fmt<{ id: string }>;
    discarded: Fmt<{ id: string }>;
    failed: Fmt<{ message: string }>;
  };

  match: {
    title: string;
    summary: string;
    intro: string;
    number: string;
    numberHint: string;
    test: string;
    testing: string;
    parsedHeading: string;
    e164: string;
    region: string;
    numberRegion: string;
    formatsHeading: string;
    suffix: Fmt<{ digits: string }>;
    tablesHeading: Fmt<{ tables: string }>;
    recordsHeading: string;
    columns: { record: string; table: string; account: string; column: string; stored: string; rule: string };
    rules: { exact_e164: string; same_number: string; suffix: Fmt<{ digits: string }> };
    notThisNumber: string;
    noneReturned: string;
    verdict: { new_contact: string; new_contact_unmatched: Fmt<{ count: string }>; contact: Fmt<{ name: string }>; chooser: Fmt<{ count: string; names: string }> };
    rightsNote: string;
    failed: Fmt<{ message: string }>;
  };

  audit: {
    title: string;
    summary: string;
    tabs: { listen: string; admin: string };
    filterHeading: string;
    from: string;
    to: string;
    user: string;
    call: string;
    outcome: string;
    any: string;
    apply: string;
    clear: string;
    exportCsv: string;
    empty: string;
    truncated: Fmt<{ count: string }>;
    listenColumns: { at: string; action: string; call: string; viewer: string; crmUser: string; source: string; outcome: string; reason: string };
    adminColumns: { at: string; actor: string; action: string; target: string; call: string; source: string; outcome: string; detail: string };
    outcomes: { allowed: string; refused: string; done: string; failed: string };
    listenActions: Record<string, string>;
  };
}
