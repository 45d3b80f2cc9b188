// The members the signed-in member has muted (GET /api/me/mutes), known to this tab so that
// screens the server does not mark can collapse what those members write: chat messages, and
// posts that arrive live. Only the member themselves ever sees this list; the muted member is
// never told. Forgotten on sign-out.

import { useEffect, useState } from 'preact/hooks';

import { api, type Mute } from './api';

const CHANGED = 'hearth:mutes';

/** Handles, lower-cased (handles are unique ignoring case); null until loaded. */
let muted: Set<string> | null = null;
let loading: Promise<void> | null = null;

function changed(): void {
  window.dispatchEvent(new Event(CHANGED));
}

/** Fetches the list (again). */
export async function loadMutes(): Promise<Mute[]> {
  const b = await api<{ mutes: Mute[] }>('GET', '/api/me/mutes');
  muted = new Set(b.mutes.map((m) => m.handle.toLowerCase()));
  changed();
  return b.mutes;
}

/** Records a mute or unmute made on this tab, so every screen agrees at once. */
export function setMuted(handle: string, on: boolean): void {
  const next = new Set(muted ?? []);
  if (on) next.add(handle.toLowerCase());
  else next.delete(handle.toLowerCase());
  muted = next;
  changed();
}

/** Forgets the list (sign-out). */
export function forgetMutes(): void {
  muted = null;
  loading = null;
  changed();
}

/** Whether a handle is muted, as last known. */
export function isMuted(handle: string | null | undefined): boolean {
  return !!handle && !!muted?.has(handle.toLowerCase());
}

/** The muted handles (lower-cased), loading them once per session; re-renders on change. */
export function useMutedHandles(): Set<string> {
  const [set, setSet] = useState<Set<string>>(muted ?? new Set());
  useEffect(() => {
    const update = () => setSet(muted ?? new Set());
    window.addEventListener(CHANGED, update);
    if (!muted && !loading) {
      loading = loadMutes()
        .then(() => undefined)
        .catch(() => {
          loading = null;
        });
    }
    update();
    return () => window.removeEventListener(CHANGED, update);
  }, []);
  return set;
}
