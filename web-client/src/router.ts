// A tiny router on location.pathname. Every move REPLACES the current history entry (never
// pushes one), so the whole forum only ever occupies a single entry in the browser's history:
// quick exit replaces that one entry with the neutral site, and Back then shows nothing of the
// forum (no thread, no profile, no account page with an email). Members move back by the app's
// own links (breadcrumbs, the navigation), not the browser's Back button.
// Screens are listed in App.tsx; adding one is adding a line there.

import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'hearth:navigate';

let moved = false;

/**
 * The handle of the profile open now. A profile's address would carry a member's handle, their
 * words, into the browser's history, beyond any quick exit's reach; so `/members/<handle>`
 * (a link's address, a mention in a post, an address typed or opened in a new tab) is kept
 * here, in this page's memory only, and the address becomes the plain `/member`. A reload or
 * quick exit forgets it.
 */
let profileHandle: string | null = null;

/** The handle of the profile the plain address `/member` shows, if this page still knows it. */
export function openProfile(): string | null {
  return profileHandle;
}

/** An in-app address with no member's words in it: a profile's handle goes to memory. */
function withoutWords(to: string): string {
  const m = /^\/members\/([^/?#]+)\/?$/.exec(to);
  if (!m) return to;
  try {
    profileHandle = decodeURIComponent(m[1]);
  } catch {
    profileHandle = m[1];
  }
  return '/member';
}

// An address opened from outside the app (a new tab, a typed address) loses its words at once.
if (typeof location !== 'undefined') {
  const plain = withoutWords(location.pathname);
  if (plain !== location.pathname) history.replaceState(null, '', plain);
}

/**
 * Whether the person has moved within the app since the page loaded. Screens move focus to
 * their heading only then: on first load focus stays at the top, so the skip link and the
 * quick-exit button come first.
 */
export function hasNavigated(): boolean {
  return moved;
}

/** Goes to an in-app path in place of the current history entry (see the top of this file). */
export function navigate(to: string): void {
  moved = true;
  to = withoutWords(to);
  if (to !== location.pathname + location.search) history.replaceState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current location, re-rendering on every in-app navigation (and on popstate, should a hash link add an entry). */
export function useLocation(): { path: string; search: URLSearchParams; key: number } {
  const [state, setState] = useState(() => ({
    path: location.pathname,
    search: new URLSearchParams(location.search),
    key: 0,
  }));
  useEffect(() => {
    const update = () => {
      moved = true;
      setState((s) => ({
        path: location.pathname,
        search: new URLSearchParams(location.search),
        key: s.key + 1,
      }));
    };
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return state;
}

/** Whether a click should be left to the browser (new tab, download, modified click). */
export function isPlainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey && !e.defaultPrevented;
}

/**
 * A link to a place on the page (the skip link, an error summary's link to its field) would add
 * a history entry; this moves the focus there instead, so the forum keeps its single entry.
 */
export function installInPageLinks(): void {
  document.addEventListener('click', (e) => {
    const link = e.target instanceof Element ? e.target.closest('a[href^="#"]') : null;
    if (!link || !isPlainClick(e)) return;
    e.preventDefault();
    const target = document.getElementById(decodeURIComponent((link.getAttribute('href') ?? '').slice(1)));
    if (!target) return;
    if (!target.hasAttribute('tabindex') && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName)) {
      target.setAttribute('tabindex', '-1');
    }
    target.focus();
    target.scrollIntoView({ block: 'start' });
  });
}
