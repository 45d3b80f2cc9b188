// The member's notifications: decisions on their own posts (signed by "the moderators", never
// one of them) and replies. Opening this screen marks them read; the new ones stay marked.

import { useEffect, useState } from 'preact/hooks';

import { ApiError, formatDate, type Notification } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, asApiError } from '../components';
import { fetchNotifications, markAllRead, onNotificationsChanged, unreadNow } from '../notifications';

const WORDS: Record<string, string> = {
  post_approved: 'A moderator approved your post. Everyone can see it now.',
  post_rejected: 'Your post was not published.',
  post_removed: 'Your post was removed.',
  reply: 'Someone replied in a thread you are part of.',
  queue_overdue: 'Something in the moderation queue has waited a long time.',
};

/** `/notifications`. */
export function Notifications() {
  const [list, setList] = useState<Notification[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function load() {
    try {
      const b = await fetchNotifications();
      setList((old) => {
        // Keep the "New" marks of this visit even after they are marked read.
        const fresh = new Set((old ?? []).filter((n) => !n.read).map((n) => n.id));
        return b.notifications.map((n) => (fresh.has(n.id) ? { ...n, read: false } : n));
      });
      if (b.unread > 0) await markAllRead();
    } catch (e) {
      setError(asApiError(e));
    }
  }

  useEffect(() => {
    void load();
    // A notification arriving while here: fetch it (the count going up says one came).
    let last = -1;
    return onNotificationsChanged(() => {
      const n = unreadNow();
      if (n > 0 && n !== last) {
        last = n;
        void load();
      }
    });
  }, []);

  return (
    <>
      <PageHeading>Notifications</PageHeading>
      <ErrorSummary error={error} />
      {!list && !error && <Loading what="notifications" />}
      {list && list.length === 0 && <p class="placeholder">Nothing yet. Decisions about your posts and replies to you will show here.</p>}
      {list && list.length > 0 && (
        <ul class="notifications" data-testid="notifications">
          {list.map((n) => (
            <li key={n.id} class={`notification${n.read ? '' : ' notification--new'}`}>
              <p class="notification__line">
                {!n.read && <span class="badge badge--unread">New</span>} {WORDS[n.kind] ?? 'An update about your posts.'}
              </p>
              {n.message && (
                <p class="notification__message">
                  <span class="status-note__from">From {n.from}:</span> {n.message}
                </p>
              )}
              <p class="meta">
                <time dateTime={n.created_at}>{formatDate(n.created_at)}</time>
                {n.thread_id && (
                  <>
                    {' · '}
                    <Link href={`/threads/${n.thread_id}`}>Go to the thread</Link>
                  </>
                )}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
