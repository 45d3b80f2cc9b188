// A board: its threads (pinned first, then by last activity), with unread markers and
// pinned/locked badges, a page at a time; live as threads start or get replies; and the
// composer for a new thread.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, SendKey, type Board, type Moderation, type Post, type Thread } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, asApiError, When } from '../components';
import { Composer } from '../forum';
import { navigate } from '../router';
import { useTopic } from '../socket';
import { setFlash } from '../flash';

interface Page {
  threads: Thread[];
  next: string | null;
}

function order(list: Thread[]): Thread[] {
  return [...list].sort((a, b) => {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    return b.last_activity_at.localeCompare(a.last_activity_at) || b.id.localeCompare(a.id);
  });
}

/** `/boards/:id`. */
export function BoardScreen(props: { id: string }) {
  const [board, setBoard] = useState<Board | null>(null);
  const [threads, setThreads] = useState<Thread[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [more, setMore] = useState(false);
  const [composing, setComposing] = useState(false);

  async function load() {
    try {
      const [b, page] = await Promise.all([
        api<{ board: Board }>('GET', `/api/boards/${props.id}`),
        api<Page>('GET', `/api/boards/${props.id}/threads`),
      ]);
      setBoard(b.board);
      setThreads((old) => merge(old ?? [], page.threads));
      setNext(page.next);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  useEffect(() => {
    void load();
  }, [props.id]);

  useTopic(
    `board:${props.id}`,
    (e) => {
      if (e.kind === 'thread_withdrawn') {
        // Moved away, or no longer visible: off this board's list.
        const id = String(e.thread_id ?? '');
        setThreads((old) => (old ?? []).filter((x) => x.id !== id));
        return;
      }
      const t = e.thread as Thread | undefined;
      if (!t || (e.kind !== 'thread_created' && e.kind !== 'thread_updated')) return;
      setThreads((old) => merge(old ?? [], [{ ...t, unread: true }]));
    },
    () => void load(),
  );

  async function loadMore() {
    if (!next || more) return;
    setMore(true);
    try {
      const page = await api<Page>('GET', `/api/boards/${props.id}/threads?cursor=${encodeURIComponent(next)}`);
      setThreads((old) => merge(old ?? [], page.threads));
      setNext(page.next);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setMore(false);
    }
  }

  const sendKey = useRef(new SendKey());

  async function start(v: { title: string; body: string; warning: string }): Promise<Moderation> {
    const fields = {
      title: v.title.trim(),
      body: v.body,
      ...(v.warning.trim() ? { content_warning: v.warning.trim() } : {}),
    };
    const answer = await api<{ thread: Thread; post: Post; moderation: Moderation }>(
      'POST',
      `/api/boards/${props.id}/threads`,
      fields,
      sendKey.current.for(JSON.stringify(fields)),
    );
    sendKey.current.done();
    setFlash(answer.thread.id, answer.moderation);
    navigate(`/threads/${answer.thread.id}`);
    return answer.moderation;
  }

  return (
    <>
      <p class="breadcrumb">
        <Link href="/">Boards</Link>
      </p>
      <PageHeading>{board ? board.name : 'Board'}</PageHeading>
      {board?.description && <p class="lead">{board.description}</p>}
      <ErrorSummary error={error} />
      {board?.archived_at && (
        <p class="notice notice--info" data-testid="board-archived">
          This board is archived. Its threads can still be read, but it takes no new threads or replies.
        </p>
      )}
      {board && !board.archived_at && !composing && (
        <p>
          <button type="button" class="button button--primary" onClick={() => setComposing(true)}>
            Start a new thread
          </button>
        </p>
      )}
      {board && !board.archived_at && composing && (
        <Composer
          kind="thread"
          heading="Start a new thread"
          idPrefix="new-thread"
          draftKey={`thread:${props.id}`}
          send={start}
          onCancel={() => setComposing(false)}
        />
      )}
      {!threads && !error && <Loading what="threads" />}
      {threads && threads.length === 0 && <p class="placeholder">{board?.archived_at ? 'No threads.' : 'No threads yet. You could start the first.'}</p>}
      {threads && threads.length > 0 && (
        <section aria-labelledby="threads-heading" class="section">
          <h2 id="threads-heading" class="visually-hidden">
            Threads
          </h2>
          <ul class="thread-list" data-testid="threads">
            {order(threads).map((t) => (
              <li key={t.id} class={`thread-item${t.unread ? ' thread-item--unread' : ''}`} data-testid="thread-item">
                <Link href={`/threads/${t.id}`} class="thread-item__link">
                  {t.title}
                </Link>
                <span class="badges">
                  {t.unread && <span class="badge badge--unread">New</span>}
                  {t.pinned && <span class="badge">Pinned</span>}
                  {t.locked && <span class="badge">Locked</span>}
                  {t.status === 'held' && <span class="badge badge--held">Waiting for a moderator</span>}
                </span>
                <p class="meta thread-item__meta">
                  {t.author ?? 'A former member'} · {t.post_count} {t.post_count === 1 ? 'post' : 'posts'} · last active{' '}
                  <When iso={t.last_activity_at} />
                </p>
              </li>
            ))}
          </ul>
        </section>
      )}
      {next && (
        <p>
          <button type="button" class="button button--secondary" onClick={loadMore} aria-disabled={more ? 'true' : undefined}>
            {more ? 'Loading…' : 'Show older threads'}
          </button>
        </p>
      )}
    </>
  );
}

function merge(old: Thread[], incoming: Thread[]): Thread[] {
  const byId = new Map(old.map((t) => [t.id, t]));
  for (const t of incoming) byId.set(t.id, { ...byId.get(t.id), ...t, unread: t.unread ?? byId.get(t.id)?.unread });
  return order([...byId.values()]);
}
