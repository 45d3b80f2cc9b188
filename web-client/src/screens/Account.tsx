// The member's own account: what is stored about them, and changing the password.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, formatDate, type SelfView } from '../api';
import {
  ErrorSummary,
  Loading,
  Notice,
  PageHeading,
  SubmitButton,
  TextField,
  asApiError,
  errorFor,
} from '../components';

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
            <dd>{me.email}</dd>
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
      <ChangePassword />
    </>
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
