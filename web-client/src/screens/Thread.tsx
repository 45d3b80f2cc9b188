// A thread: its posts, oldest first, a page at a time, with new posts arriving live; the reply
// composer; the author's own edit and delete; reporting; supportive reactions (live); following
// or muting the thread; posts by muted members collapsed; and the moderators' tools.

import { useEffect, useRef, useState } from 'preact/hooks';

import {
  api,
  ApiError,
  formatDate,
  REACTIONS,
  SendKey,
  type Board,
  type FollowState,
  type Moderation,
  type Post,
  type ReactionKind,
  type Reactions,
  type Thread,
} from '../api';
import { ErrorSummary, Link, LiveNotice, Loading, PageHeading, SubmitButton, TextArea, asApiError, errorFor, When } from '../components';
import { takeFlash } from '../flash';
import { Composer, Outcome, SafeHtml, StatusNote, WithWarning, quoteOf } from '../forum';
import { isMuted, useMutedHandles } from '../mutes';
import { hasRole, useSession } from '../session';
import { useTopic } from '../socket';
import { REPORT_REASONS } from '../words';

interface Page {
  posts: Post[];
  next: string | null;
  /** First page only: the first post that was unread before this visit. */
  first_unread?: string | null;
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
  /** The thread's board is archived: read-only, so no reply box. */
  const [archived, setArchived] = useState(false);
  // Replying follows the thread (unless the member chose otherwise): the control asks again.
  const [followAgain, setFollowAgain] = useState(0);
  const isMod = hasRole(member, 'moderator');
  // The first post that was new to the reader when they opened the thread (kept through
  // reloads of the first page, which find it read by then).
  const [firstUnread, setFirstUnread] = useState<string | null>(null);
  const [quote, setQuote] = useState<{ text: string; n: number } | null>(null);
  // Loads the member's mutes, so a post arriving live from someone they muted stays collapsed.
  useMutedHandles();

  /**
   * Adds or updates posts. `list`: a page of the thread (the whole truth for the reader);
   * `event`: the public view a live event carries; `answer`: the author's own post as an edit,
   * delete or reply answered it (reactions there are not the post's own).
   */
  function upsert(list: Post[], source: 'list' | 'event' | 'answer' = 'answer') {
    setPosts((old) => {
      const m = new Map(old);
      for (const p of list) {
        const before = m.get(p.id);
        // Events carry the public view: keep what only the reader's own answers hold.
        // (Handles are unique, so a live post under one's own handle is one's own.)
        const mine = p.mine ?? before?.mine ?? (!!member && p.author === member.handle);
        const merged: Post = { ...before, ...p, mine };
        if (source !== 'list' && before) {
          merged.reactions = before.reactions ?? p.reactions;
          merged.author_muted = before.author_muted ?? p.author_muted;
        }
        if (merged.author_muted === undefined) merged.author_muted = !mine && isMuted(p.author);
        if (source === 'event' && merged.status === 'held' && !merged.mine && !isMod) {
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
      upsert(page.posts, 'list');
      if (page.first_unread) setFirstUnread((old) => old ?? page.first_unread ?? null);
      api<{ board: Board }>('GET', `/api/boards/${t.thread.board_id}`)
        .then((b) => {
          setBoardName(b.board.name);
          setArchived(!!b.board.archived_at);
        })
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
      if (e.kind === 'reactions_changed') {
        // New counts for everyone; what the reader left themselves stays as it was.
        const id = String(e.post_id);
        const counts = (e.counts ?? {}) as Reactions['counts'];
        setPosts((old) => {
          const before = old.get(id);
          if (!before) return old;
          const m = new Map(old);
          m.set(id, { ...before, reactions: { counts, mine: before.reactions?.mine ?? [] } });
          return m;
        });
        return;
      }
      if (e.kind === 'post_withdrawn') {
        // No longer visible to readers (held again, or gone): take it off the page. The
        // author's own copy and a moderator's stay, as REST would show them.
        const id = String(e.post_id ?? '');
        setPosts((old) => {
          const before = old.get(id);
          if (!before || before.mine || isMod) return old;
          const m = new Map(old);
          m.delete(id);
          return m;
        });
        return;
      }
      const p = e.post as Post | undefined;
      if (!p) return;
      upsert([p], 'event');
      if (e.kind === 'post_published' && !p.is_first) setAnnounce(`New post from ${p.author ?? 'a member'}.`);
    },
    () => void load(),
  );

  async function loadMore() {
    if (!next || busyMore) return;
    setBusyMore(true);
    try {
      const page = await api<Page>('GET', `/api/threads/${props.id}/posts?limit=${PAGE}&after=${encodeURIComponent(next)}`);
      upsert(page.posts, 'list');
      setNext(page.next);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusyMore(false);
    }
  }

  /** Goes to the first unread post (loading pages until it is there) and focuses it. */
  async function jumpToUnread(e: Event) {
    e.preventDefault();
    if (!firstUnread) return;
    let after = next;
    for (let i = 0; i < 20 && after && !posts.has(firstUnread) && firstUnread > after; i++) {
      try {
        const page = await api<Page>('GET', `/api/threads/${props.id}/posts?limit=${PAGE}&after=${encodeURIComponent(after)}`);
        upsert(page.posts, 'list');
        setNext(page.next);
        after = page.next;
        if (page.posts.some((p) => p.id === firstUnread)) break;
      } catch (err) {
        setError(asApiError(err));
        return;
      }
    }
    window.requestAnimationFrame(() => {
      const el = document.getElementById(`p-${firstUnread}`);
      if (!el) return;
      el.scrollIntoView({ block: 'start' });
      el.classList.add('post--target');
      el.focus({ preventScroll: true });
    });
  }

  const sendKey = useRef(new SendKey());

  async function reply(v: { body: string; warning: string }): Promise<Moderation> {
    const fields = {
      body: v.body,
      ...(v.warning.trim() ? { content_warning: v.warning.trim() } : {}),
    };
    const answer = await api<{ post: Post; moderation: Moderation }>(
      'POST',
      `/api/threads/${props.id}/posts`,
      fields,
      sendKey.current.for(JSON.stringify(fields)),
    );
    sendKey.current.done();
    upsert([answer.post]);
    setFollowAgain((n) => n + 1);
    return answer.moderation;
  }

  // Ids are UUIDv7 (time-ordered), so they sort oldest first. While older pages are not all
  // loaded, posts that arrived live wait beyond the last loaded one instead of leaving a gap.
  const shown = [...posts.values()]
    .filter((p) => !next || p.id <= next)
    .sort((a, b) => a.id.localeCompare(b.id));
  const canReply = thread && !archived && (!thread.locked || isMod);

  function setReactions(id: string, reactions: Reactions) {
    setPosts((old) => {
      const before = old.get(id);
      if (!before) return old;
      const m = new Map(old);
      m.set(id, { ...before, reactions });
      return m;
    });
  }

  // A link to one post (`#p-<id>`, from a notification or a search result): go to it once the
  // posts are there.
  useEffect(() => {
    if (!loaded || !location.hash.startsWith('#p-')) return;
    const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    el?.scrollIntoView({ block: 'start' });
    el?.classList.add('post--target');
  }, [loaded]);

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
      {thread && <FollowControl threadId={props.id} refresh={followAgain} onAnnounce={setAnnounce} />}
      <Outcome moderation={flash} what="thread" />
      <ErrorSummary error={error} />
      <LiveNotice message={announce} />
      {!loaded && !error && <Loading what="the thread" />}
      {loaded && firstUnread && shown[0]?.id !== firstUnread && (
        <p class="jump-unread">
          <a href={`#p-${firstUnread}`} class="button button--secondary button--small" onClick={jumpToUnread} data-testid="jump-unread">
            Jump to the first new post
          </a>
        </p>
      )}
      {loaded && (
        <ol class="posts" aria-label="Posts" data-testid="posts" data-live={live ? 'on' : 'off'}>
          {shown.map((p) => (
            <li key={p.id}>
              {p.id === firstUnread && shown[0]?.id !== firstUnread && (
                <p class="unread-divider" data-testid="unread-divider">
                  New since your last visit
                </p>
              )}
              <PostCard
                post={p}
                isMod={isMod}
                onChanged={(np) => upsert([np])}
                onReactions={(r) => setReactions(p.id, r)}
                onAnnounce={setAnnounce}
                onQuote={canReply && !next ? (qp) => setQuote((old) => ({ text: quoteOf(qp), n: (old?.n ?? 0) + 1 })) : undefined}
              />
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
          <Composer kind="reply" heading="Reply" idPrefix="reply" draftKey={`reply:${props.id}`} send={reply} insert={quote} />
        </section>
      )}
      {archived && (
        <p class="notice notice--info" data-testid="thread-archived">
          This thread is on an archived board: it can still be read, but it takes no new replies.
        </p>
      )}
      {thread?.locked && !isMod && !archived && (
        <p class="notice notice--info">This thread is locked by the moderators: it takes no new replies.</p>
      )}
      {thread && isMod && <ThreadTools thread={thread} onChanged={setThread} onAnnounce={setAnnounce} />}
    </>
  );
}


/** Follow (notified of new replies), Following ✓ (press to stop), or mute the thread. */
function FollowControl(props: { threadId: string; refresh: number; onAnnounce: (s: string) => void }) {
  const [state, setState] = useState<FollowState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<{ state: FollowState }>('GET', `/api/threads/${props.threadId}/follow`)
      .then((b) => setState(b.state))
      .catch(() => {});
  }, [props.threadId, props.refresh]);

  async function change(next: FollowState) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ state: FollowState }>('PUT', `/api/threads/${props.threadId}/follow`, { state: next });
      setState(b.state);
      props.onAnnounce(
        b.state === 'following'
          ? 'You are following this thread: you will be told about new replies.'
          : b.state === 'muted'
            ? 'Thread muted: you will not be told about new replies.'
            : 'You are no longer following this thread.',
      );
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  if (!state) return null;
  const disabled = busy ? 'true' : undefined;
  return (
    <>
      <ErrorSummary error={error} />
      <div class="follow" role="group" aria-label="Following this thread" data-testid="follow" data-state={state}>
        {state === 'not_following' && (
          <button type="button" class="button button--secondary button--small" onClick={() => change('following')} aria-disabled={disabled}>
            Follow
          </button>
        )}
        {state === 'following' && (
          <button type="button" class="button button--secondary button--small follow__on" onClick={() => change('not_following')} aria-disabled={disabled}>
            Following <span aria-hidden="true">✓</span>
            <span class="visually-hidden"> (press to stop following)</span>
          </button>
        )}
        {state === 'muted' && <span class="follow__note">Thread muted: no notifications about it.</span>}
        {state === 'muted' ? (
          <button type="button" class="link-button" onClick={() => change('not_following')} aria-disabled={disabled}>
            Unmute thread
          </button>
        ) : (
          <button type="button" class="link-button" onClick={() => change('muted')} aria-disabled={disabled}>
            Mute thread
          </button>
        )}
        {state !== 'muted' && (
          <span class="follow__note">
            {state === 'following' ? 'You are told about new replies.' : 'Follow to be told about new replies.'}
          </span>
        )}
      </div>
    </>
  );
}

/** The supportive reactions: buttons on others' posts, counts and who reacted on one's own. */
function ReactionBar(props: { post: Post; onReactions: (r: Reactions) => void }) {
  const { post } = props;
  const [busy, setBusy] = useState<ReactionKind | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const counts = post.reactions?.counts ?? {};
  const mine = post.reactions?.mine ?? [];
  const total = REACTIONS.reduce((n, [k]) => n + (counts[k] ?? 0), 0);

  async function toggle(kind: ReactionKind) {
    if (busy) return;
    setBusy(kind);
    setError(null);
    const on = mine.includes(kind);
    try {
      const a = await api<{ reactions: Reactions }>(on ? 'DELETE' : 'PUT', `/api/posts/${post.id}/reactions/${kind}`);
      props.onReactions(a.reactions);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(null);
    }
  }

  if (post.mine) {
    if (total === 0) return null;
    return (
      <div class="reactions reactions--mine" data-testid="reactions">
        <p class="reactions__counts">
          <span class="visually-hidden">Reactions to your post: </span>
          {REACTIONS.filter(([k]) => (counts[k] ?? 0) > 0).map(([k, label]) => (
            <span key={k} class="reaction reaction--static" data-kind={k}>
              {label} <span class="reaction__count">{counts[k]}</span>
            </span>
          ))}
        </p>
        <WhoReacted postId={post.id} total={total} />
      </div>
    );
  }

  const who = post.author ?? 'a former member';
  return (
    <>
      <ErrorSummary error={error} />
      <div class="reactions" role="group" aria-label={`Reactions to the post by ${who}`} data-testid="reactions">
        {REACTIONS.map(([kind, label]) => {
          const n = counts[kind] ?? 0;
          const on = mine.includes(kind);
          return (
            <button
              key={kind}
              type="button"
              class="reaction"
              aria-pressed={on ? 'true' : 'false'}
              aria-disabled={busy === kind ? 'true' : undefined}
              data-kind={kind}
              onClick={() => void toggle(kind)}
            >
              {label}
              {n > 0 && (
                <span class="reaction__count">
                  <span class="visually-hidden">: </span>
                  {n}
                </span>
              )}
            </button>
          );
        })}
      </div>
    </>
  );
}

/** Who reacted to one's own post: asked for only when opened. */
function WhoReacted(props: { postId: string; total: number }) {
  const [list, setList] = useState<{ handle: string; kind: ReactionKind }[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  async function load() {
    try {
      const b = await api<{ reactors: { handle: string; kind: ReactionKind }[] }>('GET', `/api/posts/${props.postId}/reactions`);
      setList(b.reactors);
    } catch (e) {
      setError(asApiError(e));
    }
  }
  // Counts change live: an open list is asked again.
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (open) void load();
  }, [open, props.total]);
  const label = Object.fromEntries(REACTIONS) as Record<ReactionKind, string>;
  return (
    <details class="disclosure disclosure--inline who-reacted" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        <span>Who reacted</span>
      </summary>
      <ErrorSummary error={error} />
      {!list && !error && <Loading what="who reacted" />}
      {list && (
        <ul class="who-reacted__list" data-testid="who-reacted">
          {list.map((r) => (
            <li key={`${r.handle}:${r.kind}`}>
              <Link href={`/members/${encodeURIComponent(r.handle)}`}>{r.handle}</Link>: {label[r.kind] ?? r.kind}
            </li>
          ))}
        </ul>
      )}
      <p class="hint">Only you can see who reacted to your posts.</p>
    </details>
  );
}

function PostCard(props: {
  post: Post;
  isMod: boolean;
  onChanged: (p: Post) => void;
  onReactions: (r: Reactions) => void;
  onAnnounce: (s: string) => void;
  /** Quote this post in the reply (offered on published posts only). */
  onQuote?: (p: Post) => void;
}) {
  const { post } = props;
  const [reveal, setRevealState] = useState(false);
  // The show/hide toggle keeps the focus: the other button takes it when one is pressed.
  const toggled = useRef(false);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const setReveal = (v: boolean) => {
    toggled.current = true;
    setRevealState(v);
  };
  useEffect(() => {
    if (toggled.current) toggleRef.current?.focus();
  }, [reveal]);
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

  const collapsed = !!post.author_muted && !post.mine;
  if (collapsed && !reveal) {
    return (
      <article id={`p-${post.id}`} class="post post--muted" aria-labelledby={headingId} data-testid="post" data-status={post.status} data-muted="true">
        <h3 id={headingId} class="visually-hidden">
          A post by a member you muted
        </h3>
        <p class="post__muted">
          You muted this member.{' '}
          <button type="button" class="link-button" ref={toggleRef} onClick={() => setReveal(true)}>
            Show the post
          </button>
        </p>
      </article>
    );
  }

  return (
    <article id={`p-${post.id}`} tabIndex={-1} class={`post post--${post.status}${post.mine ? ' post--mine' : ''}`} aria-labelledby={headingId} data-testid="post" data-status={post.status}>
      <header class="post__header">
        <h3 id={headingId} class="post__author">
          {post.author ? <Link href={`/members/${encodeURIComponent(post.author)}`}>{post.author}</Link> : 'A former member'}
          {post.mine && <span class="tag">You</span>}
        </h3>
        <p class="meta post__meta">
          <When iso={post.created_at} />
          {post.edited_by_moderator ? <span data-testid="edited-by-moderator"> · edited by a moderator</span> : post.edited_at && <> · edited</>}
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
      {!editing && post.status === 'published' && post.mine && <ReactionBar post={post} onReactions={props.onReactions} />}
      {!editing && (
        <div class="post__actions">
          {post.status === 'published' && !post.mine && <ReactionBar post={post} onReactions={props.onReactions} />}
          {collapsed && (
            <button type="button" class="link-button" ref={toggleRef} onClick={() => setReveal(false)}>
              Hide it again
            </button>
          )}
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
          {post.status === 'published' && props.onQuote && (
            <button type="button" class="link-button" onClick={() => props.onQuote?.(post)} aria-label={`Quote the post by ${post.author ?? 'a former member'}`} data-testid="quote">
              Quote
            </button>
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
            {REPORT_REASONS.map(({ code: value, choice: label }) => (
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
