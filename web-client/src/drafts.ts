// Drafts: what someone is typing survives a reload or a dropped connection. They live in this
// browser's localStorage ONLY (never sent until posted), are cleared when posted, and are all
// wiped on quick exit and on sign-out, so a shared device keeps nothing behind.

import { useEffect, useState } from 'preact/hooks';

/** Deliberately plain: a glance at the browser's storage shows nothing about the forum. */
const PREFIX = 'notes-draft:';

export function loadDraft<T>(key: string, empty: T): T {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw ? ({ ...empty, ...(JSON.parse(raw) as T) }) : empty;
  } catch {
    return empty;
  }
}

export function saveDraft(key: string, value: unknown, isEmpty: boolean): void {
  try {
    if (isEmpty) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Storage full or refused (private browsing): the draft just is not kept.
  }
}

export function clearDraft(key: string): void {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // nothing to do
  }
}

/** Removes every draft (quick exit, sign-out). */
export function clearAllDrafts(): void {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(PREFIX)) localStorage.removeItem(k);
    }
  } catch {
    // nothing to do
  }
}

/** A piece of state kept as a draft under `key` (null: not kept). */
export function useDraft<T extends Record<string, string>>(
  key: string | null,
  empty: T,
): [T, (next: T) => void, () => void] {
  const [value, setValue] = useState<T>(() => (key ? loadDraft(key, empty) : empty));
  useEffect(() => {
    if (key) setValue(loadDraft(key, empty));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const set = (next: T) => {
    setValue(next);
    if (key) saveDraft(key, next, Object.values(next).every((v) => !v.trim()));
  };
  const clear = () => {
    setValue(empty);
    if (key) clearDraft(key);
  };
  return [value, set, clear];
}
