// Applying to join: the 18+ gate explained plainly, the rules and the privacy notice, then the
// form. An under-18 refusal replaces the form with the server's kind message (with Childline).

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, sentence } from '../api';
import {
  Checkbox,
  ErrorSummary,
  Link,
  Notice,
  PageHeading,
  SubmitButton,
  TextArea,
  TextField,
  asApiError,
  errorFor,
} from '../components';
import { GroupRules, PrivacyNotice } from '../content';
import { useLocation } from '../router';

const STATEMENT_MAX = 2000;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Builds YYYY-MM-DD from the three boxes, or says in plain words what is wrong with them (a day
 * and month the wrong way round most of all), as `{ problem }`.
 */
function dateOfBirth(day: string, month: string, year: string): string | { problem: string } {
  const d = day.trim();
  const m = month.trim();
  const y = year.trim();
  const example = 'for example 31 01 1980';
  if (!d || !m || !y) {
    return { problem: `please give your date of birth: day, month and year, ${example}` };
  }
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) {
    return { problem: `please give your date of birth in numbers: day, month and year, ${example}` };
  }
  const dn = Number(d);
  const mn = Number(m);
  const yn = Number(y);
  if (mn > 12 && dn >= 1 && dn <= 12) {
    return { problem: `there is no month ${mn}: the day and month may be the wrong way round. Please give the day first, then the month, ${example}` };
  }
  if (mn < 1 || mn > 12) {
    return { problem: `the month is a number from 1 to 12: please give day, month and year, ${example}` };
  }
  const days = new Date(Date.UTC(yn, mn, 0)).getUTCDate();
  if (dn < 1 || dn > days) {
    return { problem: `${MONTHS[mn - 1]} ${yn} has no day ${dn}: please check your date of birth` };
  }
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

/** `/apply`. */
export function Apply() {
  const { search } = useLocation();
  const invite = search.get('invite') ?? '';
  const [handle, setHandle] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [day, setDay] = useState('');
  const [month, setMonth] = useState('');
  const [year, setYear] = useState('');
  const [statement, setStatement] = useState('');
  const [accept, setAccept] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [done, setDone] = useState<{ status: string; message: string; answer_days?: number } | null>(null);
  /** Whether the invite in the link can still be used: asked as the page opens. */
  const [inviteValid, setInviteValid] = useState<boolean | null>(null);

  useEffect(() => {
    if (!invite) return;
    api<{ valid: boolean }>('GET', `/api/invites/check?token=${encodeURIComponent(invite)}`).then(
      (b) => setInviteValid(b.valid),
      // Could not ask (offline, too many checks): the application itself will say.
      () => setInviteValid(null),
    );
  }, [invite]);
  /** An invite known to be used or expired is not sent: the application waits for an admin instead. */
  const usableInvite = invite && inviteValid !== false ? invite : '';

  if (refusal) {
    return (
      <>
        <PageHeading>We cannot offer you a place</PageHeading>
        <div class="panel panel--kind" role="alert" data-testid="under-age">
          <p class="lead">{sentence(refusal)}</p>
        </div>
        <p>
          <a href="https://www.childline.org.uk/" rel="noreferrer">
            Childline (childline.org.uk)
          </a>{' '}
          is free and confidential, and you can call 0800 1111 any time.
        </p>
      </>
    );
  }

  if (done) {
    return (
      <>
        <PageHeading>
          {done.status === 'approved' ? 'Welcome' : 'Thank you for applying'}
        </PageHeading>
        <Notice kind="success">
          <p>{sentence(done.message)}</p>
        </Notice>
        {done.status === 'pending' && done.answer_days !== undefined && (
          <p data-testid="answer-timescale">
            <strong>When to expect an answer:</strong> usually within{' '}
            {done.answer_days === 1 ? '1 day' : `${done.answer_days} days`}. Nothing is sent to
            you: try signing in then. If you can sign in, you have been accepted.
          </p>
        )}
        <p>
          <Link href="/sign-in" class="button button--primary">
            Go to sign in
          </Link>
        </p>
      </>
    );
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    // A date that cannot be right is still sent (as it is), so that the answer lists every
    // other problem too; what the boxes hold is then explained in the words above.
    const dob = dateOfBirth(day, month, year);
    setBusy(true);
    setError(null);
    try {
      const body = await api<{ status: string; message: string; answer_days?: number }>('POST', '/api/applications', {
        handle,
        email,
        password,
        date_of_birth: typeof dob === 'string' ? dob : `${year.trim()}-${month.trim()}-${day.trim()}`,
        statement,
        accept_rules: accept,
        ...(usableInvite ? { invite: usableInvite } : {}),
      });
      // Nothing typed here should linger in memory or on screen.
      setPassword('');
      setDone(body);
    } catch (err) {
      const apiError = asApiError(err);
      if (apiError.code === 'under_age') {
        setPassword('');
        setRefusal(apiError.message);
      } else if (typeof dob !== 'string' && apiError.code === 'invalid') {
        // The boxes' own words for the date, with the server's for everything else.
        const fields: Record<string, string> = { ...(apiError.fields ?? (apiError.field ? { [apiError.field]: apiError.message } : {})), date_of_birth: dob.problem };
        const first = Object.keys(fields)[0];
        const merged = new ApiError(400, 'invalid', fields[first], first);
        merged.fields = fields;
        setError(merged);
      } else {
        setError(apiError);
      }
    } finally {
      setBusy(false);
    }
  }

  const dobError = errorFor(error, 'date_of_birth');

  return (
    <>
      <PageHeading>Apply to join</PageHeading>
      {invite && inviteValid === false && (
        <div class="notice notice--warning" role="alert" data-testid="invite-invalid">
          <h2 class="notice__title">This invite link can no longer be used</h2>
          <p>It has already been used, it has expired, or it was withdrawn. Ask the person who invited you for a new link.</p>
          <p>You can still apply below without it: one of the group's admins will read your application.</p>
        </div>
      )}
      {invite && inviteValid !== false && (
        <Notice kind="info">
          <p>You have been invited. You still need to fill in this form, including your date of birth.</p>
        </Notice>
      )}

      <section aria-labelledby="who-heading" class="section">
        <h2 id="who-heading">Who this group is for</h2>
        <p>
          This is a private online group for <strong>adults aged 18 or over</strong> whose partner,
          parent, child or sibling has committed, or fears committing, a sexual offence. It is a
          place to talk with others in the same situation. It is not a helpline and does not give
          advice.
        </p>
        <p>
          <strong>You must be 18 or over to join.</strong> We ask for your date of birth to check
          this. It is checked and then forgotten: we never store it. An admin reads every
          application before anyone is let in.
        </p>
      </section>

      <details class="section disclosure">
        <summary>
          <span>Read the group's rules</span>
        </summary>
        <GroupRules />
      </details>

      <details class="section disclosure">
        <summary>
          <span>What we store about you, and why</span>
        </summary>
        <PrivacyNotice />
      </details>

      <form onSubmit={submit} noValidate class="form" aria-labelledby="form-heading">
        <h2 id="form-heading">Your application</h2>
        <ErrorSummary error={error} />

        <TextField
          name="handle"
          label="Handle"
          hint="The name other members will see. Choose one that does not identify you: not your real name, email or phone number. 3 to 32 letters, digits, '_', '-' or '.'."
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          maxLength={32}
          value={handle}
          onValue={setHandle}
          error={errorFor(error, 'handle')}
        />
        <TextField
          name="email"
          label="Email address"
          hint="Only for signing in and getting back into your account. Other members never see it."
          type="email"
          autocomplete="email"
          autocapitalize="none"
          spellcheck={false}
          value={email}
          onValue={setEmail}
          error={errorFor(error, 'email')}
        />
        <TextField
          name="password"
          label="Password"
          hint="At least 10 characters. A few unrelated words make a strong password that is easy to remember."
          type="password"
          autocomplete="new-password"
          value={password}
          onValue={setPassword}
          error={errorFor(error, 'password')}
        />

        <fieldset
          class={`field date-field${dobError ? ' field--error' : ''}`}
          aria-describedby={`dob-hint${dobError ? ' dob-error' : ''}`}
        >
          <legend>Date of birth</legend>
          <p class="hint" id="dob-hint">
            Day, then month, then year: for example 31 01 1980. Used only to check you are 18 or over, then forgotten.
          </p>
          {dobError && (
            <p class="field-error" id="dob-error">
              <span class="visually-hidden">Error: </span>
              {dobError}
            </p>
          )}
          <div class="date-inputs">
            <div class="date-part">
              <label for="field-date_of_birth">Day</label>
              <input
                id="field-date_of_birth"
                name="dob-day"
                inputMode="numeric"
                autocomplete="bday-day"
                maxLength={2}
                size={2}
                value={day}
                onInput={(e) => setDay((e.currentTarget as HTMLInputElement).value)}
                aria-invalid={dobError ? 'true' : undefined}
              />
            </div>
            <div class="date-part">
              <label for="dob-month">Month</label>
              <input
                id="dob-month"
                name="dob-month"
                inputMode="numeric"
                autocomplete="bday-month"
                maxLength={2}
                size={2}
                value={month}
                onInput={(e) => setMonth((e.currentTarget as HTMLInputElement).value)}
                aria-invalid={dobError ? 'true' : undefined}
              />
            </div>
            <div class="date-part date-part--year">
              <label for="dob-year">Year</label>
              <input
                id="dob-year"
                name="dob-year"
                inputMode="numeric"
                autocomplete="bday-year"
                maxLength={4}
                size={4}
                value={year}
                onInput={(e) => setYear((e.currentTarget as HTMLInputElement).value)}
                aria-invalid={dobError ? 'true' : undefined}
              />
            </div>
          </div>
        </fieldset>

        <TextArea
          name="statement"
          label={usableInvite ? 'A few words about why you would like to join (optional)' : 'A few words about why you would like to join'}
          hint="Only the admins read this, and it is deleted once they have decided. Please do not include names or places."
          maxLength={STATEMENT_MAX}
          value={statement}
          onValue={setStatement}
          error={errorFor(error, 'statement')}
        />

        <Checkbox
          name="accept_rules"
          label="I have read the group's rules and I agree to follow them"
          checked={accept}
          onChecked={setAccept}
          error={errorFor(error, 'accept_rules')}
        />

        <SubmitButton busy={busy} busyText="Sending…">
          Send my application
        </SubmitButton>
      </form>
      <p>
        Already a member? <Link href="/sign-in">Sign in</Link>
      </p>
    </>
  );
}
