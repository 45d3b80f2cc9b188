// Safeguarding concerns, for the group's safeguarding leads only (the server refuses everyone
// else, moderators and admins included, and records every look in the audit log): the open
// ones first by deadline, each marked when it is overdue; then the decided ones with the record
// of what was decided, by whom, when and why. A concern opens on its own screen, with the post
// it is about and the form to record a decision (the one action the server has for a concern).

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, formatDate } from '../api';
import { ErrorSummary, Link, Loading, Notice, PageHeading, SubmitButton, TextArea, TextField, asApiError, errorFor } from '../components';
import { navigate } from '../router';

/** A concern as `GET /api/safeguarding/concerns` lists it. */
interface Concern {
  id: string;
  post_id: string | null;
  post_body: string | null;
  thread_id: string | null;
  post_author: string | null;
  message_id: string | null;
  source: string;
  category: string;
  note: string | null;
  state: 'open' | 'decided' | string;
  created_at: string;
  due_at: string;
  overdue: boolean;
  decided_at: string | null;
  decided_by: string | null;
  decision: string | null;
  referral_to: string | null;
  decision_reason: string | null;
}

const CATEGORY: Record<string, string> = {
  child_at_risk: 'A child may be at risk',
  intent_to_harm: 'Someone may intend to harm',
  suicide_risk: 'Someone may be at risk of suicide',
  other: 'Something else',
};

const SOURCE: Record<string, string> = {
  member: 'Raised by a member',
  moderator: 'Raised by a moderator',
  rules: 'Raised by the group’s rules',
};

const DECISION: Record<string, string> = {
  no_action: 'No action needed',
  support_offered: 'Support offered',
  referral_made: 'Referral made',
};

/** The concerns, or the refusal (a 403 for anyone who is not a lead). */
function useConcerns(): { concerns: Concern[] | null; error: ApiError | null; reload: () => void } {
  const [concerns, setConcerns] = useState<Concern[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const reload = () =>
    void api<{ concerns: Concern[] }>('GET', '/api/safeguarding/concerns')
      .then((b) => {
        setConcerns(b.concerns);
        setError(null);
      })
      .catch((e) => setError(asApiError(e)));
  useEffect(reload, []);
  return { concerns, error, reload };
}

/** Not a lead: the server said no. */
function LeadsOnly() {
  return (
    <>
      <PageHeading>Safeguarding concerns</PageHeading>
      <p>Only the group’s safeguarding leads can see safeguarding concerns. If you are worried someone is in danger now, call 999.</p>
    </>
  );
}

/** When it is due, and whether it is late. */
function Deadline(props: { c: Concern }) {
  const { c } = props;
  if (c.state !== 'open') return null;
  return (
    <>
      {c.overdue ? (
        <span class="tag tag--first tag--overdue" data-testid="overdue">
          Overdue
        </span>
      ) : (
        <span class="tag tag--first">Open</span>
      )}{' '}
      <span>
        {c.overdue ? 'A response was due ' : 'Respond by '}
        <time dateTime={c.due_at}>{formatDate(c.due_at)}</time>
      </span>
    </>
  );
}

/** `/safeguarding`. */
export function Safeguarding() {
  const { concerns, error } = useConcerns();
  if (error?.status === 403) return <LeadsOnly />;
  const open = concerns?.filter((c) => c.state === 'open') ?? [];
  const decided = concerns?.filter((c) => c.state !== 'open') ?? [];
  const overdue = open.filter((c) => c.overdue).length;
  return (
    <>
      <PageHeading>Safeguarding concerns</PageHeading>
      <p class="lead">
        Concerns that a child may be at risk, or that someone may harm others or themselves. Open ones come first, the
        soonest due at the top. Each time this list is opened it is noted in the audit log.
      </p>
      <ErrorSummary error={error} />
      {!concerns && !error && <Loading what="the concerns" />}
      {concerns && (
        <>
          <section class="section" aria-labelledby="open-concerns">
            <h2 id="open-concerns">
              Waiting for a decision ({open.length}
              {overdue > 0 ? `, ${overdue} overdue` : ''})
            </h2>
            {open.length === 0 ? <p class="placeholder">No concern is waiting. Thank you.</p> : <ConcernList list={open} />}
          </section>
          <section class="section" aria-labelledby="decided-concerns">
            <h2 id="decided-concerns">Decided</h2>
            {decided.length === 0 ? <p class="placeholder">Nothing has been decided yet.</p> : <ConcernList list={decided} />}
          </section>
        </>
      )}
    </>
  );
}

function ConcernList(props: { list: Concern[] }) {
  return (
    <ul class="cards" aria-label="Concerns">
      {props.list.map((c) => (
        <li key={c.id}>
          <article class={`card${c.overdue ? ' card--overdue' : ''}`} aria-labelledby={`concern-${c.id}`} data-testid="concern" data-state={c.state}>
            <h3 id={`concern-${c.id}`} class="card__title">
              <Link href={`/safeguarding/${c.id}`}>{CATEGORY[c.category] ?? c.category}</Link>
            </h3>
            <p class="meta">
              {SOURCE[c.source] ?? c.source} · <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
            </p>
            <p>
              {c.state === 'open' ? (
                <Deadline c={c} />
              ) : (
                <>
                  <span class="tag tag--first">{DECISION[c.decision ?? ''] ?? 'Decided'}</span> {c.decided_by ? `by ${c.decided_by}` : ''}
                  {c.decided_at && (
                    <>
                      {' '}
                      on <time dateTime={c.decided_at}>{formatDate(c.decided_at)}</time>
                    </>
                  )}
                </>
              )}
            </p>
          </article>
        </li>
      ))}
    </ul>
  );
}

/** `/safeguarding/:id`. */
export function ConcernScreen(props: { id: string }) {
  const { concerns, error, reload } = useConcerns();
  const [done, setDone] = useState('');
  if (error?.status === 403) return <LeadsOnly />;
  const c = concerns?.find((x) => x.id === props.id);
  if (concerns && !c) {
    return (
      <>
        <PageHeading>Concern not found</PageHeading>
        <p>
          There is no such concern (decided concerns are kept for a limited time). <Link href="/safeguarding">See all concerns</Link>.
        </p>
      </>
    );
  }
  return (
    <>
      <p class="breadcrumb">
        <Link href="/safeguarding">Safeguarding concerns</Link>
      </p>
      <PageHeading>{c ? CATEGORY[c.category] ?? c.category : 'Safeguarding concern'}</PageHeading>
      <ErrorSummary error={error} />
      {!c && !error && <Loading what="the concern" />}
      {done && (
        <Notice kind="success" title="Decision recorded" focus>
          <p>{done}</p>
        </Notice>
      )}
      {c && (
        <>
          <dl class="summary-list" data-testid="concern-detail">
            <div>
              <dt>State</dt>
              <dd>{c.state === 'open' ? <Deadline c={c} /> : 'Decided'}</dd>
            </div>
            <div>
              <dt>Raised</dt>
              <dd>
                {SOURCE[c.source] ?? c.source}, <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
              </dd>
            </div>
            {c.note && (
              <div>
                <dt>Their note</dt>
                <dd class="prewrap">{c.note}</dd>
              </div>
            )}
            {c.post_id && (
              <div>
                <dt>The post</dt>
                <dd>
                  {c.post_body !== null ? <blockquote class="concern__post">{c.post_body}</blockquote> : <p>The post is no longer kept.</p>}
                  <p class="meta">
                    Written by {c.post_author ?? 'a former member'}
                    {c.thread_id && (
                      <>
                        {' '}
                        · <Link href={`/threads/${c.thread_id}#p-${c.post_id}`}>Open it in its thread</Link>
                      </>
                    )}
                  </p>
                </dd>
              </div>
            )}
            {c.message_id && !c.post_id && (
              <div>
                <dt>About</dt>
                <dd>A chat message</dd>
              </div>
            )}
          </dl>
          <section class="section" aria-labelledby="record-heading">
            <h2 id="record-heading">What was done</h2>
            <ol class="audit" aria-label="Record of actions">
              <li class="audit__entry">
                <p class="audit__line">{SOURCE[c.source] ?? 'Raised'}.</p>
                <p class="meta">
                  <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
                </p>
              </li>
              {c.decided_at && (
                <li class="audit__entry" data-testid="concern-decision">
                  <p class="audit__line">
                    {c.decided_by ?? 'A former lead'} decided: {DECISION[c.decision ?? ''] ?? c.decision}
                    {c.referral_to ? ` (to ${c.referral_to})` : ''}.
                  </p>
                  <p class="meta">
                    <time dateTime={c.decided_at}>{formatDate(c.decided_at)}</time>
                  </p>
                  {c.decision_reason && <p class="audit__reason prewrap">Why: {c.decision_reason}</p>}
                </li>
              )}
            </ol>
          </section>
          {c.state === 'open' && (
            <DecisionForm
              id={c.id}
              onDecided={(what) => {
                setDone(what);
                reload();
              }}
            />
          )}
          <p>
            <button type="button" class="button button--secondary" onClick={() => navigate('/safeguarding')}>
              Back to all concerns
            </button>
          </p>
        </>
      )}
    </>
  );
}

/** Recording what was decided: no action, support offered, or a referral (to whom), and why. */
function DecisionForm(props: { id: string; onDecided: (what: string) => void }) {
  const [decision, setDecision] = useState('');
  const [referral, setReferral] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!decision) {
      setError(new ApiError(400, 'invalid', 'choose what was decided', 'decision'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/safeguarding/concerns/${props.id}/decision`, {
        decision,
        reason: reason.trim(),
        ...(decision === 'referral_made' ? { referral_to: referral.trim() } : {}),
      });
      props.onDecided(`${DECISION[decision]}. The record below shows it.`);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  const decisionError = errorFor(error, 'decision');
  return (
    <form onSubmit={submit} noValidate class="form section" aria-labelledby="decide-heading">
      <h2 id="decide-heading">Record a decision</h2>
      <ErrorSummary error={error} />
      <fieldset class={`field${decisionError ? ' field--error' : ''}`} id="field-decision">
        <legend>What was decided</legend>
        {decisionError && (
          <p class="field-error">
            <span class="visually-hidden">Error: </span>
            {decisionError}
          </p>
        )}
        {Object.entries(DECISION).map(([value, label]) => (
          <div class="radio-row" key={value}>
            <input type="radio" id={`decision-${value}`} name="decision" value={value} checked={decision === value} onChange={() => setDecision(value)} />
            <label for={`decision-${value}`}>{label}</label>
          </div>
        ))}
      </fieldset>
      {decision === 'referral_made' && (
        <TextField name="referral_to" label="Who the referral was made to" maxLength={200} value={referral} onValue={setReferral} error={errorFor(error, 'referral_to')} />
      )}
      <TextArea
        name="reason"
        label="Why"
        hint="Kept with the concern for the other leads. At most 2000 characters."
        rows={4}
        maxLength={2000}
        value={reason}
        onValue={setReason}
        error={errorFor(error, 'reason')}
      />
      <SubmitButton busy={busy} busyText="Recording…">
        Record decision
      </SubmitButton>
    </form>
  );
}
