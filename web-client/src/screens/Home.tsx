// The first screen. Signed out: what this place is, and the ways in. Signed in: the boards.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Board, type BoardActivity } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, When, asApiError } from '../components';
import { StayingSafe } from '../content';
import { hasRole, useSession } from '../session';

/** `/` for someone who is not signed in. */
export function Welcome() {
  return (
    <>
      {/* Deliberately discreet: this is what a glance at the screen shows. What the group is
          for is explained on the application page, where it is needed. */}
      <PageHeading>A private group for families</PageHeading>
      <p class="lead">
        A private, moderated space for adults to talk with others who understand. For members
        only.
      </p>
      <div class="actions">
        <Link href="/sign-in" class="button button--primary">
          Sign in
        </Link>
        <Link href="/apply" class="button button--secondary">
          Apply to join
        </Link>
      </div>
      <section class="section" aria-labelledby="safe-heading">
        <h2 id="safe-heading">Staying safe</h2>
        <StayingSafe />
      </section>
      <section class="section" aria-labelledby="danger-heading">
        <h2 id="danger-heading">If someone is in danger</h2>
        <p>
          If you or anyone else is in danger now, call <strong>999</strong>. This group is not an
          emergency or advice service.
        </p>
      </section>
    </>
  );
}

/** `/` for a member: the boards, and the way to the chat rooms. */
export function Home() {
  const { member } = useSession();
  const [boards, setBoards] = useState<Board[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [activity, setActivity] = useState<Map<string, BoardActivity>>(new Map());
  const [welcome, setWelcome] = useState(false);
  useEffect(() => {
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(b.boards))
      .catch((e) => setError(asApiError(e)));
    // Extras: the page stands without them.
    api<{ boards: BoardActivity[] }>('GET', '/api/boards/activity')
      .then((b) => setActivity(new Map(b.boards.map((a) => [a.board_id, a]))))
      .catch(() => {});
    api<{ due: boolean }>('GET', '/api/me/welcome')
      .then((b) => setWelcome(b.due))
      .catch(() => {});
  }, []);
  return (
    <>
      <PageHeading>{welcome ? <>Welcome, {member?.handle}</> : <>Welcome back, {member?.handle}</>}</PageHeading>
      {welcome && <FirstWelcome onDone={() => setWelcome(false)} />}
      <section class="section section--first" aria-labelledby="boards-heading" data-testid="home">
        <h2 id="boards-heading" tabIndex={-1}>Boards</h2>
        <ErrorSummary error={error} />
        {!boards && !error && <Loading what="the boards" />}
        {boards && boards.length === 0 && (
          <p class="placeholder">
            There are no boards yet.{hasRole(member, 'admin') && <> <Link href="/admin/boards">Create the first one</Link>.</>}
          </p>
        )}
        {boards && boards.length > 0 && (
          <ul class="board-list" data-testid="boards">
            {boards.map((b) => (
              <li key={b.id} class="board-list__item">
                <Link href={`/boards/${b.id}`} class="board-list__link">
                  {b.name}
                  {(activity.get(b.id)?.unread_threads ?? 0) > 0 && (
                    <span class="visually-hidden">, {unreadWords(activity.get(b.id)!.unread_threads)}</span>
                  )}
                </Link>
                {(activity.get(b.id)?.unread_threads ?? 0) > 0 && (
                  <span class="badge badge--unread" aria-hidden="true" data-testid="board-unread">
                    {unreadWords(activity.get(b.id)!.unread_threads)}
                  </span>
                )}
                {b.visibility === 'moderators' && <span class="tag">Moderators only</span>}
                {b.description && <p class="board-list__description">{b.description}</p>}
                {activity.has(b.id) && (
                  <p class="meta board-list__activity" data-testid="board-activity">
                    {activity.get(b.id)!.last_activity_at ? (
                      <>
                        Latest: <When iso={activity.get(b.id)!.last_activity_at} />
                      </>
                    ) : (
                      'Nothing here yet'
                    )}
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
        <p>
          <Link href="/rooms">Chat rooms</Link>: talk live with other members.
        </p>
      </section>
      {hasRole(member, 'moderator') && (
        <section class="section" aria-labelledby="tools-heading">
          <h2 id="tools-heading">{hasRole(member, 'admin') ? 'Running the group' : 'Moderating'}</h2>
          <ul class="link-list">
            <li>
              <Link href="/mod/queue">Moderation queue</Link>
            </li>
            {hasRole(member, 'admin') && (
              <>
                <li>
                  <Link href="/admin/applications">Applications</Link>
                </li>
                <li>
                  <Link href="/admin/members">Members</Link>
                </li>
                <li>
                  <Link href="/admin/invites">Invites</Link>
                </li>
                <li>
                  <Link href="/admin/boards">Boards</Link> and <Link href="/admin/rooms">rooms</Link>
                </li>
                <li>
                  <Link href="/admin/rules">Moderation rules</Link>
                </li>
              </>
            )}
            <li>
              <Link href="/mod/audit">Audit log</Link>
            </li>
          </ul>
        </section>
      )}
      <section class="section" aria-labelledby="safe-heading">
        <h2 id="safe-heading">Staying safe</h2>
        <StayingSafe />
      </section>
    </>
  );
}

/** "1 thread with new posts", "3 threads with new posts", "100 or more threads with new posts". */
function unreadWords(n: number): string {
  // The server looks at each board's 100 most recently active threads.
  if (n >= 100) return '100 or more threads with new posts';
  return n === 1 ? '1 thread with new posts' : `${n} threads with new posts`;
}

/**
 * Shown once, on a member's first sign-in, until they put it away (remembered by the server,
 * so a shared device does not show it to the next person, nor hide it from a member on a new
 * one): what the group is, the rules in brief, where to start, and quick exit.
 */
function FirstWelcome(props: { onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  async function done() {
    if (busy) return;
    setBusy(true);
    try {
      await api('DELETE', '/api/me/welcome');
    } catch {
      // Shown again next time: nothing lost.
    }
    props.onDone();
    document.getElementById('boards-heading')?.focus();
  }
  return (
    <section class="welcome" aria-labelledby="welcome-heading" data-testid="welcome">
      <h2 id="welcome-heading">You are very welcome here</h2>
      <p>
        This is a private group for adults whose partner, parent, child or sibling has committed, or fears committing, a sexual offence. Everyone
        here knows how hard that is. Take your time: you can read for as long as you like before you write anything.
      </p>
      <h3>The rules in brief</h3>
      <ul>
        <li>Keep everyone anonymous: no names, places, schools, courts or dates.</li>
        <li>Be kind, share rather than advise, and never describe offences.</li>
        <li>What you read here stays here.</li>
        <li>Your first few posts are read by a moderator before others see them.</li>
      </ul>
      <h3>Where to start</h3>
      <ul>
        <li>Look through the boards below, or open a chat room to talk live.</li>
        <li>Say hello when you feel ready. On your profile (from Account, at the top) you can write a few words about yourself.</li>
      </ul>
      <h3>Quick exit</h3>
      <p>
        The <strong>Quick exit</strong> button at the top of every page, or pressing <kbd>Esc</kbd> twice, takes you straight to an everyday website
        and signs you out.
      </p>
      <button type="button" class="button button--primary" onClick={done} aria-disabled={busy ? 'true' : undefined} data-testid="welcome-done">
        Thanks, I'm ready
      </button>
    </section>
  );
}

/** Any path the app does not know. */
export function NotFound() {
  return (
    <>
      <PageHeading>Page not found</PageHeading>
      <p>
        There is nothing at this address. <Link href="/">Go to the start</Link>.
      </p>
    </>
  );
}
