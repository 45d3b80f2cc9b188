// The tab's one realtime socket (GET /api/ws, same origin, the session cookie goes with it).
//
// Screens subscribe to topics (`thread:<id>`, `board:<id>`, `room:<id>`, `roomheld:<id>` for
// staff, `modqueue`, `member:<id>`) with a handler; this module keeps ONE socket for all of them, sends a JSON
// ping every 25 s, and reconnects with exponential back-off and jitter. It remembers the last
// `seq` seen on each topic, so on reconnecting it re-subscribes with `since` and the server
// sends what was missed before live events; events at or below that seq are dropped, so a
// screen never sees one twice. A topic on which nothing had arrived yet has no seq to resume
// from: its screen is asked to fetch afresh (`onResync`) instead, so nothing is missed either.
//
// The socket belongs to ONE member: `start` names them. A new socket carries whatever session
// cookie the browser holds by then, and on a shared device that may be someone else's (the
// member's session ended, and another member signed in, perhaps in another tab). So every
// socket after the first is opened only once the app has checked that the session is still
// this member's (`check`); if it is not, the member's unsent chat messages are dropped, never
// sent under another member's name, and the app follows the session. A close for policy (1008:
// suspended, signed out, permissions changed) is checked at once.

import { useEffect, useRef, useState } from 'preact/hooks';

import type { Signpost } from './api';

/** What a topic's event carries: `{"kind": ..., ...}`. */
export type LiveEvent = { kind: string } & Record<string, unknown>;

/** What became of a chat message (`say`). */
export interface Ack {
  client_id: string;
  status: 'published' | 'held' | 'rejected';
  reason?: string;
  /** Support resources to show the author at once: the rules saw a crisis. */
  signpost?: Signpost[];
}

/** A refusal from the server that is not about one message (rate limit, forbidden topic...). */
export interface SocketError {
  code: string;
  message: string;
}

interface Listener {
  onEvent: (event: LiveEvent, seq: number) => void;
  onResync?: () => void;
}

export type Connection = 'idle' | 'connecting' | 'open' | 'reconnecting';

/**
 * Whether the browser's session is still the socket's member's: `same`, `changed` (someone
 * else's, or nobody's: the app follows it, and stops or restarts the socket), or `unknown` (the
 * server could not say; try again later).
 */
export type OwnerCheck = () => Promise<'same' | 'changed' | 'unknown'>;

/** A close for policy: the member's access changed (RFC 6455 section 7.4.1). */
const CLOSE_POLICY = 1008;

/**
 * The member was suspended or their account closed while this tab was open: the server's close
 * reason is `suspended until <RFC 3339>`, `suspended` or `banned` (never the moderators' words,
 * which sign-in shows behind the password).
 */
export interface Sanction {
  standing: 'suspended' | 'banned';
  until: string | null;
}

/** Reads a policy close's reason as a sanction, if it is one. */
export function sanctionFrom(reason: string): Sanction | null {
  const m = /^(suspended|banned)(?: until (\S+))?$/.exec(reason);
  if (!m) return null;
  return { standing: m[1] as Sanction['standing'], until: m[2] ?? null };
}

const sanctionListeners = new Set<(s: Sanction) => void>();

/** Hears of a sanction that closed the socket (which then stays closed). */
export function onSanction(l: (s: Sanction) => void): () => void {
  sanctionListeners.add(l);
  return () => sanctionListeners.delete(l);
}

const PING_MS = 25_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

let ws: WebSocket | null = null;
let state: Connection = 'idle';
let attempts = 0;
let retryTimer: number | undefined;
let pingTimer: number | undefined;
let wanted = false;
/** Whether the socket has been open before: the next open is a reconnection. */
let everOpen = false;
/** The member this socket is for, and how to check the session is still theirs. */
let owner: string | null = null;
let check: OwnerCheck | null = null;
/** Whether the next socket may open without a check (the app has just vouched for it). */
let vouched = false;
/** A check is under way. */
let checking = false;
/** Bumped by `stop`: an answer to a check made before then is ignored. */
let generation = 0;

const listeners = new Map<string, Set<Listener>>();
const lastSeq = new Map<string, number>();
/** Pongs answer pings in order; each waiting ping may have something to run. */
const pongWaiters: Array<(() => void) | null> = [];
const ackListeners = new Set<(ack: Ack) => void>();
const errorListeners = new Set<(error: SocketError) => void>();
const stateListeners = new Set<(state: Connection) => void>();
/**
 * Chat messages (`say` frames, by `client_id`) not yet acknowledged, oldest first. Each is sent
 * again whenever a socket opens: one typed while reconnecting has not gone yet, and one whose
 * socket dropped before the ack came may or may not have been stored. The server knows a
 * `client_id` it has stored and acknowledges it again without storing it twice.
 */
const unacked = new Map<string, string>();

function setState(next: Connection): void {
  if (state === next) return;
  state = next;
  for (const l of stateListeners) l(next);
}

function send(frame: unknown): boolean {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

/**
 * Opens a socket, once the session is known to be still the member's. `policy`: the last one was
 * closed for policy and this is the check at once; if the session is still theirs, the socket
 * opens after the usual back-off, so a server that keeps closing it is not hammered.
 */
function connect(policy = false): void {
  if (ws || !wanted || checking) return;
  window.clearTimeout(retryTimer);
  setState(everOpen ? 'reconnecting' : 'connecting');
  if (vouched || !check) {
    vouched = false;
    open();
    return;
  }
  checking = true;
  const asked = generation;
  check().then(
    (answer) => {
      if (asked !== generation) return;
      checking = false;
      if (!wanted || ws) return;
      if (answer === 'same' && policy) {
        vouched = true;
        scheduleReconnect();
      } else if (answer === 'same') open();
      else if (answer === 'changed') forget();
      else scheduleReconnect();
    },
    () => {
      if (asked !== generation) return;
      checking = false;
      scheduleReconnect();
    },
  );
}

function open(): void {
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/ws`;
  let socket: WebSocket;
  try {
    socket = new WebSocket(url);
  } catch {
    scheduleReconnect();
    return;
  }
  ws = socket;
  // Whose socket this is: a sanction that closes it is theirs, even once the app has let it go.
  const whose = owner;
  socket.onopen = () => {
    attempts = 0;
    const reconnected = everOpen;
    everOpen = true;
    setState('open');
    resubscribeAll(reconnected);
    for (const frame of unacked.values()) socket.send(frame);
    window.clearInterval(pingTimer);
    pingTimer = window.setInterval(() => ping(), PING_MS);
  };
  socket.onmessage = (m) => receive(m.data);
  socket.onclose = (e) => {
    const sanction = e.code === CLOSE_POLICY ? sanctionFrom(e.reason) : null;
    if (ws !== socket) {
      // Let go already: the app heard the session had ended (a 401 from a request that
      // crossed the server's close) before this close said why. The member still sees why, on
      // this tab, unless someone else has signed in on it since.
      if (sanction && whose !== null && (owner === null || owner === whose)) {
        for (const l of sanctionListeners) l(sanction);
      }
      return;
    }
    ws = null;
    window.clearInterval(pingTimer);
    confirmed.clear();
    notifyConfirmed();
    // Pings sent on this socket will never be answered: forget them.
    pongWaiters.length = 0;
    if (!wanted) setState('idle');
    else if (sanction) {
      // Suspended or closed: there is nothing to reconnect to; the app says why.
      forget();
      for (const l of sanctionListeners) l(sanction);
    }
    // The member's access changed: find out at once whether their session is still there.
    else if (e.code === CLOSE_POLICY) connect(true);
    else scheduleReconnect();
  };
  socket.onerror = () => {
    // onclose follows; nothing else to do.
  };
}

function scheduleReconnect(): void {
  setState(everOpen ? 'reconnecting' : 'connecting');
  window.clearTimeout(retryTimer);
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempts);
  attempts += 1;
  // Full jitter on half of it: tabs that lost the server together do not return together.
  const delay = base / 2 + Math.random() * (base / 2);
  retryTimer = window.setTimeout(() => connect(), delay);
}

function ping(then?: () => void): void {
  if (send({ type: 'ping' })) pongWaiters.push(then ?? null);
}

/** Subscribes every topic again on a new socket: with `since` where a seq is known. */
function resubscribeAll(reconnected: boolean): void {
  const topics = [...listeners.keys()];
  if (topics.length === 0) return;
  const since: Record<string, number> = {};
  const fresh: string[] = [];
  for (const t of topics) {
    const seq = lastSeq.get(t);
    if (seq !== undefined) since[t] = seq;
    else fresh.push(t);
  }
  send({ type: 'subscribe', topics, since });
  ping(() => {
    for (const t of topics) confirmed.add(t);
    notifyConfirmed();
    if (reconnected) {
      // Nothing seen yet on these: there is no seq to resume from, so their screens fetch.
      for (const t of fresh) for (const l of listeners.get(t) ?? []) l.onResync?.();
    }
  });
}

function receive(data: unknown): void {
  if (typeof data !== 'string') return;
  let frame: Record<string, unknown>;
  try {
    frame = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return;
  }
  switch (frame.type) {
    case 'event': {
      const topic = String(frame.topic);
      const seq = Number(frame.seq);
      const seen = lastSeq.get(topic);
      if (seen !== undefined && seq <= seen) return; // already had it
      if (!listeners.has(topic)) return;
      lastSeq.set(topic, seq);
      const event = frame.event as LiveEvent;
      for (const l of listeners.get(topic) ?? []) l.onEvent(event, seq);
      break;
    }
    case 'pong': {
      const then = pongWaiters.shift();
      then?.();
      break;
    }
    case 'ack':
      unacked.delete(String(frame.client_id));
      for (const l of ackListeners) l(frame as unknown as Ack);
      break;
    case 'error': {
      const err = { code: String(frame.code), message: String(frame.message) };
      if (err.code === 'rate_limited') {
        // Refused before it was read: the oldest message still sending is the one (the chat
        // screen shows it as not sent), and it is not sent again.
        const oldest = unacked.keys().next();
        if (!oldest.done) unacked.delete(oldest.value);
      }
      if (err.code === 'catch_up_failed') {
        // The server could not replay what we missed: every screen fetches afresh.
        for (const set of listeners.values()) for (const l of set) l.onResync?.();
      }
      for (const l of errorListeners) l(err);
      break;
    }
    default:
      break;
  }
}

const confirmed = new Set<string>();
const confirmedListeners = new Set<() => void>();
function notifyConfirmed(): void {
  for (const l of confirmedListeners) l();
}

/**
 * Starts the socket for a member (after sign-in, or once the session is loaded); `check` is
 * asked before every later socket whether the session is still theirs. Another member than
 * before: everything of the one before is forgotten first.
 */
export function start(member: string, ownerCheck: OwnerCheck): void {
  if (owner !== member) stop();
  owner = member;
  check = ownerCheck;
  if (wanted) return;
  wanted = true;
  vouched = true;
  connect();
}

/** Closes the socket for good (sign-out, quick exit, session ended) and forgets everything. */
export function stop(): void {
  forget();
  owner = null;
  check = null;
}

/** Closes the socket, and forgets what it knew and what it had still to send. */
function forget(): void {
  wanted = false;
  everOpen = false;
  vouched = false;
  checking = false;
  generation += 1;
  window.clearTimeout(retryTimer);
  window.clearInterval(pingTimer);
  const s = ws;
  ws = null;
  s?.close();
  lastSeq.clear();
  confirmed.clear();
  unacked.clear();
  pongWaiters.length = 0;
  setState('idle');
}

/**
 * Listens to a topic. Returns the function that stops listening. `onResync` is called when
 * events may have been missed and cannot be replayed: the screen should fetch again.
 */
export function subscribe(topic: string, listener: Listener): () => void {
  let set = listeners.get(topic);
  const first = !set;
  if (!set) {
    set = new Set();
    listeners.set(topic, set);
  }
  set.add(listener);
  if (first && send({ type: 'subscribe', topics: [topic] })) {
    ping(() => {
      if (listeners.has(topic)) confirmed.add(topic);
      notifyConfirmed();
    });
  }
  return () => {
    const s = listeners.get(topic);
    if (!s) return;
    s.delete(listener);
    if (s.size === 0) {
      listeners.delete(topic);
      lastSeq.delete(topic);
      confirmed.delete(topic);
      send({ type: 'unsubscribe', topics: [topic] });
    }
  };
}

/** Sends a chat message; kept, and sent again on the next socket, until it is acknowledged. */
export function say(room: string, body: string, clientId: string): void {
  const frame = { type: 'say', room, body, client_id: clientId };
  unacked.set(clientId, JSON.stringify(frame));
  send(frame);
}

export function onAck(l: (ack: Ack) => void): () => void {
  ackListeners.add(l);
  return () => ackListeners.delete(l);
}

export function onSocketError(l: (e: SocketError) => void): () => void {
  errorListeners.add(l);
  return () => errorListeners.delete(l);
}

/** The connection's state, re-rendering on change. */
export function useConnection(): Connection {
  const [s, setS] = useState<Connection>(state);
  useEffect(() => {
    setS(state);
    stateListeners.add(setS);
    return () => {
      stateListeners.delete(setS);
    };
  }, []);
  return s;
}

/** Subscribes a screen to a topic while it is shown; `live` says once the server confirmed. */
export function useTopic(
  topic: string | null,
  onEvent: (event: LiveEvent, seq: number) => void,
  onResync?: () => void,
): boolean {
  const [live, setLive] = useState(false);
  // The latest callbacks, read by the listener, so a re-render does not re-subscribe.
  const latest = useRef({ onEvent, onResync });
  latest.current = { onEvent, onResync };
  useEffect(() => {
    if (!topic) return undefined;
    const l: Listener = {
      onEvent: (e, s) => latest.current.onEvent(e, s),
      onResync: () => latest.current.onResync?.(),
    };
    const check = () => setLive(confirmed.has(topic) && state === 'open');
    const onState = () => check();
    confirmedListeners.add(check);
    stateListeners.add(onState);
    const off = subscribe(topic, l);
    check();
    return () => {
      confirmedListeners.delete(check);
      stateListeners.delete(onState);
      off();
      setLive(false);
    };
  }, [topic]);
  return live;
}

/** For tests and the reconnect test: the socket itself (to kill it). */
declare global {
  interface Window {
    __hearthSocket?: { kill: () => void; state: () => Connection };
  }
}
window.__hearthSocket = {
  kill: () => ws?.close(),
  state: () => state,
};
