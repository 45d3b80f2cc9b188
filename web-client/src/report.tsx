// "Report" under a post or a chat message: one form for both. A member picks one of the fixed
// reasons (and, for a post, may add a note for the moderators); the author is never told who
// reported them.

import { useState } from 'preact/hooks';

import { api, ApiError, sentence } from './api';
import { ErrorSummary, SubmitButton, TextArea, asApiError, errorFor } from './components';
import { REPORT_REASONS } from './words';

/** A disclosure with the reasons; says the server's answer once sent. */
export function ReportForm(props: {
  /** What is reported, in the words the form uses ("the post", "the message"). */
  what: 'post' | 'message';
  /** Where the report goes (`POST`). */
  url: string;
  /** Prefix of the form's element ids, unique on the page. */
  idPrefix: string;
  /** The author's handle, for screen readers ("Report the post by …"). */
  author: string | null;
  /** Offer a note for the moderators. */
  withNote?: boolean;
  /** Extra class on the disclosure. */
  class?: string;
  testId?: string;
}) {
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');
  const id = props.idPrefix;

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!reason) {
      setError(new ApiError(400, 'invalid', `choose what is wrong with the ${props.what}`, `${id}-reason`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const a = await api<{ message: string }>('POST', props.url, {
        reason,
        ...(props.withNote && note.trim() ? { note: note.trim() } : {}),
      });
      setDone(a.message);
    } catch (err) {
      const a = asApiError(err);
      setError(a.field ? new ApiError(a.status, a.code, a.message, `${id}-${a.field}`) : a);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details class={`disclosure disclosure--inline${props.class ? ` ${props.class}` : ''}`} data-testid={props.testId}>
      <summary>
        <span>Report</span>
        <span class="visually-hidden">
          {' '}
          the {props.what} by {props.author ?? 'a former member'}
        </span>
      </summary>
      {done ? (
        <p role="status" class="notice notice--success">
          {sentence(done)}
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <ErrorSummary error={error} />
          <fieldset class={`field${errorFor(error, `${id}-reason`) ? ' field--error' : ''}`} id={`field-${id}-reason`} tabIndex={-1}>
            <legend>What is wrong with it?</legend>
            {errorFor(error, `${id}-reason`) && <p class="field-error">{errorFor(error, `${id}-reason`)}</p>}
            {REPORT_REASONS.map(({ code: value, choice: label }) => (
              <div class="radio-row" key={value}>
                <input type="radio" id={`${id}-${value}`} name={`${id}-reason`} value={value} checked={reason === value} onChange={() => setReason(value)} />
                <label for={`${id}-${value}`}>{label}</label>
              </div>
            ))}
          </fieldset>
          {props.withNote && (
            <TextArea name={`${id}-note`} label="Anything the moderators should know (optional)" rows={2} value={note} onValue={setNote} error={errorFor(error, `${id}-note`)} />
          )}
          <p class="hint">The author is not told who reported their {props.what}.</p>
          <SubmitButton busy={busy} kind="secondary">
            Send report
          </SubmitButton>
        </form>
      )}
    </details>
  );
}
