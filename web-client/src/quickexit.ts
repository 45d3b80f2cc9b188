// Quick exit: leave at once for a neutral site, replacing this page's history entry so the
// back button does not lead straight back here. The button is on every page; pressing Escape
// twice within a second does the same from anywhere, even while typing.

import { clearAllDrafts } from './drafts';

/** Where quick exit goes: an everyday page that draws no attention. */
export const NEUTRAL_SITE = 'https://www.bbc.co.uk/weather';

/** How close together the two Escape presses must be. */
const DOUBLE_ESCAPE_MS = 1000;

let leaving = false;

/** Leaves now. Blanks the page first so nothing lingers on screen while the next one loads. */
export function quickExit(): void {
  if (leaving) return;
  leaving = true;
  try {
    document.title = 'Weather';
    document.documentElement.classList.add('leaving');
    document.body.replaceChildren();
    sessionStorage.clear();
    // Drafts are the one thing kept in this browser: on a shared device, leave nothing behind.
    clearAllDrafts();
  } catch {
    // Never let tidying up stand in the way of leaving.
  }
  window.location.replace(NEUTRAL_SITE);
}

/** Listens for Escape pressed twice, on the whole document, before anything else sees it. */
export function installQuickExitKeys(): void {
  let last = 0;
  window.addEventListener(
    'keydown',
    (e) => {
      if (e.key !== 'Escape' && e.key !== 'Esc') return;
      if (e.repeat) return;
      const now = Date.now();
      if (now - last <= DOUBLE_ESCAPE_MS) {
        e.preventDefault();
        quickExit();
      } else {
        last = now;
      }
    },
    { capture: true },
  );
}
