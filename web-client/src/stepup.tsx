// The step-up dialog: a sensitive action (export, erasure, a role or standing change, a rules
// reload, the safeguarding record) answered 403 `reauth_required`, so the app asks the person
// to confirm who they are (a code from their authenticator app, a recovery code, or their
// password if they have no second factor) and then sends the action again. The screen behind
// stays as it was: nothing typed is lost.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, setConfirmWho } from './api';
import { ErrorSummary, SubmitButton, TextField, asApiError, errorFor } from './components';

interface Asking {
  resolve: (ok: boolean) => void;
  /** Whether the account has a second factor (then the password is not enough). */
  factor: boolean;
}

/** Mounted once by the app; opens whenever a request needs a fresh confirmation. */
export function StepUpDialog() {
  const [asking, setAsking] = useState<Asking | null>(null);
  const [value, setValue] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    setConfirmWho(async () => {
      let factor = true;
      try {
        const f = await api<{ factors: unknown[] }>('GET', '/api/me/factors');
        factor = f.factors.length > 0;
      } catch {
        factor = true;
      }
      return new Promise<boolean>((resolve) => {
        setValue('');
        setError(null);
        setRecovery(false);
        setAsking({ resolve, factor });
      });
    });
    return () => setConfirmWho(null);
  }, []);

  useEffect(() => {
    if (asking && dialog.current && !dialog.current.open) dialog.current.showModal();
    if (!asking && dialog.current?.open) dialog.current.close();
  }, [asking]);

  function finish(ok: boolean) {
    asking?.resolve(ok);
    setAsking(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (busy || !asking) return;
    const typed = value.trim();
    const field = asking.factor ? 'code' : 'password';
    if (!typed) {
      setError(new ApiError(400, 'invalid', asking.factor ? 'enter the code' : 'enter your password', field));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = !asking.factor
        ? { password: value }
        : recovery
          ? { recovery_code: typed }
          : { code: typed.replace(/\s/g, '') };
      await api('POST', '/api/me/confirm', body);
      setValue('');
      finish(true);
    } catch (err) {
      setValue('');
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  const field = asking?.factor ? 'code' : 'password';
  return (
    <dialog
      ref={dialog}
      class="step-up"
      aria-labelledby="step-up-title"
      data-testid="step-up"
      onCancel={(e) => {
        e.preventDefault();
        finish(false);
      }}
    >
      {asking && (
        <form onSubmit={submit} noValidate class="form" method="dialog">
          <h2 id="step-up-title">Please confirm it is you</h2>
          <p>This is a sensitive action, so we check who is at the keyboard first. What you were doing is kept.</p>
          <ErrorSummary error={error} />
          {asking.factor ? (
            <TextField
              name="step-up-code"
              label={recovery ? 'A recovery code' : 'The six-digit code your authenticator app shows'}
              autocomplete="one-time-code"
              inputMode={recovery ? 'text' : 'numeric'}
              value={value}
              onValue={setValue}
              error={errorFor(error, field)}
            />
          ) : (
            <TextField
              name="step-up-password"
              label="Your password"
              type="password"
              autocomplete="current-password"
              value={value}
              onValue={setValue}
              error={errorFor(error, field)}
            />
          )}
          <SubmitButton busy={busy} busyText="Checking…">
            Confirm
          </SubmitButton>{' '}
          {asking.factor && (
            <button type="button" class="button button--quiet" onClick={() => setRecovery(!recovery)}>
              {recovery ? 'Use the app instead' : 'Use a recovery code'}
            </button>
          )}{' '}
          <button type="button" class="button button--secondary" onClick={() => finish(false)}>
            Cancel
          </button>
        </form>
      )}
    </dialog>
  );
}
