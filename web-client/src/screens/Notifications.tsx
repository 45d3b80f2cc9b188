// The member's notifications: decisions on their own posts (signed by "the moderators", never
// one of them), replies in threads they follow (gathered per thread: "2 new replies in ...") and
// mentions. Opening this screen marks them read; the new ones stay marked.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Notification, type Thread } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, asApiError, When } from '../components';
import { fetchNotifications, markAllRead, onNotificationsChanged, unreadNow } from '../notifications';

const WORDS: Record<string, string> = {
  post_approved: 'A moderator approved your post. Everyone can see it now.',
  post_edited_by_moderator: 'A moderator edited your post. It is marked “edited by a moderator”, and you can still edit it yourself.',
  post_rejected: 'Your post was not published.',
  post_removed: 'Your post was removed.',
  queue_overdue: 'Something in the moderation queue has waited a long time.',
  checkin: 'The moderators have sent you a private check-in message.',
  crisis_overdue: 'Someone in the urgent lane has had no response in time. Please look now.',
  concern_raised: 'A safeguarding concern is waiting for a lead.',
  concern_overdue: 'A safeguarding concern is past its response deadline.',
  message_approved: 'A moderator approved your chat message. Everyone in the room can see it now.',
  message_rejected: 'Your chat message was not published.',
  message_removed: 'A moderator removed one of your chat messages.',
};

/** A line of the list: one notification, or several replies in one thread gathered together. */
interface Item {
  n: Notification;
  /** How many replies this line stands for (1 for anything else). */
  count: number;
}

/** Replies in the same thread (and equally new or read) make one line, where the newest was. */
function gather(list: Notification[]): Item[] {
  const out: Item[] = [];
  const replies = new Map<string, Item>();
  for (const n of list) {
    if (n.kind === 'reply' && n.thread_id) {
      const key = `${n.thread_id}:${n.read}`;
      const seen = replies.get(key);
      if (seen) {
        seen.count += 1;
        continue;
      }
      const item = { n, count: 1 };
      replies.set(key, item);
      out.push(item);
    } else {
      out.push({ n, count: 1 });
    }
  }
  return out;
}

/** Threads' titles, for the lines that name one (asked for once each). */
const titles = new Map<string, string | null>();

async function fetchTitles(list: Notification[]): Promise<void> {
  const wanted = [
    ...new Set(list.filter((n) => (n.kind === 'reply' || n.kind === 'mention') && n.thread_id).map((n) => n.thread_id as string)),
  ].filter((id) => !titles.has(id));
  await Promise.all(
    wanted.map((id) =>
      api<{ thread: Thread }>('GET', `/api/threads/${id}`)
        .then((b) => titles.set(id, b.thread.title))
        .catch(() => titles.set(id, null)),
    ),
  );
}

/** What a reply or mention says, with the thread's title as the link. */
function Line(props: { item: Item }) {
  const { n, count } = props.item;
  const id = n.thread_id as string;
  const title = titles.get(id);
  const href = n.kind === 'mention' && n.post_id ? `/threads/${id}#p-${n.post_id}` : `/threads/${id}`;
  const link = <Link href={href}>{title ? `“${title}”` : 'a thread'}</Link>;
  if (n.kind === 'mention') return <>You were mentioned in {link}</>;
  return (
    <>
      {`${count} ${n.read ? '' : 'new '}${count === 1 ? 'reply' : 'replies'} in `}
      {link}
    </>
  );
}

/** `/notifications`. */
export function Notifications() {
  const [list, setList] = useState<Notification[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function load() {
    try {
      const b = await fetchNotifications();
      await fetchTitles(b.notifications);
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
      {list && list.length === 0 && (
        <p class="placeholder">
          Nothing yet. Decisions about your posts, replies in threads you follow and mentions of you will show here.
        </p>
      )}
      {list && list.length > 0 && (
        <ul class="notifications" data-testid="notifications">
          {gather(list).map(({ n, count }) => (
            <li key={n.id} class={`notification${n.read ? '' : ' notification--new'}`} data-testid="notification" data-kind={n.kind}>
              <p class="notification__line">
                {!n.read && <span class="badge badge--unread">New</span>}{' '}
                {(n.kind === 'reply' || n.kind === 'mention') && n.thread_id ? (
                  <Line item={{ n, count }} />
                ) : (
                  WORDS[n.kind] ?? 'An update about your posts.'
                )}
              </p>
              {n.message && (
                <p class="notification__message">
                  <span class="status-note__from">From {n.from}:</span> {n.message}
                </p>
              )}
              <p class="meta">
                <When iso={n.created_at} />
                {n.kind === 'checkin' && (
                  <>
                    {' · '}
                    <Link href="/checkins">Read it</Link>
                  </>
                )}
                {n.kind === 'crisis_overdue' && (
                  <>
                    {' · '}
                    <Link href="/mod/queue">Open the urgent lane</Link>
                  </>
                )}
                {n.thread_id && n.kind !== 'reply' && n.kind !== 'mention' && (
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
