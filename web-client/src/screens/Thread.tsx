// A thread: its posts, oldest first, a page at a time, with new posts arriving live; the reply
// composer; the author's own edit and delete; reporting; and the moderators' tools.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, formatDate, type Board, type Moderation, type Post, type Thread } from '../api';
import { ErrorSummary, Link, LiveNotice, Loading, PageHeading, SubmitButton, TextArea, asApiError, errorFor } from '../components';
import { takeFlash } from '../flash';
import { Composer, Outcome, SafeHtml, StatusNote, WithWarning } from '../forum';
import { hasRole, useSession } from '../session';
import { useTopic } from '../socket';

interface Page {
  posts: Post[];
  next: string | null;
}

const PAGE = 100;

/** `/threads/:id`. */
export function ThreadScreen(props: { id: string }) {
  const { member } = useSession();
  const [thread, setThread] = useState<Thread | null>(null);
  const [posts, setPosts] = useState<Map<string, Post>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busyMore, setBusyMore] = useState(false);
  const [flash] = useState<Moderation | null>(() => takeFlash(props.id));
  const [announce, setAnnounce] = useState('');
  const [boardName, setBoardName] = useState('');
  const isMod = hasRole(member, 'moderator');

  function upsert(list: Post[], fromEvent = false) {
    setPosts((old) => {
      const m = new Map(old);
      for (const p of list) {
        const before = m.get(p.id);
        // Events carry the public view: keep what only the reader's own answers hold.
        // (Handles are unique, so a live post under one's own handle is one's own.)
        const mine = p.mine ?? before?.mine ?? (!!member && p.author === member.handle);
        const merged: Post = { ...before, ...p, mine };
        if (fromEvent && merged.status === 'held' && !merged.mine && !isMod) {
          m.delete(p.id); // went back to the moderators (an edit being checked)
        } else {
          m.set(p.id, merged);
        }
      }
      return m;
    });
  }

  async function load() {
    try {
      const [t, page] = await Promise.all([
        api<{ thread: Thread }>('GET', `/api/threads/${props.id}`),
        api<Page>('GET', `/api/threads/${props.id}/posts?limit=${PAGE}`),
      ]);
      setThread(t.thread);
      upsert(page.posts);
      api<{ boards: Board[] }>('GET', '/api/boards')
        .then((b) => setBoardName(b.boards.find((x) => x.id === t.thread.board_id)?.name ?? ''))
        .catch(() => {});
      setNext(page.next);
      setLoaded(true);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  useEffect(() => {
    void load();
  }, [props.id]);

  const live = useTopic(
    `thread:${props.id}`,
    (e) => {
      const p = e.post as Post | undefined;
      if (!p) return;
      upsert([p], true);
      if (e.kind === 'post_published' && !p.is_first) setAnnounce(`New post from ${p.author ?? 'a member'}.`);
    },
    () => void load(),
  );

  async function loadMore() {
    if (!next || busyMore) return;
    setBusyMore(true);
    try {
      const page = await api<Page>('GET', `/api/threads/${props.id}/posts?limit=${PAGE}&after=${encodeURIComponent(next)}`);
      upsert(page.posts);
      setNext(page.next);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusyMore(false);
    }
  }

  async function reply(v: { body: string; warning: string }): Promise<Moderation> {
    const answer = await api<{ post: Post; moderation: Moderation }>('POST', `/api/threads/${props.id}/posts`, {
      body: v.body,
      ...(v.warning.trim() ? { content_warning: v.warning.trim() } : {}),
    });
    upsert([answer.post]);
    return answer.moderation;
  }

  // Ids are UUIDv7 (time-ordered), so they sort oldest first. While older pages are not all
  // loaded, posts that arrived live wait beyond the last loaded one instead of leaving a gap.
  const shown = [...posts.values()]
    .filter((p) => !next || p.id <= next)
    .sort((a, b) => a.id.localeCompare(b.id));
  const canReply = thread && (!thread.locked || isMod);

  return (
    <>
      <p class="breadcrumb">
        <Link href="/">Boards</Link>
        {thread && (
          <>
            {' '}
            › <Link href={`/boards/${thread.board_id}`}>{boardName || 'The board'}</Link>
          </>
        )}
      </p>
      <PageHeading>{thread ? thread.title : 'Thread'}</PageHeading>
      {thread && (
        <p class="badges badges--heading">
          {thread.pinned && <span class="badge">Pinned</span>}
          {thread.locked && <span class="badge">Locked: no new replies</span>}
          {thread.status === 'held' && <span class="badge badge--held">Waiting for a moderator</span>}
        </p>
      )}
      <Outcome moderation={flash} what="thread" />
      <ErrorSummary error={error} />
      <LiveNotice message={announce} />
      {!loaded && !error && <Loading what="the thread" />}
      {loaded && (
        <ol class="posts" aria-label="Posts" data-testid="posts" data-live={live ? 'on' : 'off'}>
          {shown.map((p) => (
            <li key={p.id}>
              <PostCard post={p} isMod={isMod} onChanged={(np) => upsert([np])} onAnnounce={setAnnounce} />
            </li>
          ))}
        </ol>
      )}
      {next && (
        <p>
          <button type="button" class="button button--secondary" onClick={loadMore} aria-disabled={busyMore ? 'true' : undefined}>
            {busyMore ? 'Loading…' : 'Show more posts'}
          </button>
        </p>
      )}
      {loaded && thread && canReply && !next && (
        <section class="section" aria-labelledby="reply-heading">
          <Composer kind="reply" heading="Reply" idPrefix="reply" draftKey={`reply:${props.id}`} send={reply} />
        </section>
      )}
      {thread?.locked && !isMod && (
        <p class="notice notice--info">This thread is locked by the moderators: it takes no new replies.</p>
      )}
      {thread && isMod && <ThreadTools thread={thread} onChanged={setThread} onAnnounce={setAnnounce} />}
    </>
  );
}

const REPORT_REASONS: [string, string][] = [
  ['identifying', 'It could identify someone'],
  ['unkind', 'It is unkind or hurtful'],
  ['unsafe', 'Someone may be at risk'],
  ['graphic', 'It is too graphic or detailed'],
  ['spam', 'Spam or advertising'],
  ['other', 'Something else'],
];

function PostCard(props: { post: Post; isMod: boolean; onChanged: (p: Post) => void; onAnnounce: (s: string) => void }) {
  const { post } = props;
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [edited, setEdited] = useState<Moderation | null>(null);
  const gone = post.status === 'deleted' || (post.status === 'removed' && !post.mine && !props.isMod);
  const headingId = `post-${post.id}`;

  async function del() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const a = await api<{ post: Post }>('DELETE', `/api/posts/${post.id}`);
      props.onChanged(a.post);
      props.onAnnounce('Your post was deleted.');
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
      setConfirmDelete(false);
    }
  }

  if (gone) {
    return (
      <article id={`p-${post.id}`} class="post post--gone" aria-labelledby={headingId} data-testid="post" data-status={post.status}>
        <h3 id={headingId} class="visually-hidden">
          A post that is no longer here
        </h3>
        <p class="meta">
          {post.status === 'deleted' ? 'This post was deleted by its author.' : 'This post was removed by the moderators.'}
        </p>
      </article>
    );
  }

  return (
    <article id={`p-${post.id}`} class={`post post--${post.status}${post.mine ? ' post--mine' : ''}`} aria-labelledby={headingId} data-testid="post" data-status={post.status}>
      <header class="post__header">
        <h3 id={headingId} class="post__author">
          {post.author ?? 'A former member'}
          {post.mine && <span class="tag">You</span>}
        </h3>
        <p class="meta post__meta">
          <time dateTime={post.created_at}>{formatDate(post.created_at)}</time>
          {post.edited_at && <> · edited</>}
        </p>
      </header>
      {post.mine && <StatusNote post={post} />}
      {props.isMod && !post.mine && post.status !== 'published' && (
        <p class="status-note status-note--held">
          <strong>{post.status === 'held' ? 'Held for review' : post.status === 'removed' ? 'Removed' : 'Not published'}</strong>: only
          its author and the moderators see this.
        </p>
      )}
      {editing ? (
        <Composer
          kind="edit"
          idPrefix={`edit-${post.id}`}
          draftKey={null}
          initial={{ body: post.body_source ?? '', warning: post.content_warning ?? '' }}
          send={async (v) => {
            const a = await api<{ post: Post; moderation: Moderation }>('PATCH', `/api/posts/${post.id}`, {
              body: v.body,
              ...(v.warning.trim() ? { content_warning: v.warning.trim() } : {}),
            });
            props.onChanged(a.post);
            return a.moderation;
          }}
          onDone={(m) => {
            setEdited(m);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <WithWarning warning={post.content_warning}>
          <SafeHtml html={post.body_html} />
        </WithWarning>
      )}
      {edited && !editing && <Outcome moderation={edited} what="edit" />}
      <ErrorSummary error={error} />
      {!editing && (
        <div class="post__actions">
          {post.mine && post.status !== 'deleted' && (
            <>
              <button type="button" class="link-button" onClick={() => { setEdited(null); setEditing(true); }} aria-label={`Edit your post from ${formatDate(post.created_at)}`}>
                Edit
              </button>
              {!confirmDelete ? (
                <button type="button" class="link-button" onClick={() => setConfirmDelete(true)} aria-label={`Delete your post from ${formatDate(post.created_at)}`}>
                  Delete
                </button>
              ) : (
                <span class="confirm" role="group" aria-label="Confirm deleting">
                  Delete this post for good?{' '}
                  <button type="button" class="button button--danger button--small" onClick={del} aria-disabled={busy ? 'true' : undefined}>
                    Yes, delete it
                  </button>{' '}
                  <button type="button" class="button button--secondary button--small" onClick={() => setConfirmDelete(false)}>
                    Keep it
                  </button>
                </span>
              )}
            </>
          )}
          {!post.mine && post.status === 'published' && <ReportForm post={post} />}
          {props.isMod && post.status !== 'removed' && post.status !== 'deleted' && (
            <RemoveForm post={post} onRemoved={(p) => { props.onChanged(p); props.onAnnounce('The post was removed.'); }} />
          )}
        </div>
      )}
    </article>
  );
}

function ReportForm(props: { post: Post }) {
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');
  const id = `report-${props.post.id}`;

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!reason) {
      setError(new ApiError(400, 'invalid', 'choose what is wrong with the post', `${id}-reason`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const a = await api<{ message: string }>('POST', `/api/posts/${props.post.id}/reports`, {
        reason,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setDone(a.message);
    } catch (err) {
      const a = asApiError(err);
      setError(a.field ? new ApiError(a.status, a.code, a.message, `${id}-${a.field}`) : a);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details class="disclosure disclosure--inline">
      <summary>
        <span>Report</span>
        <span class="visually-hidden"> the post by {props.post.author ?? 'a former member'}</span>
      </summary>
      {done ? (
        <p role="status" class="notice notice--success">
          {done}
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <ErrorSummary error={error} />
          <fieldset class={`field${errorFor(error, `${id}-reason`) ? ' field--error' : ''}`} id={`field-${id}-reason`} tabIndex={-1}>
            <legend>What is wrong with it?</legend>
            {errorFor(error, `${id}-reason`) && <p class="field-error">{errorFor(error, `${id}-reason`)}</p>}
            {REPORT_REASONS.map(([value, label]) => (
              <div class="radio-row" key={value}>
                <input type="radio" id={`${id}-${value}`} name={`${id}-reason`} value={value} checked={reason === value} onChange={() => setReason(value)} />
                <label for={`${id}-${value}`}>{label}</label>
              </div>
            ))}
          </fieldset>
          <TextArea name={`${id}-note`} label="Anything the moderators should know (optional)" rows={2} value={note} onValue={setNote} error={errorFor(error, `${id}-note`)} />
          <p class="hint">The author is not told who reported their post.</p>
          <SubmitButton busy={busy} kind="secondary">
            Send report
          </SubmitButton>
        </form>
      )}
    </details>
  );
}

function RemoveForm(props: { post: Post; onRemoved: (p: Post) => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const id = `remove-${props.post.id}`;
  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!reason.trim()) {
      setError(new ApiError(400, 'invalid', 'give a reason: the author sees it', id));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/mod/posts/${props.post.id}/remove`, { reason: reason.trim() });
      props.onRemoved({ ...props.post, status: 'removed', decision_reason: reason.trim() });
    } catch (err) {
      const a = asApiError(err);
      setError(a.field ? new ApiError(a.status, a.code, a.message, id) : a);
    } finally {
      setBusy(false);
    }
  }
  return (
    <details class="disclosure disclosure--inline">
      <summary>
        <span>Remove</span>
        <span class="visually-hidden"> the post by {props.post.author ?? 'a former member'}</span>
      </summary>
      <form onSubmit={submit} noValidate>
        <ErrorSummary error={error} />
        <TextArea name={id} label="Reason (the author sees it, from the moderators)" rows={2} value={reason} onValue={setReason} error={errorFor(error, id)} />
        <SubmitButton busy={busy} kind="danger">
          Remove post
        </SubmitButton>
      </form>
    </details>
  );
}

/** Lock, pin and move: the moderators' tools for the whole thread. */
function ThreadTools(props: { thread: Thread; onChanged: (t: Thread) => void; onAnnounce: (s: string) => void }) {
  const { thread } = props;
  const [boards, setBoards] = useState<Board[]>([]);
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(b.boards))
      .catch(() => {});
  }, []);

  async function act(action: string, body?: unknown, done?: string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const a = await api<{ thread: Thread }>('POST', `/api/mod/threads/${thread.id}/${action}`, body);
      props.onChanged({ ...thread, ...a.thread });
      if (done) props.onAnnounce(done);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  const others = boards.filter((b) => b.id !== thread.board_id);
  return (
    <section class="section tools" aria-labelledby="tools-heading">
      <h2 id="tools-heading">Moderator tools</h2>
      <ErrorSummary error={error} />
      <div class="actions actions--tight">
        <button type="button" class="button button--secondary" onClick={() => act(thread.locked ? 'unlock' : 'lock', undefined, thread.locked ? 'The thread is unlocked.' : 'The thread is locked.')}>
          {thread.locked ? 'Unlock thread' : 'Lock thread'}
        </button>
        <button type="button" class="button button--secondary" onClick={() => act(thread.pinned ? 'unpin' : 'pin', undefined, thread.pinned ? 'The thread is unpinned.' : 'The thread is pinned.')}>
          {thread.pinned ? 'Unpin thread' : 'Pin thread'}
        </button>
      </div>
      {others.length > 0 && (
        <form
          class="inline-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (target) void act('move', { board_id: target }, 'The thread was moved.');
          }}
        >
          <div class="field">
            <label for="move-board">Move to another board</label>
            <select id="move-board" value={target} onChange={(e) => setTarget((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">Choose a board</option>
              {others.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <SubmitButton busy={busy} kind="secondary">
            Move thread
          </SubmitButton>
        </form>
      )}
    </section>
  );
}
