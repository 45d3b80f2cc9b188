// Quick exit on the pages served without the web client: the button, or Escape pressed twice
// within a second, leaves for the neutral site and replaces this page's history entry. As the
// app's quick exit does (web-client/src/quickexit.ts, same channel and words), it ends any
// session and tells the site's other open tabs to leave too. Without script the button is
// still a plain link to the same site.
(() => {
  // Where to go is the button's own link, set by the server (one neutral site for every page).
  const leave = () => {
    const target = document.querySelector('a.quick-exit')?.href ?? 'about:blank';
    try {
      fetch('/api/session', { method: 'DELETE', credentials: 'same-origin', keepalive: true }).catch(() => {});
      if (typeof BroadcastChannel === 'function') {
        const channel = new BroadcastChannel('notes');
        channel.postMessage('leave');
        channel.close();
      }
      localStorage.setItem('notes-leave', String(Date.now()));
      localStorage.removeItem('notes-leave');
    } catch {
      // Never let telling others stand in the way of leaving.
    }
    try {
      document.title = 'Weather';
      document.body.replaceChildren();
    } catch {
      // Never let tidying up stand in the way of leaving.
    }
    window.location.replace(target);
  };
  document.addEventListener('click', (e) => {
    const link = e.target instanceof Element ? e.target.closest('a.quick-exit') : null;
    if (link) {
      e.preventDefault();
      leave();
    }
  });
  let last = 0;
  window.addEventListener(
    'keydown',
    (e) => {
      if ((e.key !== 'Escape' && e.key !== 'Esc') || e.repeat) return;
      const now = Date.now();
      if (now - last <= 1000) {
        e.preventDefault();
        leave();
      } else {
        last = now;
      }
    },
    { capture: true },
  );
})();
