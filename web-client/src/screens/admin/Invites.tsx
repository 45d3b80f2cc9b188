// Admins issue single-use, expiring invites, vouching that the invitee is an adult. The link
// is shown once (the server keeps only a hash of it), with a button to copy it.

import { useRef, useState } from 'preact/hooks';

import { api, ApiError, formatDate } from '../../api';
import { Checkbox, ErrorSummary, Notice, PageHeading, SubmitButton, asApiError, errorFor } from '../../components';

interface Invite {
  link: string;
  token: string | null;
  expires_at: string;
}

/** `/admin/invites`. */
export function Invites() {
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [invite, setInvite] = useState<Invite | null>(null);
  const [copied, setCopied] = useState('');
  const linkRef = useRef<HTMLInputElement>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!confirm) {
      setError(new ApiError(400, 'invalid', 'tick the box to confirm the person you invite is 18 or over', 'confirm_adult'));
      return;
    }
    setBusy(true);
    setError(null);
    setCopied('');
    try {
      setInvite(await api<Invite>('POST', '/api/admin/invites', { confirm_adult: true }));
      setConfirm(false);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!invite) return;
    try {
      await navigator.clipboard.writeText(invite.link);
      setCopied('The link was copied.');
    } catch {
      // No clipboard access (an old browser, or plain http): select it for the person to copy.
      linkRef.current?.focus();
      linkRef.current?.select();
      setCopied('The link is selected: copy it with your device’s copy command.');
    }
  }

  return (
    <>
      <PageHeading>Invites</PageHeading>
      <p class="lead">
        An invite lets someone join without waiting for approval. It works once and expires. The
        person still gives their date of birth and must pass the 18+ check.
      </p>
      {invite && (
        <Notice kind="success" title="Your invite link" focus>
          <p>
            Send this link to the person you are inviting, privately. It is shown only once, and
            works until {formatDate(invite.expires_at)}.
          </p>
          <div class="copy-row">
            <label for="invite-link" class="visually-hidden">
              Invite link
            </label>
            <input id="invite-link" ref={linkRef} readOnly value={invite.link} class="mono" onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
            <button type="button" class="button button--primary" onClick={copy}>
              Copy link
            </button>
          </div>
          <p aria-live="polite" class="copied">
            {copied}
          </p>
        </Notice>
      )}
      <form onSubmit={submit} noValidate class="form section">
        <h2>Create an invite</h2>
        <ErrorSummary error={error} />
        <Checkbox
          name="confirm_adult"
          label="I confirm the person I am inviting is 18 or over"
          checked={confirm}
          onChecked={setConfirm}
          error={errorFor(error, 'confirm_adult')}
        />
        <SubmitButton busy={busy} busyText="Creating…">
          Create invite link
        </SubmitButton>
      </form>
    </>
  );
}
