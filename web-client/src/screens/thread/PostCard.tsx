// One post in a thread: its text (collapsed behind a content warning or a mute), the author's
// edit and delete, supportive reactions, reporting, and the moderators' removal.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, formatDate, REACTIONS, type Moderation, type Post, type ReactionKind, type Reactions } from '../../api';
import { ErrorSummary, Link, Loading, SubmitButton, TextArea, asApiError, errorFor, When } from '../../components';
import { Composer, Outcome, SafeHtml, StatusNote, WithWarning } from '../../forum';
import { ReportForm } from '../../report';

export function PostCard(props: {
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
          {!post.mine && post.status === 'published' && (
            <ReportForm what="post" url={`/api/posts/${post.id}/reports`} idPrefix={`report-${post.id}`} author={post.author ?? null} withNote />
          )}
          {props.isMod && post.status !== 'removed' && post.status !== 'deleted' && (
            <RemoveForm post={post} onRemoved={(p) => { props.onChanged(p); props.onAnnounce('The post was removed.'); }} />
          )}
        </div>
      )}
    </article>
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
