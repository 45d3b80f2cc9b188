// A tiny router on location.pathname: pushState to move, popstate to follow the back button.
// Screens are listed in routes.tsx; adding one is adding a line there.

import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'hearth:navigate';

let moved = false;

/**
 * Whether the person has moved within the app since the page loaded. Screens move focus to
 * their heading only then: on first load focus stays at the top, so the skip link and the
 * quick-exit button come first.
 */
export function hasNavigated(): boolean {
  return moved;
}

/** Goes to an in-app path, adding a history entry (or replacing the current one). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  moved = true;
  if (to === location.pathname + location.search) {
    window.dispatchEvent(new Event(CHANGE));
    return;
  }
  if (options.replace) {
    history.replaceState(null, '', to);
  } else {
    history.pushState(null, '', to);
  }
  window.dispatchEvent(new Event(CHANGE));
}

/** The current location, re-rendering on every in-app navigation and on back/forward. */
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
