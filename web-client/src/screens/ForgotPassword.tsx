// "Forgot your password?": asks for a reset link by email when this server sends email, and
// says plainly when it does not (then only an admin can make a link). The answer is the same
// whether or not the address belongs to an account, so it reveals nobody.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, sentence } from '../api';
import { ErrorSummary, Link, Loading, Notice, PageHeading, SubmitButton, TextField, asApiError, errorFor } from '../components';

/** `GET /api/password-reset`: what recovery this server offers. */
interface RecoveryOptions {
  by_email: boolean;
  link_hours: number;
}

/** `/forgot-password`. */
export function ForgotPassword() {
  // Null while asking; if the server cannot say, the form is shown and its answer is the truth.
  const [options, setOptions] = useState<RecoveryOptions | null>(null);
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [answer, setAnswer] = useState<string | null>(null);

  useEffect(() => {
    api<RecoveryOptions>('GET', '/api/password-reset')
      .then(setOptions)
      .catch(() => setOptions({ by_email: true, link_hours: 0 }));
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!email.trim()) {
      setError(new ApiError(400, 'invalid', 'enter the email address of your account', 'email'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = await api<{ status: string; message: string }>('POST', '/api/password-reset', { email: email.trim() });
      setEmail('');
      setAnswer(sentence(body.message));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading>Forgot your password?</PageHeading>
      {!options && <Loading />}
      {options && !options.by_email && (
        <div class="prose">
          <p>This forum does not send email, so it cannot send you a link.</p>
          <p>
            Please ask an admin of the group for a reset link. They can make one for you that works
            once, for {options.link_hours} hours. Open it, choose a new password, then sign in with it.
          </p>
        </div>
      )}
      {options?.by_email && answer && (
        <Notice kind="success" focus>
          <p>{answer}</p>
        </Notice>
      )}
      {options?.by_email && !answer && (
        <form onSubmit={submit} noValidate class="form">
          <ErrorSummary error={error} />
          <TextField
            name="email"
            label="Email address"
            hint="The address on your account. If your account has no email address, ask an admin of the group for a reset link."
            type="email"
            autocomplete="email"
            autocapitalize="none"
            spellcheck={false}
            value={email}
            onValue={setEmail}
            error={errorFor(error, 'email')}
          />
          <SubmitButton busy={busy} busyText="Sending…">
            Send me a link
          </SubmitButton>
        </form>
      )}
      <p>
        <Link href="/sign-in">Back to sign in</Link>
      </p>
    </>
  );
}
