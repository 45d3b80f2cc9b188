// Who is signed in, for every screen. Loaded once at start (GET /api/session); sign-in and
// sign-out update it. A 401 anywhere later means the session ended: screens call `signedOut`.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import { api, ApiError, type Identity, type Role } from './api';

/** The session as the app knows it. `member` is null when nobody is signed in. */
export interface SessionValue {
  loading: boolean;
  member: Identity | null;
  setMember: (member: Identity | null) => void;
}

export const SessionContext = createContext<SessionValue>({
  loading: true,
  member: null,
  setMember: () => {},
});

/** The current session. */
export function useSession(): SessionValue {
  return useContext(SessionContext);
}

/** Asks the server who is signed in; null if nobody (or the server cannot say). */
export async function loadSession(): Promise<Identity | null> {
  try {
    const body = await api<{ member: Identity }>('GET', '/api/session');
    return body.member;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    return null;
  }
}

const RANK: Record<Role, number> = { member: 1, moderator: 2, admin: 3 };

/** Whether the signed-in member holds at least this role. */
export function hasRole(member: Identity | null, role: Role): boolean {
  return !!member && RANK[member.role] >= RANK[role];
}
