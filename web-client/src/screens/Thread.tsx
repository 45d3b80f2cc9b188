// A thread: its posts, oldest first, a page at a time, with new posts arriving live; the reply
// composer; the author's own edit and delete; reporting; supportive reactions (live); following
// or muting the thread; posts by muted members collapsed; and the moderators' tools.

import { useRef, useState } from 'preact/hooks';

import { api, SendKey, type Moderation, type Post } from '../api';
import { ErrorSummary, Link, LiveNotice, Loading, PageHeading } from '../components';
import { takeFlash } from '../flash';
import { Composer, Outcome, quoteOf } from '../forum';
import { PostCard } from './thread/PostCard';
import { FollowControl, ThreadTools } from './thread/ThreadControls';
import { useThread } from './thread/useThread';

/** `/threads/:id`. */
export function ThreadScreen(props: { id: string }) {
  const t = useThread(props.id);
  const { thread, setThread, posts: shown, loaded, next, error, busyMore, announce, setAnnounce } = t;
  const { boardName, archived, isMod, firstUnread, live, upsert, loadMore, jumpToUnread, setReactions } = t;
  const [flash] = useState<Moderation | null>(() => takeFlash(props.id));
  // Replying follows the thread (unless the member chose otherwise): the control asks again.
  const [followAgain, setFollowAgain] = useState(0);
  const [quote, setQuote] = useState<{ text: string; n: number } | null>(null);

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

  const canReply = thread && !archived && (!thread.locked || isMod);



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
