// Admins manage members: role, a one-time password-reset link, suspension (for a number of
// hours, with a reason), ban and reinstatement. Each member's actions sit behind a disclosure so
// the list stays readable.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, formatDate, type MemberAdminView, type Role } from '../../api';
import {
  ErrorSummary,
  Loading,
  LiveNotice,
  PageHeading,
  SubmitButton,
  TextArea,
  TextField,
  asApiError,
  errorFor,
} from '../../components';
import { useSession } from '../../session';

interface Page {
  members: MemberAdminView[];
  next: string | null;
}

/** `/admin/members`. */
export function Members() {
  const [members, setMembers] = useState<MemberAdminView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
    api<Page>('GET', '/api/admin/members?limit=50')
      .then((b) => {
        setMembers(b.members);
        setNext(b.next);
      })
      .catch((e) => setLoadError(asApiError(e)));
  }, []);

  async function more() {
    if (!next || loadingMore) return;
    setLoadingMore(true);
    try {
      const b = await api<Page>('GET', `/api/admin/members?limit=50&after=${encodeURIComponent(next)}`);
      setMembers((m) => [...(m ?? []), ...b.members]);
      setNext(b.next);
    } catch (e) {
      setLoadError(asApiError(e));
    } finally {
      setLoadingMore(false);
    }
  }

  function updated(member: MemberAdminView, what: string) {
    setMembers((list) => (list ?? []).map((m) => (m.id === member.id ? member : m)));
    setAnnouncement(what);
  }

  return (
    <>
      <PageHeading>Members</PageHeading>
      <LiveNotice message={announcement} />
      <ErrorSummary error={loadError} />
      {!members && !loadError && <Loading what="members" />}
      {members && members.length === 0 && <p class="placeholder">No members yet.</p>}
      {members && members.length > 0 && (
        <ul class="cards" aria-label="Members">
          {members.map((m) => (
            <li key={m.id}>
              <MemberCard member={m} onUpdated={updated} />
            </li>
          ))}
        </ul>
      )}
      {next && (
        <p>
          <button type="button" class="button button--secondary" onClick={more} aria-disabled={loadingMore ? 'true' : undefined}>
            {loadingMore ? 'Loading…' : 'Show more members'}
          </button>
        </p>
      )}
    </>
  );
}

const STANDING: Record<string, string> = {
  active: 'Active',
  pending: 'Waiting for approval',
  suspended: 'Suspended',
  banned: 'Banned',
  rejected: 'Application rejected',
};

function MemberCard(props: { member: MemberAdminView; onUpdated: (m: MemberAdminView, what: string) => void }) {
  const { member } = props;
  const { member: me } = useSession();
  const key = member.id;
  const [role, setRole] = useState<Role>(member.role);
  const [hours, setHours] = useState('24');
  const [suspendReason, setSuspendReason] = useState('');
  const [banReason, setBanReason] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const isMe = me?.id === member.id;

  async function run(
    what: string,
    call: () => Promise<{ member: MemberAdminView }>,
    done: string,
    fieldMap: Record<string, string> = {},
  ) {
    if (busy) return;
    setBusy(what);
    setError(null);
    try {
      const body = await call();
      props.onUpdated(body.member, done);
    } catch (err) {
      const e = asApiError(err);
      const mapped = e.field && fieldMap[e.field];
      setError(mapped ? new ApiError(e.status, e.code, e.message, mapped) : e);
    } finally {
      setBusy(null);
    }
  }

  const standing = STANDING[member.standing] ?? member.standing;

  return (
    <article class="card" aria-labelledby={`member-${key}`} data-testid="member">
      <h2 id={`member-${key}`} class="card__title">
        {member.handle}
        {isMe && <span class="tag">You</span>}
      </h2>
      <dl class="summary-list summary-list--compact">
        <div>
          <dt>Role</dt>
          <dd>{member.role}</dd>
        </div>
        <div>
          <dt>Standing</dt>
          <dd>
            <span class={`standing standing--${member.standing}`}>{standing}</span>
            {member.suspended_until && ` until ${formatDate(member.suspended_until)}`}
          </dd>
        </div>
        {member.standing_reason && (
          <div>
            <dt>Reason</dt>
            <dd>{member.standing_reason}</dd>
          </div>
        )}
        {member.joined_at && (
          <div>
            <dt>Joined</dt>
            <dd>{formatDate(member.joined_at, false)}</dd>
          </div>
        )}
      </dl>
      {!isMe && (
        <details class="disclosure disclosure--actions">
          <summary>
            <span>Actions for {member.handle}</span>
          </summary>
          <ErrorSummary error={error} />

          <form
            class="decision"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              void run(
                'role',
                () => api('PATCH', `/api/admin/members/${member.id}`, { role }),
                `${member.handle} is now ${role === 'admin' ? 'an admin' : `a ${role}`}.`,
                { role: `role-${key}` },
              );
            }}
          >
            <div class={`field${errorFor(error, `role-${key}`) ? ' field--error' : ''}`}>
              <label for={`field-role-${key}`}>Role</label>
              <select
                id={`field-role-${key}`}
                value={role}
                onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as Role)}
              >
                <option value="member">Member</option>
                <option value="moderator">Moderator</option>
                <option value="admin">Admin</option>
              </select>
            </div>
            <SubmitButton busy={busy === 'role'} kind="secondary">
              Change role
            </SubmitButton>
          </form>

          {member.standing === 'active' && <ResetLink member={member} />}

          {(member.standing === 'suspended' || member.standing === 'banned') && (
            <form
              class="decision"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                void run(
                  'reinstate',
                  () => api('POST', `/api/admin/members/${member.id}/reinstate`),
                  `${member.handle} was reinstated.`,
                );
              }}
            >
              <h3 class="small-heading">Reinstate</h3>
              <p class="hint">Lifts the suspension or ban and clears its reason.</p>
              <SubmitButton busy={busy === 'reinstate'} kind="secondary">
                Reinstate {member.handle}
              </SubmitButton>
            </form>
          )}

          {member.standing !== 'banned' && (
            <form
              class="decision"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                const h = Number.parseInt(hours, 10);
                if (!Number.isFinite(h) || h < 1) {
                  setError(new ApiError(400, 'invalid', 'enter a number of hours, 1 or more', `hours-${key}`));
                  return;
                }
                if (!suspendReason.trim()) {
                  setError(new ApiError(400, 'invalid', 'give a reason: the member sees it', `suspend-reason-${key}`));
                  return;
                }
                void run(
                  'suspend',
                  () =>
                    api('POST', `/api/mod/members/${member.id}/suspend`, {
                      hours: h,
                      reason: suspendReason.trim(),
                    }),
                  `${member.handle} is suspended for ${h} ${h === 1 ? 'hour' : 'hours'}.`,
                  { hours: `hours-${key}`, reason: `suspend-reason-${key}`, until: `hours-${key}` },
                );
              }}
            >
              <h3 class="small-heading">Suspend</h3>
              <TextField
                name={`hours-${key}`}
                label="For how many hours"
                inputMode="numeric"
                class="field--short"
                value={hours}
                onValue={setHours}
                error={errorFor(error, `hours-${key}`)}
              />
              <TextArea
                name={`suspend-reason-${key}`}
                label="Reason for the suspension (the member sees it)"
                rows={2}
                value={suspendReason}
                onValue={setSuspendReason}
                error={errorFor(error, `suspend-reason-${key}`)}
              />
              <SubmitButton busy={busy === 'suspend'} kind="secondary">
                Suspend {member.handle}
              </SubmitButton>
            </form>
          )}

          {member.standing !== 'banned' && (
            <form
              class="decision"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                if (!banReason.trim()) {
                  setError(new ApiError(400, 'invalid', 'give a reason: the member sees it', `ban-reason-${key}`));
                  return;
                }
                void run(
                  'ban',
                  () => api('POST', `/api/admin/members/${member.id}/ban`, { reason: banReason.trim() }),
                  `${member.handle} is banned.`,
                  { reason: `ban-reason-${key}` },
                );
              }}
            >
              <h3 class="small-heading">Ban</h3>
              <p class="hint">Closes the account and signs them out everywhere.</p>
              <TextArea
                name={`ban-reason-${key}`}
                label="Reason for the ban (the member sees it)"
                rows={2}
                value={banReason}
                onValue={setBanReason}
                error={errorFor(error, `ban-reason-${key}`)}
              />
              <SubmitButton busy={busy === 'ban'} kind="danger">
                Ban {member.handle}
              </SubmitButton>
            </form>
          )}
        </details>
      )}
    </article>
  );
}

/**
 * Makes a one-time password-reset link for a member who cannot sign in, and shows it once (it is
 * not kept anywhere the admin could find it again), with a copy button and when it stops working.
 */
function ResetLink(props: { member: MemberAdminView }) {
  const { member } = props;
  const id = `reset-link-${member.id}`;
  const [issued, setIssued] = useState<{ link: string; expires_at: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [copied, setCopied] = useState('');

  async function make(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setCopied('');
    try {
      setIssued(await api<{ link: string; expires_at: string }>('POST', `/api/admin/members/${member.id}/reset-link`));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!issued) return;
    try {
      await navigator.clipboard.writeText(issued.link);
      setCopied('Copied.');
    } catch {
      // No clipboard (an old browser, or permission refused): select it for Ctrl+C instead.
      const field = document.getElementById(id) as HTMLInputElement | null;
      field?.focus();
      field?.select();
      setCopied('The link is selected: copy it with Ctrl+C (or Cmd+C).');
    }
  }

  return (
    <form class="decision" noValidate onSubmit={make}>
      <h3 class="small-heading">Password reset link</h3>
      <p class="hint">
        For a member who cannot sign in. The link is shown here once: pass it to them by a route
        only they can read. It works once; making a new one stops the last one working.
      </p>
      <ErrorSummary error={error} />
      {issued && (
        <div class="field reset-link">
          <label for={id}>Reset link for {member.handle}</label>
          <p class="hint" id={`${id}-hint`}>
            It works once, until {formatDate(issued.expires_at)}.
          </p>
          <input
            id={id}
            type="text"
            readOnly
            value={issued.link}
            aria-describedby={`${id}-hint`}
            class="reset-link__field"
            spellcheck={false}
            onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          />
          <p>
            <button type="button" class="button button--secondary button--small" onClick={() => void copy()}>
              Copy the link
            </button>
          </p>
          <div role="status">{copied && <p class="hint">{copied}</p>}</div>
        </div>
      )}
      <SubmitButton busy={busy} kind="secondary">
        {issued ? `Make a new reset link for ${member.handle}` : `Make a reset link for ${member.handle}`}
      </SubmitButton>
    </form>
  );
}
