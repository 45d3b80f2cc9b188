// The one way the app talks to the server: JSON in and out, the session cookie on the same
// origin only, and every failure turned into an ApiError carrying the server's own words.

import type { components } from './generated/api';

/**
 * The server's answer shapes, generated from its OpenAPI document (`web-client/openapi.json`,
 * written by `hearth openapi`) by `npm run generate`. Every shape below is one of these, so
 * `tsc` fails when the client reads a field the server does not send.
 */
type Schemas = components['schemas'];

/**
 * A generated shape with some fields narrowed to what the client relies on (a role is one of
 * three words, not any string). Each narrowed field must be one the server has: naming a field
 * it lacks is a type error.
 */
type Narrow<T, N extends { [K in keyof N]: K extends keyof T ? unknown : never }> = Omit<
  T,
  keyof N
> &
  N;

/** The fields of `T` whose value may be null. */
type NullableKeys<T> = { [K in keyof T]-?: null extends T[K] ? K : never }[keyof T];

/**
 * A shape the server builds from a typed struct, as it arrives. utoipa lists a plain `Option`
 * field as nullable but not required, though serde always sends it (null when empty); the
 * fields the server may leave out are the ones that are never null. So a nullable field is
 * present: `string | null`, never undefined.
 */
type Sent<T> = Omit<T, NullableKeys<T>> & { [K in NullableKeys<T>]-?: Exclude<T[K], undefined> };

/** A generated schema as it arrives (see `Sent`). */
type S<K extends keyof Schemas> = Sent<Schemas[K]>;

/** A failure the person can be shown: the server's code, its sentence and, for a form, the field. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  /** Every field at fault with its sentence, when the server checked a whole form (`field` is the first). */
  fields?: Record<string, string>;
  /** Extra parts of the answer: `moderation` (a rule rejected the text), `problems` (rules file). */
  moderation?: Moderation;
  problems?: { line: number; message: string }[];

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const NETWORK_MESSAGE =
  'We could not reach the forum. Check your connection and try again in a moment.';
const GENERIC_MESSAGE = 'Something went wrong on our side. Please try again.';

/** Fired on window when a request finds the session gone. */
export const SESSION_ENDED = 'hearth:session-ended';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Asks the person to confirm who they are (the step-up dialog), resolving true once they did.
 * Set by the app; a sensitive action answered 403 `reauth_required` waits for it and is sent
 * again, so nothing the person was doing is lost.
 */
let confirmWho: (() => Promise<boolean>) | null = null;

/** Sets (or clears) the step-up dialog's opener. */
export function setConfirmWho(open: (() => Promise<boolean>) | null): void {
  confirmWho = open;
}

/** Whether an answer asks for a fresh confirmation, and the app can ask for one. */
async function confirmedAfter(status: number, parsed: unknown): Promise<boolean> {
  const code = (parsed as { error?: { code?: string } } | null)?.error?.code;
  return status === 403 && code === 'reauth_required' && confirmWho !== null && (await confirmWho());
}

/** Calls the API. Resolves with the parsed JSON body (or null for 204); rejects with ApiError. */
export async function api<T = unknown>(
  method: Method,
  path: string,
  body?: unknown,
  extraHeaders?: Record<string, string>,
): Promise<T> {
  // `x-step-up-retry` marks the one retry after a step-up; it is not sent.
  const { 'x-step-up-retry': retried, ...sent } = extraHeaders ?? {};
  const headers: Record<string, string> = { ...sent, Accept: 'application/json' };
  const init: RequestInit = {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    redirect: 'error',
  };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (method === 'POST') {
    // The server's JSON extractor wants a body on every POST, even an empty one.
    headers['Content-Type'] = 'application/json';
    init.body = '{}';
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (response.status === 204) {
    return null as T;
  }
  let parsed: unknown = null;
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (response.ok) {
    return parsed as T;
  }
  if (!retried && (await confirmedAfter(response.status, parsed))) {
    return api<T>(method, path, body, { ...extraHeaders, 'x-step-up-retry': '1' });
  }
  throw failureOf(response.status, parsed, path);
}

/**
 * Downloads a file the API serves (the member's data) and saves it under `name`. The file is
 * fetched first, so an answer that is not the file (a 401 once the session has ended) is never
 * saved as one: it rejects with the ApiError instead, and a 401 shows the signed-out state.
 */
export async function download(path: string, name: string, retried = false): Promise<void> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', cache: 'no-store', redirect: 'error', headers: { Accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!retried && (await confirmedAfter(response.status, parsed))) return download(path, name, true);
    throw failureOf(response.status, parsed, path);
  }
  const url = URL.createObjectURL(await response.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // Long enough for the browser to start saving; then nothing of the file stays in the page.
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

/** The ApiError for a failed answer (and the app told if it says the session ended). */
function failureOf(status: number, parsed: unknown, path: string): ApiError {
  const answer = parsed as {
    error?: { code?: unknown; message?: unknown; field?: unknown; fields?: unknown; problems?: unknown; moderation?: unknown };
    moderation?: unknown;
  } | null;
  const error = answer?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    if (status === 401 && error.code === 'not_signed_in' && path !== '/api/session') {
      // The session ended (idle, signed out elsewhere, suspended): the app shows sign-in.
      window.dispatchEvent(new Event(SESSION_ENDED));
    }
    const field = typeof error.field === 'string' ? error.field : undefined;
    const failure = new ApiError(status, error.code, error.message, field);
    // The rules' outcome sits beside the error (posts) or, for some answers, inside it.
    const moderation = answer?.moderation ?? error.moderation;
    if (moderation && typeof moderation === 'object') {
      failure.moderation = moderation as Moderation;
    }
    if (error.fields && typeof error.fields === 'object' && !Array.isArray(error.fields)) {
      failure.fields = Object.fromEntries(
        Object.entries(error.fields as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
    }
    if (Array.isArray(error.problems)) {
      failure.problems = error.problems as { line: number; message: string }[];
    }
    return failure;
  }
  return new ApiError(status, 'unexpected', GENERIC_MESSAGE);
}

/**
 * The `Idempotency-Key` of one unsent text. Sending the same text again after a lost answer (the
 * network dropped, or the server answered 503) reuses the key, so the server finds the post it
 * may already have stored instead of storing it twice; other text, or a send that succeeded,
 * takes a new key.
 */
export class SendKey {
  private text = '';
  private key = '';

  /** The key for sending `text`. */
  for(text: string): Record<string, string> {
    if (!this.key || text !== this.text) {
      this.text = text;
      this.key = uuid();
    }
    return { 'Idempotency-Key': this.key };
  }

  /** The send went through: the next one is a new post. */
  done(): void {
    this.key = '';
  }
}

/** A server sentence as a sentence: capital first letter, closing full stop. Words unchanged. */
export function sentence(message: string): string {
  const trimmed = message.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

// ---- Shapes the server answers (crates/hearth-server/src/routes/views.rs) ----

/** `GET /api/session`: who is signed in. */
export type Identity = Narrow<
  S<'IdentityView'>,
  // Optional: the sign-in answer (a `SelfView`) does not carry it; `GET /api/session` does.
  { role: Role; safeguarding_lead?: boolean }
>;

export type Role = 'member' | 'moderator' | 'admin';

/** `GET /api/me`: the member as they see themselves (`email` is null when the account has none). */
export type SelfView = Narrow<S<'SelfView'>, { role: Role }>;

/** A member as admins see them. */
export type MemberAdminView = Narrow<S<'MemberAdminView'>, { role: Role }>;

/** An application as admins see it. */
export type ApplicationView = S<'ApplicationView'>;

/** An audit-log line. */
export type AuditView = S<'AuditView'>;

/** Dates as people in the UK read them, in their own time zone. */
export function formatDate(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
  });
}

/**
 * How long ago, in words ("just now", "5 minutes ago", "yesterday", "3 days ago"), for `now`;
 * older than a week, or in the future, the date itself. The exact time goes with it (see
 * `When` in components.tsx), so nothing is lost by the rounding.
 */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const d = new Date(iso);
  const t = d.getTime();
  if (Number.isNaN(t)) return iso;
  const seconds = (now - t) / 1000;
  if (seconds < -60) return formatDate(iso);
  if (seconds < 45) return 'just now';
  if (seconds < 90) return 'a minute ago';
  const minutes = Math.round(seconds / 60);
  if (minutes < 45) return `${minutes} minutes ago`;
  if (minutes < 90) return 'an hour ago';
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const hours = Math.round(minutes / 60);
  if (t >= today.getTime()) return `${hours} hours ago`;
  const days = Math.round((today.getTime() - new Date(d).setHours(0, 0, 0, 0)) / 86_400_000);
  if (days <= 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return formatDate(iso, false);
}

// ---- Boards, threads and posts (crates/hearth-server/src/routes/content.rs) ----

export type Board = Narrow<S<'BoardView'>, { visibility: 'members' | 'moderators' }>;

/** A board's activity for the reader (`GET /api/boards/activity`). */
export type BoardActivity = S<'BoardActivityView'>;

export type ContentStatus = 'published' | 'held' | 'rejected' | 'removed' | 'deleted';

/** A thread (its `title` is plain text: always shown with textContent, as JSX does). */
export type Thread = Narrow<S<'ThreadView'>, { status: ContentStatus }>;

/** A post: `body_html` is sanitised by the server and is the ONE thing inserted as HTML. */
export type Post = Narrow<S<'PostView'>, { status: ContentStatus; reactions: Reactions }>;

// ---- Comforts: reactions, following, search, profiles, mutes (routes/comforts.rs) ----

export type ReactionKind = 'thank_you' | 'sending_strength' | 'me_too' | 'thinking_of_you';

/** The four supportive reactions, in the order they are shown, with their words. */
export const REACTIONS: [ReactionKind, string][] = [
  ['thank_you', 'Thank you'],
  ['sending_strength', 'Sending strength'],
  ['me_too', 'Me too'],
  ['thinking_of_you', 'Thinking of you'],
];

export type Reactions = Narrow<
  S<'ReactionsView'>,
  { counts: Partial<Record<ReactionKind, number>>; mine: ReactionKind[] }
>;

export type FollowState = 'following' | 'not_following' | 'muted';

export type Followed = Narrow<S<'FollowedView'>, { thread: Thread }>;

/** A search hit: `title_html` and `snippet_html` are escaped by the server, marked with `<mark>` only. */
export type SearchResult = Narrow<S<'SearchResultView'>, { matched: 'title' | 'post' }>;

export type Profile = Narrow<S<'ProfileView'>, { role: Role }>;

export type Mute = S<'MuteView'>;

/** "March 2026" from `2026-03`. */
export function formatMonth(ym: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(ym);
  if (!m) return ym;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)).toLocaleString('en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

export type Signpost = S<'Signpost'>;

/** What the author is told about their post's moderation. */
export type Moderation = Narrow<
  S<'Moderation'>,
  { status: 'published' | 'held' | 'rejected' }
>;

export type Notification = S<'NotificationView'>;

// ---- Chat (crates/hearth-server/src/routes/realtime.rs) ----

export type Room = S<'RoomView'>;

export type ChatMessage = Narrow<
  Schemas['ChatMessage'],
  // `moderator` is optional here: a held message shown from a live event does not carry it.
  { status: ContentStatus; author: string | null; moderator?: boolean }
> & {
  /** Client-side: what the rules told the author when it was held (from the `ack`). */
  note?: string;
};

// ---- Moderation (crates/hearth-server/src/routes/moderation.rs) ----

/** What a rule found; `start` and `end` are UTF-8 byte offsets into the post's body_source. */
export type RuleHit = Narrow<S<'RuleHit'>, { action: 'flag' | 'hold' | 'reject' }>;

export type ReadyReason = S<'ReadyReason'>;

export type QueueItem = Narrow<
  S<'QueueItem'>,
  { post: Narrow<S<'QueuePost'>, { status: ContentStatus }>; rules: RuleHit[] }
>;

export type RuleSummary = Narrow<S<'RuleSummary'>, { action: 'flag' | 'hold' | 'reject' }>;

/** A 422 from the rules carries the moderation outcome beside the error. */
export function moderationOf(e: unknown): Moderation | null {
  return e instanceof ApiError && e.moderation ? e.moderation : null;
}

/** "3 minutes", "2 hours", "a day": how long something has waited, in words. */
export function waited(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return 'less than a minute';
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? '1 minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? '1 hour' : `${h} hours`;
  const d = Math.round(h / 24);
  return `${d} days`;
}

/** A random UUID (v4), also where crypto.randomUUID is missing (plain http). */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
