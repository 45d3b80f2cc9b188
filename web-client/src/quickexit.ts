// Quick exit: leave at once for a neutral site, and leave nothing of the forum behind.
// - The session ends on the server (a keepalive request, so it is not lost as the page goes):
//   Back, a reload or another tab cannot open the member's pages again without the password.
// - The forum only ever occupies ONE entry in this tab's history (router.ts replaces entries,
//   never adds them), and leaving replaces that entry, so Back shows nothing of the forum.
// - Every other open tab of the site is told, blanks itself and leaves the same way.
// The button is on every page; pressing Escape twice within a second does the same from
// anywhere, even while typing.

import { clearAllDrafts } from './drafts';

/** Where quick exit goes: an everyday page that draws no attention. */
export const NEUTRAL_SITE = 'https://www.bbc.co.uk/weather';

/** How close together the two Escape presses must be. */
const DOUBLE_ESCAPE_MS = 1000;

/** The tabs' channel, and the word on it that means "leave now". Deliberately plain. */
const CHANNEL = 'notes';
const LEAVE = 'leave';

/**
 * For browsers without BroadcastChannel (Safari before 15.4): a localStorage key written and at
 * once removed, which fires a `storage` event in every other tab and leaves nothing stored.
 */
const STORAGE_SIGNAL = 'notes-leave';

let leaving = false;

/** Ends the session on the server; `keepalive` lets the request outlive this page. */
function endSession(): void {
  try {
    void fetch('/api/session', {
      method: 'DELETE',
      credentials: 'same-origin',
      keepalive: true,
      headers: { Accept: 'application/json' },
    }).catch(() => {});
  } catch {
    // Never let tidying up stand in the way of leaving.
  }
}

/** Tells every other tab of the site to leave too. */
function tellOtherTabs(): void {
  try {
    if (typeof BroadcastChannel === 'function') {
      const channel = new BroadcastChannel(CHANNEL);
      channel.postMessage(LEAVE);
      channel.close();
    }
  } catch {
    // The storage signal below still goes.
  }
  try {
    localStorage.setItem(STORAGE_SIGNAL, String(Date.now()));
    localStorage.removeItem(STORAGE_SIGNAL);
  } catch {
    // Storage may be off (a private window in an old browser): nothing more to do.
  }
}

/** Blanks the page so nothing lingers on screen while the next one loads, then goes. */
function leave(): void {
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

/** Leaves now: ends the session, tells the other tabs, blanks the page and goes. */
export function quickExit(): void {
  if (leaving) return;
  leaving = true;
  endSession();
  tellOtherTabs();
  leave();
}

/**
 * Listens for Escape pressed twice (on the whole document, before anything else sees it), for
 * another tab's quick exit, and for this page coming back from the browser's back-forward cache
 * after leaving (it leaves again at once).
 */
export function installQuickExit(): void {
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

  // Another tab left: this one leaves too (the session is already ending there).
  const leaveWithThem = () => {
    if (leaving) return;
    leaving = true;
    leave();
  };
  try {
    if (typeof BroadcastChannel === 'function') {
      new BroadcastChannel(CHANNEL).addEventListener('message', (e: MessageEvent) => {
        if (e.data === LEAVE) leaveWithThem();
      });
    }
  } catch {
    // The storage signal still reaches this tab.
  }
  window.addEventListener('storage', (e) => {
    if (e.key === STORAGE_SIGNAL && e.newValue !== null) leaveWithThem();
  });

  window.addEventListener('pageshow', (e) => {
    if (e.persisted && leaving) window.location.replace(NEUTRAL_SITE);
  });
}
