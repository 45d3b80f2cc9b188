// Admins issue single-use, expiring invites, vouching that the invitee is an adult. The link
// is shown once (the server keeps only a hash of it), with a button to copy it. Below, the
// invites made so far and what became of each; one still outstanding can be withdrawn (sent to
// the wrong person, or shared by mistake), and its link then says it can no longer be used.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, formatDate } from '../../api';
import { Checkbox, ErrorSummary, LiveNotice, Loading, Notice, PageHeading, SubmitButton, asApiError, errorFor } from '../../components';

/** An invite as listed: never its link, which is shown once. */
interface InviteView {
  id: string;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  status: 'outstanding' | 'used' | 'expired' | 'revoked';
}

const STATUS: Record<InviteView['status'], string> = {
  outstanding: 'Not used yet',
  used: 'Used',
  expired: 'Expired',
  revoked: 'Withdrawn',
};

interface Invite {
  id: string;
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
  const [list, setList] = useState<InviteView[] | null>(null);
  const [listError, setListError] = useState<ApiError | null>(null);
  const [announcement, setAnnouncement] = useState('');

  async function load() {
    try {
      setList((await api<{ invites: InviteView[] }>('GET', '/api/admin/invites')).invites);
    } catch (err) {
      setListError(asApiError(err));
    }
  }
  useEffect(() => {
    void load();
  }, []);

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
      void load();
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
      <section class="section" aria-labelledby="invites-made">
        <h2 id="invites-made">Invites made</h2>
        <p class="hint">Links are never shown again after they are made. Withdraw one that has not been used if it went to the wrong person.</p>
        <LiveNotice message={announcement} />
        <ErrorSummary error={listError} />
        {!list && !listError && <Loading what="invites" />}
        {list && list.length === 0 && <p class="placeholder">No invites have been made yet.</p>}
        {list && list.length > 0 && (
          <ul class="cards" aria-label="Invites made">
            {list.map((i) => (
              <li key={i.id}>
                <InviteCard
                  invite={i}
                  onStale={() => void load()}
                  onRevoked={(revoked) => {
                    setList((l) => l?.map((x) => (x.id === revoked.id ? revoked : x)) ?? l);
                    // The link shown once no longer works: stop showing it.
                    if (invite?.id === revoked.id) setInvite(null);
                    setAnnouncement(`The invite made ${formatDate(revoked.created_at)} was withdrawn.`);
                  }}
                />
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

/** One invite: when and by whom it was made, what became of it, and Withdraw while outstanding. */
function InviteCard(props: { invite: InviteView; onRevoked: (i: InviteView) => void; onStale: () => void }) {
  const { invite } = props;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const titleId = `invite-${invite.id}`;

  async function revoke() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ invite: InviteView }>('POST', `/api/admin/invites/${invite.id}/revoke`);
      props.onRevoked(b.invite);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      // Used, expired or withdrawn meanwhile (another admin, another tab): show what it is now.
      if (e.code === 'invite_closed' || e.status === 404) {
        setConfirming(false);
        props.onStale();
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class="card" aria-labelledby={titleId} data-testid="invite" data-status={invite.status}>
      <h3 id={titleId} class="card__title">
        Invite made {formatDate(invite.created_at)}
      </h3>
      <dl class="summary-list summary-list--compact">
        <div>
          <dt>State</dt>
          <dd>
            <span class={`standing standing--${invite.status === 'outstanding' ? 'active' : 'pending'}`}>{STATUS[invite.status]}</span>
            {invite.status === 'used' && invite.used_at && ` on ${formatDate(invite.used_at)}`}
            {invite.status === 'revoked' && invite.revoked_at && ` on ${formatDate(invite.revoked_at)}`}
          </dd>
        </div>
        <div>
          <dt>{invite.status === 'outstanding' ? 'Works until' : 'Was valid until'}</dt>
          <dd>{formatDate(invite.expires_at)}</dd>
        </div>
        <div>
          <dt>Made by</dt>
          <dd>{invite.created_by ?? 'A former admin'}</dd>
        </div>
      </dl>
      <ErrorSummary error={error} />
      {invite.status === 'outstanding' && !confirming && (
        <button type="button" class="button button--secondary" onClick={() => setConfirming(true)}>
          Withdraw this invite
        </button>
      )}
      {invite.status === 'outstanding' && confirming && (
        <div class="confirm" role="group" aria-label="Withdraw this invite?">
          <p>The link will stop working at once. Whoever has it will be told it can no longer be used.</p>
          <button type="button" class="button button--danger" onClick={() => void revoke()} aria-disabled={busy ? 'true' : undefined}>
            {busy ? 'Withdrawing…' : 'Yes, withdraw it'}
          </button>{' '}
          <button type="button" class="button button--secondary" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      )}
    </article>
  );
}
