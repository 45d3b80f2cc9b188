// The member's own account: what is stored about them, their profile's "about" text, the
// members they have muted (with Unmute), and changing the password.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, formatDate, type Mute, type Profile, type SelfView } from '../api';
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
