// The member's own account: what is stored about them, their profile's "about" text, the
// members they have muted (with Unmute), changing the password, and the data rights the
// privacy notice promises: a copy of their data, and erasing the account (explained first).

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, download, formatDate, type Mute, type Profile, type SelfView } from '../api';
import {
  ErrorSummary,
  Link,
  Loading,
  Notice,
  PageHeading,
  SubmitButton,
  TextField,
  asApiError,
  errorFor,
} from '../components';
import { loadMutes, setMuted } from '../mutes';
import { isPlainClick, navigate } from '../router';
import { useSession } from '../session';
import { AboutForm } from './Profile';

/** `/account`. */
export function Account() {
  const [me, setMe] = useState<SelfView | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<{ member: SelfView }>('GET', '/api/me')
      .then((b) => setMe(b.member))
      .catch((e) => setLoadError(asApiError(e)));
  }, []);

  return (
    <>
      <PageHeading>Your account</PageHeading>
      <ErrorSummary error={loadError} />
      <p>
        <Link href="/account/security">Sign-in security</Link>: an authenticator app and recovery codes, so a
        password alone cannot open your account.
      </p>
      {!me && !loadError && <Loading what="your account" />}
      {me && (
        <dl class="summary-list">
          <div>
            <dt>Handle</dt>
            <dd>{me.handle}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{me.email ?? 'None on this account: if you forget your password, an admin can give you a reset link.'}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{me.role}</dd>
          </div>
          {me.joined_at && (
            <div>
              <dt>Joined</dt>
              <dd>{formatDate(me.joined_at, false)}</dd>
            </div>
          )}
        </dl>
      )}
      {me && (
        <p>
          <Link href={`/members/${encodeURIComponent(me.handle)}`}>See your profile as others see it</Link>
        </p>
      )}
      {me && <About handle={me.handle} />}
      <Mutes />
      <ChangePassword />
      <YourData />
      {me && <Erase />}
    </>
  );
}

/** The profile's "about" text, read from the profile itself. */
function About(props: { handle: string }) {
  const [about, setAbout] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    api<{ profile: Profile }>('GET', `/api/members/${encodeURIComponent(props.handle)}`)
      .then((b) => setAbout(b.profile.about))
      .catch(() => setAbout(null));
  }, [props.handle]);
  if (about === undefined) return null;
  return <AboutForm about={about} onSaved={setAbout} />;
}

/** The members one has muted, each with Unmute. Only the member sees this list. */
function Mutes() {
  const [list, setList] = useState<Mute[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState('');
  const [done, setDone] = useState('');

  useEffect(() => {
    loadMutes()
      .then(setList)
      .catch((e) => setError(asApiError(e)));
  }, []);

  async function unmute(handle: string) {
    if (busy) return;
    setBusy(handle);
    setError(null);
    try {
      await api('DELETE', `/api/members/${encodeURIComponent(handle)}/mute`);
      setMuted(handle, false);
      setList((old) => (old ?? []).filter((m) => m.handle !== handle));
      setDone(`You unmuted ${handle}. Their posts show in full again.`);
      document.getElementById('mutes-heading')?.focus();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy('');
    }
  }

  return (
    <section class="section" aria-labelledby="mutes-heading" data-testid="mutes">
      <h2 id="mutes-heading" tabIndex={-1}>
        Members you muted
      </h2>
      <ErrorSummary error={error} />
      <div role="status">{done && <p class="notice notice--success">{done}</p>}</div>
      {!list && !error && <Loading what="the members you muted" />}
      {list && list.length === 0 && (
        <p class="placeholder">
          Nobody. To mute someone, open their profile (select their name on a post) and press “Mute”.
        </p>
      )}
      {list && list.length > 0 && (
        <ul class="mute-list">
          {list.map((m) => (
            <li key={m.handle} class="mute-list__item">
              <span>
                <Link href={`/members/${encodeURIComponent(m.handle)}`}>{m.handle}</Link>
                <span class="meta"> · since {formatDate(m.since, false)}</span>
              </span>
              <button
                type="button"
                class="button button--secondary button--small"
                onClick={() => void unmute(m.handle)}
                aria-disabled={busy === m.handle ? 'true' : undefined}
              >
                Unmute<span class="visually-hidden"> {m.handle}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <p class="hint">Muted members are not told. Their posts and chat messages are collapsed for you, and nobody else can see this list.</p>
    </section>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setDone(null);
    if (!current) {
      setError(new ApiError(400, 'invalid', 'enter your current password', 'current_password'));
      return;
    }
    if (next !== again) {
      setError(new ApiError(400, 'invalid', 'the two new passwords are not the same', 'new_password_again'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = await api<{ status: string; other_sessions_ended: number }>('POST', '/api/me/password', {
        current_password: current,
        new_password: next,
      });
      setCurrent('');
      setNext('');
      setAgain('');
      const n = body.other_sessions_ended;
      setDone(
        n > 0
          ? `Your password was changed. You were signed out everywhere else (${n} ${n === 1 ? 'session' : 'sessions'}).`
          : 'Your password was changed.',
      );
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate class="form section" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      {done && (
        <Notice kind="success" focus>
          <p>{done}</p>
        </Notice>
      )}
      <ErrorSummary error={error} />
      <TextField
        name="current_password"
        label="Current password"
        type="password"
        autocomplete="current-password"
        value={current}
        onValue={setCurrent}
        error={errorFor(error, 'current_password')}
      />
      <TextField
        name="new_password"
        label="New password"
        hint="At least 10 characters. Changing it signs you out on every other device."
        type="password"
        autocomplete="new-password"
        value={next}
        onValue={setNext}
        error={errorFor(error, 'new_password') ?? errorFor(error, 'password')}
      />
      <TextField
        name="new_password_again"
        label="New password again"
        type="password"
        autocomplete="new-password"
        value={again}
        onValue={setAgain}
        error={errorFor(error, 'new_password_again')}
      />
      <SubmitButton busy={busy}>Change password</SubmitButton>
    </form>
  );
}

/**
 * A copy of everything held about the member. The link's address works without script (the
 * browser downloads it); in the app it is fetched first, so a session that ended meanwhile
 * shows the signed-out state instead of saving the server's refusal as the file.
 */
function YourData() {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(e: MouseEvent) {
    if (!isPlainClick(e)) return;
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await download('/api/me/export', 'my-data.json');
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section class="section" aria-labelledby="data-heading">
      <h2 id="data-heading">Your data</h2>
      <p>
        A copy of everything the forum holds about you: your account, your application if it is
        still kept, your posts, thread titles and chat messages, your reports, notifications and
        check-ins. It comes as one file in JSON, a format any text editor can open.
      </p>
      <p class="hint">
        The file is saved in this device’s downloads. If someone else uses this device, move it
        somewhere only you can open, or delete it when you have read it.
      </p>
      <p>
        <a
          class="button button--secondary"
          href="/api/me/export"
          download="my-data.json"
          onClick={(e) => void save(e)}
          aria-disabled={busy ? 'true' : undefined}
        >
          {busy ? 'Preparing your data…' : 'Download my data'}
        </a>
      </p>
      <ErrorSummary error={error} />
    </section>
  );
}

/** Set when this page erased the account, so only then does /goodbye say so. */
let erasedHere = false;

/**
 * Erasing the account: what it does and does not do (as DATA-INVENTORY.md says), the choice for
 * the member's posts, and their password to confirm. Then they are signed out for good.
 */
function Erase() {
  const { setMember } = useSession();
  const [posts, setPosts] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!posts) {
      setError(new ApiError(400, 'invalid', 'choose what happens to your posts', 'posts'));
      return;
    }
    if (!password) {
      setError(new ApiError(400, 'invalid', 'enter your password to confirm', 'erase_password'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', '/api/me', { password, posts });
      erasedHere = true;
      // Signed out here and in every other tab; drafts go with the session.
      setMember(null);
      navigate('/goodbye');
    } catch (err) {
      const a = asApiError(err);
      setPassword('');
      setError(a.field === 'password' ? new ApiError(a.status, a.code, a.message, 'erase_password') : a);
    } finally {
      setBusy(false);
    }
  }

  const choice = (value: string, label: string, hint: string) => (
    <div class="radio">
      <div class="radio-row">
        <input
          type="radio"
          id={`field-posts-${value}`}
          name="posts"
          value={value}
          checked={posts === value}
          onChange={() => setPosts(value)}
          aria-describedby={`field-posts-${value}-hint`}
        />
        <label for={`field-posts-${value}`}>{label}</label>
      </div>
      <p class="hint radio__hint" id={`field-posts-${value}-hint`}>
        {hint}
      </p>
    </div>
  );

  return (
    <section class="section" aria-labelledby="erase-heading" data-testid="erase">
      <h2 id="erase-heading">Erase your account</h2>
      <p>If you erase your account:</p>
      <ul>
        <li>
          Your account goes at once: your email address, your password, your profile, your
          notifications, what you have read, followed and muted, your reactions, and your
          check-ins with the moderators with every message in them.
        </li>
        <li>You are signed out on every device.</li>
        <li>Your posts, thread titles and chat messages are deleted, or kept without your name: you choose below.</li>
        <li>
          Your handle is reserved for a year, so nobody else can take it and pass as you. Only a
          scrambled form of it is kept, not the handle itself.
        </li>
      </ul>
      <p>What it does not do:</p>
      <ul>
        <li>It cannot be undone: nothing is kept to bring back. Download your data first if you want a copy.</li>
        <li>Other members’ posts stay, including their replies to you.</li>
        <li>
          The moderators’ log of their actions keeps a line saying that an account was erased, never
          what was in it. Safeguarding records the moderators must keep stay for their set time, no
          longer linked to you.
        </li>
      </ul>
      <form onSubmit={submit} noValidate class="form">
        <ErrorSummary error={error} />
        <fieldset
          id="field-posts"
          class={`field${errorFor(error, 'posts') ? ' field--error' : ''}`}
          aria-describedby={errorFor(error, 'posts') ? 'field-posts-error' : undefined}
        >
          <legend>Your posts, thread titles and chat messages</legend>
          {errorFor(error, 'posts') && (
            <p class="field-error" id="field-posts-error">
              <span class="visually-hidden">Error: </span>
              {errorFor(error, 'posts')}
            </p>
          )}
          {choice(
            'delete',
            'Delete them',
            'Each post is replaced by a short note that it was deleted, so replies still make sense. Threads you started are titled “[deleted]”. Your chat messages go.',
          )}
          {choice(
            'anonymise',
            'Keep them, without your name',
            'They stay where they are, shown as written by “A former member”, with nothing linking them to you.',
          )}
        </fieldset>
        <TextField
          name="erase_password"
          label="Your password"
          hint="To be sure it is you."
          type="password"
          autocomplete="current-password"
          value={password}
          onValue={setPassword}
          error={errorFor(error, 'erase_password')}
        />
        <SubmitButton busy={busy} kind="danger" busyText="Erasing…">
          Erase my account
        </SubmitButton>
      </form>
    </section>
  );
}

/** `/goodbye`: after erasing, a calm last page that names nobody. */
export function Goodbye() {
  useEffect(() => {
    if (!erasedHere) navigate('/');
  }, []);
  if (!erasedHere) return <Loading />;
  return (
    <>
      <PageHeading>Your account has been erased</PageHeading>
      <div class="prose">
        <p>You have been signed out on every device, and your account is gone.</p>
        <p>Thank you for being part of the group. We hope it helped.</p>
        <p>
          If things get hard, Samaritans are there day or night: call 116 123, free. In danger now?
          Call 999.
        </p>
      </div>
    </>
  );
}
