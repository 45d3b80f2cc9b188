// Drafts: what someone is typing survives a reload or a dropped connection. They live in this
// browser's localStorage ONLY (never sent until posted) and are cleared when posted.
//
// A draft belongs to ONE member, and a shared device must never show one member's unsent words
// to the next person on it. So every draft's key carries its member's tag (a hash of their id:
// never the handle, nothing that names the forum), a screen reads only the signed-in member's
// drafts, and drafts are wiped on every way a session ends: sign-out, quick exit, the session
// found gone (a 401 from any request, a socket closed for policy, nobody signed in on loading),
// and on sign-in all drafts of anyone else go (see App.tsx).

import { useEffect, useState } from 'preact/hooks';

import { useSession } from './session';

/** Deliberately plain: a glance at the browser's storage shows nothing about the forum. */
const PREFIX = 'notes-draft:';

/**
 * A member's tag in draft keys: a 53-bit hash of their (opaque) id, so the storage names nobody
 * and holds no id the forum shows elsewhere. Always 11 characters.
 */
export function ownerTag(memberId: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < memberId.length; i++) {
    const c = memberId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36).padStart(11, '0');
}

/** Where a member's draft `key` (`reply:<thread>`, `thread:<board>`, `chat:<room>`) is kept. */
function storageKey(memberId: string, key: string): string {
  return `${PREFIX}${ownerTag(memberId)}:${key}`;
}

function load<T>(storage: string, empty: T): T {
  try {
    const raw = localStorage.getItem(storage);
    return raw ? ({ ...empty, ...(JSON.parse(raw) as T) }) : empty;
  } catch {
    return empty;
  }
}

function save(storage: string, value: unknown, isEmpty: boolean): void {
  try {
    if (isEmpty) localStorage.removeItem(storage);
    else localStorage.setItem(storage, JSON.stringify(value));
  } catch {
    // Storage full or refused (private browsing): the draft just is not kept.
  }
}

function remove(storage: string): void {
  try {
    localStorage.removeItem(storage);
  } catch {
    // nothing to do
  }
}

/** Removes the drafts for which `drop(key)` holds. */
function removeWhere(drop: (key: string) => boolean): void {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(PREFIX) && drop(k)) localStorage.removeItem(k);
    }
  } catch {
    // nothing to do
  }
}

/** Removes every draft (quick exit, sign-out, a session found ended, nobody signed in). */
export function clearAllDrafts(): void {
  removeWhere(() => true);
}

/**
 * Removes every draft that is not this member's (on sign-in, and whenever the app learns who is
 * signed in): another member's, and any kept before drafts carried their member.
 */
export function keepOnlyDraftsOf(memberId: string): void {
  const own = `${PREFIX}${ownerTag(memberId)}:`;
  removeWhere((k) => !k.startsWith(own));
}

/**
 * A piece of state kept as the signed-in member's draft under `key` (null: not kept). Nobody
 * signed in: not kept either.
 */
export function useDraft<T extends Record<string, string>>(
  key: string | null,
  empty: T,
): [T, (next: T) => void, () => void] {
  const { member } = useSession();
  const storage = key && member ? storageKey(member.id, key) : null;
  const [value, setValue] = useState<T>(() => (storage ? load(storage, empty) : empty));
  useEffect(() => {
    if (storage) setValue(load(storage, empty));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [storage]);
  const set = (next: T) => {
    setValue(next);
    if (storage) save(storage, next, Object.values(next).every((v) => !v.trim()));
  };
  const clear = () => {
    setValue(empty);
    if (storage) remove(storage);
  };
  return [value, set, clear];
}
