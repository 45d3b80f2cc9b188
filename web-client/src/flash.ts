// A message carried from one screen to the next (the outcome of a new thread, shown on the
// thread's page). In memory only: a reload does not bring it back.

import type { Moderation } from './api';

let flash: { key: string; moderation: Moderation } | null = null;

export function setFlash(key: string, moderation: Moderation): void {
  flash = { key, moderation };
}

/** The message for this screen, once. */
export function takeFlash(key: string): Moderation | null {
  if (flash && flash.key === key) {
    const m = flash.moderation;
    flash = null;
    return m;
  }
  return null;
}
