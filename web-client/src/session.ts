// Who is signed in, for every screen. Loaded once at start (GET /api/session); sign-in and
// sign-out update it. A 401 anywhere later means the session ended (api.ts says so with
// SESSION_ENDED); so does a socket that cannot go on as the same member (socket.ts asks).

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import { api, ApiError, type Identity, type Role } from './api';
import type { Sanction } from './socket';

/** The session as the app knows it. `member` is null when nobody is signed in. */
export interface SessionValue {
  loading: boolean;
  member: Identity | null;
  /** The session ended without this tab signing out (idle, another tab, a password change). */
  ended: boolean;
  /** Why: the member was suspended or their account closed while signed in here. */
  sanction?: Sanction | null;
  setMember: (member: Identity | null) => void;
}

export const SessionContext = createContext<SessionValue>({
  loading: true,
  member: null,
  ended: false,
  setMember: () => {},
});

/** The current session. */
export function useSession(): SessionValue {
  return useContext(SessionContext);
}

/**
 * Asks the server who is signed in: the member, null if nobody (a 401: no session, or it
 * ended), or undefined if the server could not say (offline, or an error on its side).
 */
export async function whoIsSignedIn(): Promise<Identity | null | undefined> {
  try {
    const body = await api<{ member: Identity }>('GET', '/api/session');
    return body.member;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    return undefined;
  }
}

// Tabs of one browser share one session cookie: when one of them signs in, signs out or finds
// the session ended, the others are told to ask the server again, so no tab goes on showing
// (or sending) one member's things under another member's session. A BroadcastChannel leaves
// nothing behind in the browser's storage.

const CHANNEL = 'notes';

let channel: BroadcastChannel | null = null;
function theChannel(): BroadcastChannel | null {
  if (!channel && typeof BroadcastChannel === 'function') {
    try {
      channel = new BroadcastChannel(CHANNEL);
    } catch {
      channel = null;
    }
  }
  return channel;
}

/** Tells this browser's other tabs that who is signed in may have changed. */
export function announceSessionChange(): void {
  try {
    theChannel()?.postMessage('session');
  } catch {
    // nothing to do
  }
}

/** Calls `then` when another tab says who is signed in may have changed. Returns the stop. */
export function onSessionChangeElsewhere(then: () => void): () => void {
  const c = theChannel();
  if (!c) return () => {};
  const listener = (e: MessageEvent) => {
    if (e.data === 'session') then();
  };
  c.addEventListener('message', listener);
  return () => c.removeEventListener('message', listener);
}

const RANK: Record<Role, number> = { member: 1, moderator: 2, admin: 3 };

/** Whether the signed-in member holds at least this role. */
export function hasRole(member: Identity | null, role: Role): boolean {
  return !!member && RANK[member.role] >= RANK[role];
}
