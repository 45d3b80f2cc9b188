// The threads the member follows (ones they started or replied to, and ones they chose to
// follow), most recently active first, with how many posts in each they have not read yet.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Board, type Followed } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, asApiError, When } from '../components';

/** `/following`. */
export function Following() {
  const [list, setList] = useState<Followed[] | null>(null);
  const [boards, setBoards] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<{ threads: Followed[] }>('GET', '/api/me/following')
      .then((b) => setList(b.threads))
      .catch((e) => setError(asApiError(e)));
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(new Map(b.boards.map((x) => [x.id, x.name]))))
      .catch(() => {});
  }, []);

  return (
    <>
      <PageHeading>Following</PageHeading>
      <p class="lead">
        Threads you started or replied to, and ones you chose to follow. You get a notification
        when someone replies.
      </p>
      <ErrorSummary error={error} />
      {!list && !error && <Loading what="the threads you follow" />}
      {list && list.length === 0 && (
        <p class="placeholder" data-testid="following-empty">
          You are not following any threads yet. Start one, reply to one, or press “Follow” on a
          thread’s page.
        </p>
      )}
      {list && list.length > 0 && (
        <ul class="thread-list" data-testid="following">
          {list.map(({ thread: t, unread_posts: n }) => (
            <li key={t.id} class={`thread-item${n > 0 ? ' thread-item--unread' : ''}`} data-testid="followed-thread">
              <Link href={`/threads/${t.id}`} class="thread-item__link">
                {t.title}
              </Link>
              <span class="badges">
                {n > 0 && (
                  <span class="badge badge--unread" data-testid="unread-posts">
                    {n} new
                    <span class="visually-hidden"> {n === 1 ? 'post' : 'posts'} unread</span>
                  </span>
                )}
                {t.locked && <span class="badge">Locked</span>}
              </span>
              <p class="meta thread-item__meta">
                {boards.get(t.board_id) && <>{boards.get(t.board_id)} · </>}
                {t.post_count} {t.post_count === 1 ? 'post' : 'posts'} · last active{' '}
                <When iso={t.last_activity_at} />
              </p>
            </li>
          ))}
        </ul>
      )}
      <p class="hint">To stop following a thread, open it and press “Following”.</p>
    </>
  );
}
