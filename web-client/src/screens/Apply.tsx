// Applying to join: the 18+ gate explained plainly, the rules and the privacy notice, then the
// form. An under-18 refusal replaces the form with the server's kind message (with Childline).

import { useState } from 'preact/hooks';

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

/** Builds YYYY-MM-DD from three boxes, or explains what is missing. */
function dateOfBirth(day: string, month: string, year: string): string | ApiError {
  const d = day.trim();
  const m = month.trim();
  const y = year.trim();
  if (!d || !m || !y) {
    return new ApiError(400, 'invalid', 'enter your date of birth: day, month and year', 'date_of_birth');
  }
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) {
    return new ApiError(
      400,
      'invalid',
      'enter your date of birth as numbers, for example 27 3 1980',
      'date_of_birth',
    );
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
  const [done, setDone] = useState<{ status: string; message: string } | null>(null);

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
    const dob = dateOfBirth(day, month, year);
    if (dob instanceof ApiError) {
      setError(dob);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = await api<{ status: string; message: string }>('POST', '/api/applications', {
        handle,
        email,
        password,
        date_of_birth: dob,
        statement,
        accept_rules: accept,
        ...(invite ? { invite } : {}),
      });
      // Nothing typed here should linger in memory or on screen.
      setPassword('');
      setDone(body);
    } catch (err) {
      const apiError = asApiError(err);
      if (apiError.code === 'under_age') {
        setPassword('');
        setRefusal(apiError.message);
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
      {invite && (
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
            For example, 27 3 1980. Used only to check you are 18 or over, then forgotten.
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
          label={invite ? 'A few words about why you would like to join (optional)' : 'A few words about why you would like to join'}
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
