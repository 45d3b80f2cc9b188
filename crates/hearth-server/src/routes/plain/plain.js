// Quick exit on the pages served without the web client: the button, or Escape pressed twice
// within a second, leaves for the neutral site and replaces this page's history entry. Without
// script the button is still a plain link to the same site.
(() => {
  // Where to go is the button's own link, set by the server (one neutral site for every page).
  const leave = () => {
    const target = document.querySelector('a.quick-exit')?.href ?? 'about:blank';
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
