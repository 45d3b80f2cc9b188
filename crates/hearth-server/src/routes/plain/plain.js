// Quick exit on the pages served without the web client: the button, or Escape pressed twice
// within a second, leaves for the neutral site and replaces this page's history entry. Without
// script the button is still a plain link to the same site.
(() => {
  const NEUTRAL_SITE = 'https://www.bbc.co.uk/weather';
  const leave = () => {
    try {
      document.title = 'Weather';
      document.body.replaceChildren();
    } catch {
      // Never let tidying up stand in the way of leaving.
    }
    window.location.replace(NEUTRAL_SITE);
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
