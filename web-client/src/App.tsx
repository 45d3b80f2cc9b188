// The frame around every screen (skip link, quick exit, navigation) and the table of screens.
// To add a screen: write it under screens/, then add one line to ROUTES.

import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { api, SESSION_ENDED, type Identity, type Role } from './api';
import { Link, Loading } from './components';
import { quickExit } from './quickexit';
import { navigate, openProfile, useLocation } from './router';
import { Account, Goodbye } from './screens/Account';
import { ForgotPassword } from './screens/ForgotPassword';
import { Applications } from './screens/admin/Applications';
import { Invites } from './screens/admin/Invites';
import { Members } from './screens/admin/Members';
import { Apply } from './screens/Apply';
import { Home, NotFound, Welcome } from './screens/Home';
import { Audit } from './screens/mod/Audit';
import { SignIn } from './screens/SignIn';
import { AdminBoards, AdminRooms } from './screens/admin/Spaces';
import { AdminRules } from './screens/admin/Rules';
import { BoardScreen } from './screens/Board';
import { ThreadScreen } from './screens/Thread';
import { Notifications } from './screens/Notifications';
import { Rooms, RoomScreen } from './screens/Chat';
import { Following } from './screens/Following';
import { ProfileScreen } from './screens/Profile';
import { Search } from './screens/Search';
import { Security } from './screens/Security';
import { StepUpDialog } from './stepup';
import { ConcernScreen, Safeguarding } from './screens/Safeguarding';
import { forgetMutes } from './mutes';
import { Queue } from './screens/mod/Queue';
import { CheckinScreen, Checkins } from './screens/Checkins';
import { useTopic } from './socket';
import { clearAllDrafts, keepOnlyDraftsOf } from './drafts';
import { useUnreadCount } from './notifications';
import { useWaitingCounts } from './waiting';
import { onSanction, start as startSocket, stop as stopSocket, useConnection, type Sanction } from './socket';
import {
  announceSessionChange,
  hasRole,
  onSessionChangeElsewhere,
  SessionContext,
  useSession,
  whoIsSignedIn,
} from './session';

/** Who may open a screen: anyone, only people signed out, or members of at least a role. */
type Access = 'anyone' | 'guest' | Role;

interface Route {
  /** A path; `:id` (and `:handle`) stands for one path segment, handed to the view. */
  path: string;
  access: Access;
  view: (params: Record<string, string>) => JSX.Element;
}

const ROUTES: Route[] = [
  { path: '/', access: 'anyone', view: () => <Start /> },
  { path: '/sign-in', access: 'guest', view: () => <SignIn /> },
  { path: '/forgot-password', access: 'guest', view: () => <ForgotPassword /> },
  { path: '/goodbye', access: 'anyone', view: () => <Goodbye /> },
  { path: '/apply', access: 'guest', view: () => <Apply /> },
  { path: '/account', access: 'member', view: () => <Account /> },
  { path: '/account/security', access: 'member', view: () => <Security /> },
  { path: '/admin/applications', access: 'admin', view: () => <Applications /> },
  { path: '/admin/members', access: 'admin', view: () => <Members /> },
  { path: '/admin/invites', access: 'admin', view: () => <Invites /> },
  { path: '/mod/audit', access: 'moderator', view: () => <Audit /> },
  { path: '/mod/queue', access: 'moderator', view: () => <Queue /> },
  { path: '/admin/boards', access: 'admin', view: () => <AdminBoards /> },
  { path: '/admin/rooms', access: 'admin', view: () => <AdminRooms /> },
  { path: '/admin/rules', access: 'admin', view: () => <AdminRules /> },
  { path: '/boards/:id', access: 'member', view: (p) => <BoardScreen id={p.id} /> },
  { path: '/threads/:id', access: 'member', view: (p) => <ThreadScreen id={p.id} /> },
  { path: '/notifications', access: 'member', view: () => <Notifications /> },
  { path: '/checkins', access: 'member', view: () => <Checkins /> },
  { path: '/checkins/:id', access: 'member', view: (p) => <CheckinScreen id={p.id} /> },
  { path: '/rooms', access: 'member', view: () => <Rooms /> },
  { path: '/rooms/:id', access: 'member', view: (p) => <RoomScreen id={p.id} /> },
  { path: '/search', access: 'member', view: () => <Search /> },
  { path: '/following', access: 'member', view: () => <Following /> },
  { path: '/safeguarding', access: 'member', view: () => <Safeguarding /> },
  { path: '/safeguarding/:id', access: 'member', view: (p) => <ConcernScreen id={p.id} /> },
  { path: '/member', access: 'member', view: () => <ProfileScreen handle={openProfile()} /> },
];

/** What each kind of path segment may be: ids are UUIDs; handles are 3 to 32 letters, digits, `_-.`. */
const SEGMENT: Record<string, RegExp> = {
  id: /^[0-9a-fA-F-]{8,64}$/,
  handle: /^[A-Za-z0-9_.-]{3,32}$/,
};

/** The route for a path, and the values of its `:name` segments. */
function match(path: string): { route: Route; params: Record<string, string> } | null {
  const parts = path.split('/');
  for (const route of ROUTES) {
    const want = route.path.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length; i++) {
      if (want[i].startsWith(':')) {
        const name = want[i].slice(1);
        if (!(SEGMENT[name] ?? SEGMENT.id).test(parts[i])) ok = false;
        else params[name] = parts[i];
      } else if (want[i] !== parts[i]) {
        ok = false;
      }
      if (!ok) break;
    }
    if (ok) return { route, params };
  }
  return null;
}

function Start() {
  const { member } = useSession();
  return member ? <Home /> : <Welcome />;
}

/** The whole app: loads the session, then shows the frame and the screen for the path. */
export function App() {
  const [loading, setLoading] = useState(true);
  const [member, setMember] = useState<Identity | null>(null);
  const [ended, setEnded] = useState(false);
  const [sanction, setSanction] = useState<Sanction | null>(null);

  /**
   * The session ended (a 401, or the server says nobody is signed in): nothing of it stays, and
   * the other tabs are told.
   */
  function sessionEnded() {
    clearAllDrafts();
    setMember((m) => {
      if (m) setEnded(true);
      return null;
    });
    announceSessionChange();
  }

  /** Follows what the server says of the session: nobody, or (signed in elsewhere) another member. */
  function follow(who: Identity | null, was: string) {
    // Ended, whichever way this tab heard first (its socket, another tab, a page coming back
    // from the cache): the sign-in screen, at its own address, so no member's page stays in
    // the address bar or in this tab's history.
    if (!who) {
      sessionEnded();
      // Only from a members' page: a page anyone may see (the goodbye after an erasure, the
      // privacy notice) stays where it is.
      const here = match(location.pathname)?.route;
      if (here && here.access !== 'anyone' && here.access !== 'guest') navigate('/sign-in');
    } else if (who.id !== was) {
      keepOnlyDraftsOf(who.id);
      setEnded(false);
      setMember(who);
    }
  }

  // One socket per tab, while someone is signed in; it is theirs alone (see socket.ts). Drafts
  // of anyone else go as soon as the app knows who is signed in.
  useEffect(() => {
    // Whose mutes this tab knows is the signed-in member's, and nobody else's.
    forgetMutes();
    if (!member) {
      stopSocket();
      return undefined;
    }
    const id = member.id;
    keepOnlyDraftsOf(id);
    startSocket(id, async () => {
      const who = await whoIsSignedIn();
      if (who === undefined) return 'unknown';
      if (who?.id === id) return 'same';
      follow(who, id);
      return 'changed';
    });
    // Another tab signed in, out, or found the session ended: ask again who it is. Signed out
    // there: this tab leaves the members' screens too, for the sign-in screen.
    const stopFollowing = onSessionChangeElsewhere(() => {
      void whoIsSignedIn().then((who) => {
        if (who === undefined) return;
        follow(who, id);
        if (who === null) navigate('/sign-in');
      });
    });
    // Back to this page from the browser's back-forward cache: the session may have ended since.
    const recheck = (e: PageTransitionEvent) => {
      if (!e.persisted) return;
      void whoIsSignedIn().then((who) => {
        if (who !== undefined) follow(who, id);
      });
    };
    window.addEventListener('pageshow', recheck);
    return () => {
      stopFollowing();
      window.removeEventListener('pageshow', recheck);
    };
  }, [member?.id]);

  useEffect(() => {
    void whoIsSignedIn().then((m) => {
      // Nobody signed in: any drafts here are of a session that ended some other way.
      if (m === null) clearAllDrafts();
      setMember(m ?? null);
      setLoading(false);
    });
    window.addEventListener(SESSION_ENDED, sessionEnded);
    // Suspended or closed while signed in here: the session is over, and the sign-in screen
    // says why instead of "Reconnecting…".
    const offSanction = onSanction((s) => {
      setSanction(s);
      sessionEnded();
    });
    return () => {
      window.removeEventListener(SESSION_ENDED, sessionEnded);
      offSanction();
    };
  }, []);

  return (
    <SessionContext.Provider
      value={{
        loading,
        member,
        ended,
        sanction,
        setMember: (m) => {
          // Signed in, or out: drafts of anyone else go, and the other tabs are told.
          if (m) keepOnlyDraftsOf(m.id);
          else clearAllDrafts();
          setEnded(false);
          setSanction(null);
          setMember(m);
          announceSessionChange();
        },
      }}
    >
      <Frame ended={ended} />
    </SessionContext.Provider>
  );
}

function Frame(props: { ended: boolean }) {
  const { loading, member } = useSession();
  // A screen never outlives its member: another member gets every screen afresh.
  const whose = member?.id ?? '';
  const { path, key } = useLocation();
  const found = match(path);
  const route = found?.route;

  let screen: JSX.Element;
  if (loading) {
    screen = <Loading />;
  } else if (!route) {
    screen = <NotFound />;
  } else if (route.access === 'guest' && member) {
    screen = <Redirect to="/" />;
  } else if (route.access !== 'anyone' && route.access !== 'guest' && !member) {
    screen = <SignIn ended={props.ended} />;
  } else if (route.access !== 'anyone' && route.access !== 'guest' && !hasRole(member, route.access)) {
    screen = <NoAccess />;
  } else {
    screen = route.view(found?.params ?? {});
  }

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to main content
      </a>
      {/* Only this bar stays on screen while scrolling (so quick exit is always in reach);
          the navigation below it scrolls away, leaving phones most of their screen. */}
      <header class="topbar">
        <div class="topbar__inner">
          <Link href="/" class="home-link">
            <span class="home-link__mark" aria-hidden="true" />
            Home
          </Link>
          <button type="button" class="quick-exit" onClick={quickExit} data-testid="quick-exit">
            Quick exit
            <span class="quick-exit__hint" aria-hidden="true">
              or press Esc twice
            </span>
          </button>
        </div>
      </header>
      {!loading && <Nav path={path} />}
      {!loading && <ToolsNav path={path} />}
      <ConnectionBanner />
      {!loading && member?.second_factor_required && path !== '/account/security' && (
        <div class="notice notice--warning" role="status" data-testid="factor-needed">
          <p>
            Your staff account needs a second factor before the staff pages open.{' '}
            <Link href="/account/security">Set one up now</Link>
          </p>
        </div>
      )}
      {!loading && <CrisisAlert path={path} />}
      <main id="main" tabIndex={-1} key={`${whose}#${path}#${key}`}>
        {screen}
      </main>
      <StepUpDialog />
      <footer class="footer">
        <p>
          In danger now? Call 999. To leave this site quickly, press <kbd>Esc</kbd> twice.
        </p>
      </footer>
    </>
  );
}

function Nav(props: { path: string }) {
  const { member, setMember } = useSession();
  const [busy, setBusy] = useState(false);
  const unread = useUnreadCount(member?.id ?? null);
  const waiting = useWaitingCounts(member);
  const forMods = waiting ? waiting.queue + waiting.urgent : 0;
  const forAdmins = waiting?.applications ?? 0;

  async function signOut() {
    if (busy) return;
    setBusy(true);
    try {
      await api('DELETE', '/api/session');
    } catch {
      // Signed out on this screen either way; the server forgets the session when it expires.
    }
    setBusy(false);
    // A shared device keeps nothing behind: drafts go with the session (setMember wipes them).
    setMember(null);
    navigate('/sign-in?signed-out=1');
  }

  const item = (href: string, label: string, here = props.path === href) => (
    <li>
      <Link href={href} aria-current={here ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );

  return (
    <nav aria-label="Main" class="nav">
      <ul class="nav__list">
        {member ? (
          <>
            {item('/', 'Boards')}
            {item('/following', 'Following')}
            {item('/search', 'Search')}
            {item('/rooms', 'Chat')}
            <li>
              <Link href="/notifications" aria-current={props.path === '/notifications' ? 'page' : undefined}>
                Notifications
                {unread > 0 && (
                  <span class="count" data-testid="unread-count">
                    {unread}
                    <span class="visually-hidden"> unread</span>
                  </span>
                )}
              </Link>
            </li>
            {member.safeguarding_lead && item('/safeguarding', 'Safeguarding', props.path.startsWith('/safeguarding'))}
            {hasRole(member, 'moderator') && (
              <li>
                <Link href="/mod/queue" aria-current={props.path.startsWith('/mod/') ? 'page' : undefined}>
                  Moderation
                  {forMods > 0 && (
                    <span class={`count${waiting && waiting.urgent > 0 ? ' count--urgent' : ''}`} data-testid="waiting-count">
                      {forMods}
                      <span class="visually-hidden"> waiting{waiting && waiting.urgent > 0 ? `, ${waiting.urgent} urgent` : ''}</span>
                    </span>
                  )}
                </Link>
              </li>
            )}
            {hasRole(member, 'admin') && (
              <li>
                <Link href="/admin/applications" aria-current={props.path.startsWith('/admin/') ? 'page' : undefined}>
                  Admin
                  {forAdmins > 0 && (
                    <span class="count" data-testid="applications-count">
                      {forAdmins}
                      <span class="visually-hidden"> {forAdmins === 1 ? 'application' : 'applications'} waiting</span>
                    </span>
                  )}
                </Link>
              </li>
            )}
            {item('/account', 'Account')}
            <li>
              <button type="button" class="nav__button" onClick={signOut} aria-disabled={busy ? 'true' : undefined}>
                Sign out
              </button>
            </li>
          </>
        ) : (
          <>
            {item('/sign-in', 'Sign in')}
            {item('/apply', 'Apply to join')}
          </>
        )}
      </ul>
    </nav>
  );
}

/** The moderators' and admins' own pages, on those pages only. */
function ToolsNav(props: { path: string }) {
  const { member } = useSession();
  if (!hasRole(member, 'moderator')) return null;
  if (!props.path.startsWith('/mod/') && !props.path.startsWith('/admin/') && !props.path.startsWith('/checkins')) return null;
  const items: [string, string][] = [
    ['/mod/queue', 'Queue'],
    ['/checkins', 'Check-ins'],
    ['/mod/audit', 'Audit log'],
  ];
  if (hasRole(member, 'admin')) {
    items.push(
      ['/admin/applications', 'Applications'],
      ['/admin/members', 'Members'],
      ['/admin/invites', 'Invites'],
      ['/admin/boards', 'Boards'],
      ['/admin/rooms', 'Rooms'],
      ['/admin/rules', 'Rules'],
    );
  }
  return (
    <nav aria-label="Moderation and admin" class="subnav">
      <ul class="subnav__list">
        {items.map(([href, label]) => (
          <li key={href}>
            <Link href={href} aria-current={props.path === href ? 'page' : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * For moderators on any page: when the rules see that someone may be at risk now (or an urgent
 * item passes its deadline), an alert that stays until it is opened or dismissed.
 */
function CrisisAlert(props: { path: string }) {
  const { member } = useSession();
  const staff = hasRole(member, 'moderator');
  const [alert, setAlert] = useState<string | null>(null);
  useTopic(staff ? 'modqueue' : null, (e) => {
    if (e.kind === 'crisis_raised') setAlert('Someone may need help now: a new item is in the urgent lane.');
    if (e.kind === 'crisis_overdue') setAlert('An urgent item has had no response in time. Please look now.');
  });
  if (!staff || !alert) return null;
  return (
    <div class="crisis-alert" role="alert" data-testid="crisis-alert">
      <p class="crisis-alert__text">
        <strong>{alert}</strong>{' '}
        {props.path !== '/mod/queue' && (
          <Link href="/mod/queue">Open the urgent lane</Link>
        )}
      </p>
      <button type="button" class="link-button" onClick={() => setAlert(null)}>
        Dismiss
      </button>
    </div>
  );
}

/** "Reconnecting…", unobtrusive, announced politely; the region is always there to be heard. */
function ConnectionBanner() {
  const state = useConnection();
  return (
    <div class="connection" role="status" aria-live="polite" data-testid="connection">
      {state === 'reconnecting' && <p class="connection__text">Reconnecting…</p>}
    </div>
  );
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to), [props.to]);
  return <Loading />;
}

function NoAccess() {
  return (
    <>
      <h1>Not available</h1>
      <p>
        This page is for the group's moderators and admins. <Link href="/">Go to the start</Link>.
      </p>
    </>
  );
}
