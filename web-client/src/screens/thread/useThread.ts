// A thread's data: the thread, its posts a page at a time (oldest first), kept live from the
// socket (new posts, edits, withdrawals, reaction counts), with the reader's first unread post.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Board, type Post, type Reactions, type Thread } from '../../api';
import { asApiError } from '../../components';
import { isMuted, useMutedHandles } from '../../mutes';
import { hasRole, useSession } from '../../session';
import { useTopic } from '../../socket';

interface Page {
  posts: Post[];
  next: string | null;
  /** First page only: the first post that was unread before this visit. */
  first_unread?: string | null;
}

const PAGE = 100;

/** A thread's data for its screen: the thread, its posts a page at a time, kept live. */
export function useThread(id: string) {
  const { member } = useSession();
  const [thread, setThread] = useState<Thread | null>(null);
  const [posts, setPosts] = useState<Map<string, Post>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busyMore, setBusyMore] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [boardName, setBoardName] = useState('');
  /** The thread's board is archived: read-only, so no reply box. */
  const [archived, setArchived] = useState(false);
  const isMod = hasRole(member, 'moderator');
  // The first post that was new to the reader when they opened the thread (kept through
  // reloads of the first page, which find it read by then).
  const [firstUnread, setFirstUnread] = useState<string | null>(null);
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
        api<{ thread: Thread }>('GET', `/api/threads/${id}`),
        api<Page>('GET', `/api/threads/${id}/posts?limit=${PAGE}`),
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
  }, [id]);

  const live = useTopic(
    `thread:${id}`,
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
      const page = await api<Page>('GET', `/api/threads/${id}/posts?limit=${PAGE}&after=${encodeURIComponent(next)}`);
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
        const page = await api<Page>('GET', `/api/threads/${id}/posts?limit=${PAGE}&after=${encodeURIComponent(after)}`);
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

  // Ids are UUIDv7 (time-ordered), so they sort oldest first. While older pages are not all
  // loaded, posts that arrived live wait beyond the last loaded one instead of leaving a gap.
  const shown = [...posts.values()]
    .filter((p) => !next || p.id <= next)
    .sort((a, b) => a.id.localeCompare(b.id));

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

  return {
    thread,
    setThread,
    /** The posts to show, oldest first (live arrivals past the loaded pages wait). */
    posts: shown,
    loaded,
    /** Where the next page starts; null once every page is loaded. */
    next,
    error,
    busyMore,
    /** What a screen reader is told (a new post arrived). */
    announce,
    setAnnounce,
    boardName,
    /** The thread's board is archived: read-only, so no reply box. */
    archived,
    isMod,
    firstUnread,
    /** The server confirmed the live subscription. */
    live,
    upsert,
    loadMore,
    jumpToUnread,
    setReactions,
  };
}
