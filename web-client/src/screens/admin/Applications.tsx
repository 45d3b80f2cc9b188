// Admins decide applications: read the statement, then approve (only after confirming the
// applicant is an adult) or reject with a reason the applicant will see.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type ApplicationView } from '../../api';
import { Checkbox, ErrorSummary, Loading, LiveNotice, PageHeading, SubmitButton, TextArea, asApiError, errorFor, When } from '../../components';

/** `/admin/applications`. */
export function Applications() {
  const [apps, setApps] = useState<ApplicationView[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
    api<{ applications: ApplicationView[] }>('GET', '/api/admin/applications')
      .then((b) => setApps(b.applications))
      .catch((e) => setLoadError(asApiError(e)));
  }, []);

  function decided(app: ApplicationView, what: 'approved' | 'rejected') {
    setApps((list) => (list ?? []).filter((a) => a.id !== app.id));
    setAnnouncement(
      what === 'approved'
        ? `${app.handle} was approved and can now sign in.`
        : `${app.handle}'s application was rejected.`,
    );
  }

  return (
    <>
      <PageHeading>Applications</PageHeading>
      <p class="lead">
        Read each statement. Approve only if you are satisfied the applicant is an adult and the
        group is right for them. The statement is deleted once you decide.
      </p>
      <LiveNotice message={announcement} />
      <ErrorSummary error={loadError} />
      {!apps && !loadError && <Loading what="applications" />}
      {apps && apps.length === 0 && <p class="placeholder">No applications are waiting.</p>}
      {apps && apps.length > 0 && (
        <ul class="cards" aria-label="Waiting applications">
          {apps.map((a) => (
            <li key={a.id}>
              <ApplicationCard app={a} onDecided={decided} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ApplicationCard(props: {
  app: ApplicationView;
  onDecided: (app: ApplicationView, what: 'approved' | 'rejected') => void;
}) {
  const { app } = props;
  const [confirm, setConfirm] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const key = app.id;

  async function approve(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!confirm) {
      setError(
        new ApiError(400, 'invalid', 'tick the box to confirm this person is 18 or over', `confirm_adult-${key}`),
      );
      return;
    }
    setBusy('approve');
    setError(null);
    try {
      await api('POST', `/api/admin/applications/${app.id}/approve`, { confirm_adult: true });
      props.onDecided(app, 'approved');
    } catch (err) {
      const apiError = asApiError(err);
      setError(
        apiError.field === 'confirm_adult'
          ? new ApiError(apiError.status, apiError.code, apiError.message, `confirm_adult-${key}`)
          : apiError,
      );
    } finally {
      setBusy(null);
    }
  }

  async function reject(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!reason.trim()) {
      setError(
        new ApiError(400, 'invalid', 'give a reason: the applicant sees it when they try to sign in', `reason-${key}`),
      );
      return;
    }
    setBusy('reject');
    setError(null);
    try {
      await api('POST', `/api/admin/applications/${app.id}/reject`, { reason: reason.trim() });
      props.onDecided(app, 'rejected');
    } catch (err) {
      const apiError = asApiError(err);
      setError(
        apiError.field === 'reason'
          ? new ApiError(apiError.status, apiError.code, apiError.message, `reason-${key}`)
          : apiError,
      );
    } finally {
      setBusy(null);
    }
  }

  return (
    <article class="card" aria-labelledby={`app-${key}`} data-testid="application">
      <h2 id={`app-${key}`} class="card__title">
        {app.handle}
      </h2>
      <p class="meta">
        Applied <When iso={app.created_at} />
        {app.invited && <span class="tag">Invited</span>}
      </p>
      <h3 class="small-heading">Their statement</h3>
      {app.statement ? (
        <blockquote class="statement">{app.statement}</blockquote>
      ) : (
        <p class="placeholder">No statement (they came with an invite).</p>
      )}
      {app.email_in_use && (
        <p class="notice" data-testid="email-in-use">
          This email is already in use, by a member or by another waiting application, so this
          application cannot be approved as it is. The applicant was not told. If you reject it,
          say they may apply again with an address of their own.
        </p>
      )}
      <ErrorSummary error={error} />
      <div class="decisions">
        <form onSubmit={approve} noValidate class="decision">
          <h3 class="small-heading">Approve</h3>
          <Checkbox
            name={`confirm_adult-${key}`}
            label="I confirm this person is 18 or over"
            checked={confirm}
            onChecked={setConfirm}
            error={errorFor(error, `confirm_adult-${key}`)}
          />
          <SubmitButton busy={busy === 'approve'} busyText="Approving…">
            Approve {app.handle}
          </SubmitButton>
        </form>
        <form onSubmit={reject} noValidate class="decision">
          <h3 class="small-heading">Reject</h3>
          <TextArea
            name={`reason-${key}`}
            label="Reason for rejecting"
            hint="The applicant sees this when they try to sign in."
            rows={2}
            value={reason}
            onValue={setReason}
            error={errorFor(error, `reason-${key}`)}
          />
          <SubmitButton busy={busy === 'reject'} kind="secondary" busyText="Rejecting…">
            Reject {app.handle}
          </SubmitButton>
        </form>
      </div>
    </article>
  );
}
