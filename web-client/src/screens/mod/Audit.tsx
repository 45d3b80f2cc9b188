// The audit log: every moderator and admin action, newest first, older pages on request.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type AuditView } from '../../api';
import { ErrorSummary, Loading, PageHeading, asApiError, When } from '../../components';
import { auditSentence } from '../../words';

interface Page {
  entries: AuditView[];
  next_before: string | null;
}

const PAGE = 50;

/** `/mod/audit`. */
export function Audit() {
  const [entries, setEntries] = useState<AuditView[] | null>(null);
  const [before, setBefore] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function load(cursor: string | null) {
    setBusy(true);
    try {
      const q = cursor ? `&before=${encodeURIComponent(cursor)}` : '';
      const b = await api<Page>('GET', `/api/mod/audit?limit=${PAGE}${q}`);
      setEntries((e) => (cursor ? [...(e ?? []), ...b.entries] : b.entries));
      setBefore(b.next_before);
      setMore(b.entries.length >= PAGE);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    void load(null);
  }, []);

  return (
    <>
      <PageHeading>Audit log</PageHeading>
      <p class="lead">Every action taken by moderators and admins, newest first.</p>
      <ErrorSummary error={error} />
      {!entries && !error && <Loading what="the audit log" />}
      {entries && entries.length === 0 && <p class="placeholder">Nothing has been recorded yet.</p>}
      {entries && entries.length > 0 && (
        <ol class="audit" aria-label="Audit entries">
          {entries.map((e) => {
            const { text, reason } = auditSentence(e);
            return (
            <li key={e.id} class="audit__entry" data-testid="audit-entry" data-action={e.action}>
              <p class="audit__line">{text}</p>
              <p class="meta">
                <When iso={e.at} />
                {/* Ids are UUIDv7: their start is a timestamp, their end tells them apart. */}
                {e.target_id && (
                  <span class="mono" title={e.target_id}>
                    {' '}
                    · …{e.target_id.slice(-8)}
                  </span>
                )}
              </p>
              {reason && <p class="audit__reason">Reason: {reason}</p>}
            </li>
            );
          })}
        </ol>
      )}
      {more && before && (
        <p>
          <button type="button" class="button button--secondary" onClick={() => void load(before)} aria-disabled={busy ? 'true' : undefined}>
            {busy ? 'Loading…' : 'Show older entries'}
          </button>
        </p>
      )}
    </>
  );
}
