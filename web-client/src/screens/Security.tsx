// `/account/security`: the member's second factors. Setting up an authenticator app shows its
// QR code (an SVG the server drew) and the secret as text to type, then asks for a code from
// the app; the ten recovery codes that come back are shown this once. Staff who must have a
// factor are sent here, and nothing of staff works for them until they finish.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, formatDate } from '../api';
import { ErrorSummary, Loading, Notice, PageHeading, SubmitButton, TextField, asApiError, errorFor } from '../components';
import { useSession, whoIsSignedIn } from '../session';

interface Factor {
  id: string;
  kind: string;
  label: string;
  created_at: string;
  last_used_at: string | null;
}

interface Factors {
  factors: Factor[];
  recovery_codes_left: number;
  required: boolean;
}

interface Enrolment {
  secret: string;
  otpauth_url: string;
  qr_svg: string;
}

/** The secret in groups of four, easier to type. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

export function Security() {
  const { member, setMember } = useSession();
  const [factors, setFactors] = useState<Factors | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function load() {
    try {
      setFactors(await api<Factors>('GET', '/api/me/factors'));
    } catch (e) {
      setError(asApiError(e));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  async function begin() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      setEnrolment(await api<Enrolment>('POST', '/api/me/factors/totp'));
      setCode('');
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!/^\d{6}$/.test(code.replace(/\s/g, ''))) {
      setError(new ApiError(400, 'invalid', 'enter the six-digit code your app shows now', 'code'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const done = await api<{ recovery_codes: string[] }>('POST', '/api/me/factors/totp/confirm', {
        code: code.replace(/\s/g, ''),
      });
      setEnrolment(null);
      setCodes(done.recovery_codes);
      await load();
      // Staff held back until now are staff again: ask who is signed in.
      const who = await whoIsSignedIn();
      if (who && member && (who.role !== member.role || who.second_factor_required !== member.second_factor_required)) {
        setMember(who);
      }
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  if (!factors && !error) return <Loading what="your security settings" />;
  const totp = factors?.factors.find((f) => f.kind === 'totp');

  return (
    <>
      <PageHeading>Sign-in security</PageHeading>
      {(member?.second_factor_required || (factors?.required && !totp)) && !codes && (
        <Notice kind="warning" title="Your staff account needs a second factor">
          <p>
            Staff can read what members trust the group with, so a password alone is not enough. Set up an
            authenticator app below; until then the staff pages stay closed.
          </p>
        </Notice>
      )}
      <ErrorSummary error={error} />
      {codes && (
        <section class="notice notice--success" data-testid="recovery-codes" aria-labelledby="codes-title">
          <h2 class="notice__title" id="codes-title">
            Your recovery codes
          </h2>
          <p>
            Each code signs you in once if you lose your phone. Keep them somewhere safe and private (printed, or in
            a password manager). They are shown only this once.
          </p>
          <ul class="recovery-codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button type="button" class="button button--secondary" onClick={() => setCodes(null)}>
            I have saved them
          </button>
        </section>
      )}
      {!codes && (
        <section aria-labelledby="app-title">
          <h2 id="app-title">Authenticator app</h2>
          {totp ? (
            <p data-testid="totp-enrolled">
              Set up on {formatDate(totp.created_at)}
              {totp.last_used_at ? `, last used ${formatDate(totp.last_used_at)}` : ''}.{' '}
              {factors?.recovery_codes_left ?? 0} recovery codes left.
            </p>
          ) : (
            <p>Not set up. An app such as a password manager or an authenticator shows a new six-digit code every 30 seconds.</p>
          )}
          {!enrolment && (
            <button type="button" class="button" onClick={() => void begin()} data-testid="totp-begin">
              {totp ? 'Replace the authenticator app' : 'Set up an authenticator app'}
            </button>
          )}
          {enrolment && (
            <form onSubmit={confirm} noValidate class="form" data-testid="totp-enrol">
              <p>Scan this code with your app, or type the key below into it.</p>
              <div
                class="qr-code"
                role="img"
                aria-label="QR code for your authenticator app"
                // The server drew this SVG itself from the secret: no member text is in it.
                dangerouslySetInnerHTML={{ __html: enrolment.qr_svg }}
              />
              <p>
                Key: <code data-testid="totp-secret">{grouped(enrolment.secret)}</code>
              </p>
              <TextField
                name="code"
                label="The six-digit code your app shows"
                autocomplete="one-time-code"
                inputMode="numeric"
                maxLength={8}
                value={code}
                onValue={setCode}
                error={errorFor(error, 'code')}
              />
              <SubmitButton busy={busy} busyText="Checking…">
                Finish setting up
              </SubmitButton>
            </form>
          )}
        </section>
      )}
    </>
  );
}
