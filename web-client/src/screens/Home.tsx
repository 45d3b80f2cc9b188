// The first screen. Signed out: what this place is, and the ways in. Signed in: the boards.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Board } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, asApiError } from '../components';
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
  useEffect(() => {
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(b.boards))
      .catch((e) => setError(asApiError(e)));
  }, []);
  return (
    <>
      <PageHeading>Welcome back, {member?.handle}</PageHeading>
      <section class="section section--first" aria-labelledby="boards-heading" data-testid="home">
        <h2 id="boards-heading">Boards</h2>
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
                </Link>
                {b.visibility === 'moderators' && <span class="tag">Moderators only</span>}
                {b.description && <p class="board-list__description">{b.description}</p>}
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
