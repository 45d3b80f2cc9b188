// Signing in with a handle or an email. Refusals (waiting for approval, not accepted,
// suspended, closed, too many attempts) are shown in the server's own words.

import { useState } from 'preact/hooks';

import { api, ApiError, formatDate, type SelfView } from '../api';
import { ErrorSummary, Link, Notice, PageHeading, SubmitButton, TextField, asApiError, errorFor } from '../components';
import { navigate, useLocation } from '../router';
import { useSession, whoIsSignedIn } from '../session';

/** Headings for the refusals the server can give; anything else is "There is a problem". */
const TITLES: Record<string, string> = {
  application_pending: 'Your application is waiting',
  application_rejected: 'Your application was not accepted',
  suspended: 'Your account is suspended',
  banned: 'This account is closed',
  rate_limited: 'Please wait a little',
  invalid_code: 'That code did not work',
  no_pending_sign_in: 'Please start again',
};

/** `/sign-in`, and in place of any members' page for someone signed out. */
export function SignIn(props: { ended?: boolean }) {
  const { setMember, ended: sessionEnded, sanction } = useSession();
  const { search } = useLocation();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  /** The password was right and a second factor is asked for. */
  const [second, setSecond] = useState(false);
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const signedOut = search.get('signed-out') === '1';
  const ended = props.ended ?? sessionEnded;

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!login.trim() || !password) {
      setError(new ApiError(400, 'invalid', 'enter your handle or email, and your password', login.trim() ? 'password' : 'login'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = await api<{ member?: SelfView; status?: string }>('POST', '/api/session', {
        login: login.trim(),
        password,
      });
      setPassword('');
      if (body.status === 'second_factor_required' || !body.member) {
        setSecond(true);
        setCode('');
        return;
      }
      await signedIn();
    } catch (err) {
      setPassword('');
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  /** Signed in: who the server says (staff without a factor are members until they enrol). */
  async function signedIn() {
    const who = await whoIsSignedIn();
    if (!who) throw new ApiError(401, 'not_signed_in', 'please sign in');
    setMember(who);
    if (who.second_factor_required) navigate('/account/security');
    // Shown in place of a members' page, stay there; from /sign-in, go to the start.
    else if (location.pathname === '/sign-in') navigate('/');
  }

  async function submitCode(e: Event) {
    e.preventDefault();
    if (busy) return;
    const typed = code.trim();
    if (!typed) {
      setError(new ApiError(400, 'invalid', useRecovery ? 'enter one of your recovery codes' : 'enter the six-digit code your app shows', 'code'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/api/session/second-factor', useRecovery ? { recovery_code: typed } : { code: typed.replace(/\s/g, '') });
      setCode('');
      await signedIn();
    } catch (err) {
      setCode('');
      const e2 = asApiError(err);
      if (e2.code === 'no_pending_sign_in') setSecond(false);
      setError(e2);
    } finally {
      setBusy(false);
    }
  }

  if (second) {
    return (
      <>
        <PageHeading>Sign in: second step</PageHeading>
        <form onSubmit={submitCode} noValidate class="form" data-testid="second-step">
          <ErrorSummary error={error} title={error ? TITLES[error.code] : undefined} />
          <TextField
            name="code"
            label={useRecovery ? 'A recovery code' : 'The six-digit code your authenticator app shows'}
            autocomplete="one-time-code"
            inputMode={useRecovery ? 'text' : 'numeric'}
            autocapitalize="none"
            spellcheck={false}
            value={code}
            onValue={setCode}
            error={errorFor(error, 'code')}
          />
          <SubmitButton busy={busy} busyText="Checking…">
            Sign in
          </SubmitButton>
        </form>
        <p>
          <button
            type="button"
            class="button button--quiet"
            onClick={() => {
              setUseRecovery(!useRecovery);
              setCode('');
              setError(null);
            }}
          >
            {useRecovery ? 'Use a code from the app instead' : 'Lost your phone? Use a recovery code'}
          </button>
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeading>Sign in</PageHeading>
      {signedOut && (
        <Notice kind="success">
          <p>You have signed out.</p>
        </Notice>
      )}
      {sanction && !signedOut && (
        <div class="notice notice--warning" role="alert" data-testid="account-suspended">
          <h2 class="notice__title">{sanction.standing === 'banned' ? 'This account is closed' : 'Your account is suspended'}</h2>
          {sanction.standing === 'suspended' && (
            <p>{sanction.until ? <>It is suspended until <time dateTime={sanction.until}>{formatDate(sanction.until)}</time>.</> : 'It is suspended for now.'} You were signed out on this device.</p>
          )}
          {sanction.standing === 'banned' && <p>The moderators have closed it. You were signed out on this device.</p>}
          <p>To read the moderators' reason, sign in below with your password: it is shown to you only.</p>
          <p>Anything you had written but not sent was removed from this device.</p>
        </div>
      )}
      {ended && !signedOut && !sanction && (
        <Notice kind="info">
          <p>Your session has ended. Please sign in again.</p>
          <p>Anything you had written but not sent was removed from this device, so nobody else using it can see it.</p>
        </Notice>
      )}
      <form onSubmit={submit} noValidate class="form">
        <ErrorSummary
          error={error}
          title={error ? TITLES[error.code] : undefined}
          tone={error?.code === 'application_pending' ? 'info' : 'error'}
        />
        <TextField
          name="login"
          label="Handle or email address"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          value={login}
          onValue={setLogin}
          error={errorFor(error, 'login')}
        />
        <TextField
          name="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          value={password}
          onValue={setPassword}
          error={errorFor(error, 'password')}
        />
        <SubmitButton busy={busy} busyText="Signing in…">
          Sign in
        </SubmitButton>
      </form>
      <p>
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        Not a member yet? <Link href="/apply">Apply to join</Link>
      </p>
    </>
  );
}
