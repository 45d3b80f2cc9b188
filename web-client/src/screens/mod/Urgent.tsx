// The urgent lane, at the top of the moderators' queue: posts, chat messages and check-in
// answers in which the rules saw that someone may be at risk now. Each shows the text, who and
// where, and how long is left before its deadline, with the actions that fit: reach out (a
// private check-in with the member), resolved, escalate to the safeguarding leads. The list
// follows the `modqueue` topic live.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, type ApiError } from '../../api';
import { ErrorSummary, Link, LiveNotice, SubmitButton, TextArea, asApiError, errorFor, When } from '../../components';
import { SafeHtml } from '../../forum';
import { useTopic } from '../../socket';

/** A crisis as `GET /api/mod/queue` lists it under `urgent`. */
export interface Crisis {
  id: string;
  state: 'open' | 'reaching_out' | 'resolved' | 'escalated';
  source: string;
  member: string | null;
  member_id: string | null;
  rules: string;
  text_html: string | null;
  post_id: string | null;
  thread_id: string | null;
  thread_title: string | null;
  room_id: string | null;
  checkin_id: string | null;
  created_at: string;
  due_at: string;
  overdue: boolean;
  handled_at: string | null;
  handled_by: string | null;
  outcome_note: string | null;
}

const WHERE: Record<string, string> = {
  post: 'in a post',
  message: 'in chat',
  report_note: 'in a note on a report',
  concern_note: 'in a note on a safeguarding concern',
  checkin: 'in a check-in answer',
};

const STATE: Record<Crisis['state'], string> = {
  open: 'Waiting for someone',
  reaching_out: 'Someone is reaching out',
  resolved: 'Resolved',
  escalated: 'Escalated to safeguarding',
};

function left(due: string): string {
  const ms = new Date(due).getTime() - Date.now();
  const m = Math.round(Math.abs(ms) / 60_000);
  if (ms >= 0) return m <= 1 ? 'due within a minute' : `due in ${m} minutes`;
  return m <= 1 ? 'overdue' : `overdue by ${m} minutes`;
}

/** The urgent lane. */
export function UrgentLane() {
  const [list, setList] = useState<Crisis[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [announce, setAnnounce] = useState('');
  const [, setTick] = useState(0);
  const timer = useRef<number | undefined>(undefined);

  async function load() {
    try {
      const b = await api<{ urgent: Crisis[] }>('GET', '/api/mod/queue');
      setList(b.urgent ?? []);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  useEffect(() => {
    void load();
    const t = window.setInterval(() => setTick((n) => n + 1), 15_000);
    return () => {
      window.clearInterval(t);
      window.clearTimeout(timer.current);
    };
  }, []);

  useTopic(
    'modqueue',
    (e) => {
      if (e.kind === 'crisis_raised') setAnnounce('Someone may need help now: a new item is in the urgent lane.');
      if (e.kind === 'crisis_raised' || e.kind === 'crisis_updated' || e.kind === 'crisis_overdue') {
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(() => void load(), 100);
      }
    },
    () => void load(),
  );

  const open = (list ?? []).filter((c) => c.state === 'open' || c.state === 'reaching_out');
  const done = (list ?? []).filter((c) => c.state === 'resolved' || c.state === 'escalated');
  return (
    <section class="urgent" aria-labelledby="urgent-heading" data-testid="urgent-lane" id="urgent">
      <h2 id="urgent-heading" class="urgent__title">
        Urgent: someone may be at risk now {list && <span class="badge">{open.length}</span>}
      </h2>
      <ErrorSummary error={error} />
      <LiveNotice message={announce} />
      {list && open.length === 0 && <p class="meta">Nothing urgent right now.</p>}
      <ol class="urgent__list">
        {open.map((c) => (
          <UrgentItem key={c.id} crisis={c} onDone={(words) => { setAnnounce(words); void load(); }} />
        ))}
      </ol>
      {done.length > 0 && (
        <details class="urgent__done">
          <summary>Handled in the last day ({done.length})</summary>
          <ul>
            {done.map((c) => (
              <li key={c.id}>
                {c.member ?? 'A former member'}, {WHERE[c.source] ?? c.source}: {STATE[c.state]}
                {c.handled_by ? ` by ${c.handled_by}` : ''} {c.handled_at ? <When iso={c.handled_at} /> : ''}
                {c.outcome_note ? `: ${c.outcome_note}` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function UrgentItem(props: { crisis: Crisis; onDone: (words: string) => void }) {
  const c = props.crisis;
  const [mode, setMode] = useState<'none' | 'reach' | 'resolve' | 'escalate'>('none');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const who = c.member ?? 'A former member';

  async function act(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      if (mode === 'reach') {
        await api('POST', `/api/mod/crises/${c.id}/reach-out`, { message: text });
        props.onDone(`A check-in is open with ${who}.`);
      } else if (mode === 'resolve') {
        await api('POST', `/api/mod/crises/${c.id}/resolve`, { note: text || undefined });
        props.onDone(`Marked resolved.`);
      } else if (mode === 'escalate') {
        await api('POST', `/api/mod/crises/${c.id}/escalate`, { note: text || undefined });
        props.onDone(`Escalated to the safeguarding leads.`);
      }
      setMode('none');
      setText('');
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class={`urgent-item${c.overdue ? ' urgent-item--overdue' : ''}`} data-testid="urgent-item" data-state={c.state}>
      <p class="urgent-item__meta">
        <strong>{who}</strong>, {WHERE[c.source] ?? c.source}
        {c.thread_id && c.thread_title && (
          <>
            {' '}
            in <Link href={`/threads/${c.thread_id}`}>{c.thread_title}</Link>
          </>
        )}
        {c.room_id && (
          <>
            {' '}
            in <Link href={`/rooms/${c.room_id}`}>the chat room</Link>
          </>
        )}
        . <span class={c.overdue ? 'urgent-item__due urgent-item__due--overdue' : 'urgent-item__due'}>{left(c.due_at)}</span>
        {' · '}
        {STATE[c.state]}
        {c.handled_by && c.state === 'reaching_out' ? ` (${c.handled_by})` : ''}
      </p>
      {c.text_html ? <SafeHtml html={c.text_html} class="urgent-item__text post__body" /> : <p class="meta">The text has since been deleted.</p>}
      <p class="meta">Rules: {c.rules}</p>
      <div class="urgent-item__actions">
        {c.member_id && (
          <button type="button" class="button button--primary" onClick={() => setMode('reach')}>
            {c.checkin_id ? 'Write in the check-in' : "I'm reaching out"}
          </button>
        )}
        {c.checkin_id && (
          <Link href={`/checkins/${c.checkin_id}`} class="button button--secondary">
            Open the check-in
          </Link>
        )}
        <button type="button" class="button button--secondary" onClick={() => setMode('resolve')}>
          Resolved
        </button>
        <button type="button" class="button button--secondary" onClick={() => setMode('escalate')}>
          Escalate to safeguarding
        </button>
      </div>
      {mode !== 'none' && (
        <form class="urgent-item__form" onSubmit={act} noValidate>
          <ErrorSummary error={error} />
          <TextArea
            name={`crisis-${c.id}-text`}
            label={
              mode === 'reach'
                ? `Your message to ${who} (they see it signed "the moderators")`
                : mode === 'resolve'
                  ? 'A note for other staff (optional)'
                  : 'What the safeguarding leads should know (optional)'
            }
            hint={mode === 'reach' ? 'Only staff can start a check-in. They can answer you, and only moderators can read it.' : undefined}
            error={errorFor(error, mode === 'reach' ? 'body' : 'note')}
            value={text}
            onValue={setText}
            rows={3}
          />
          <SubmitButton busy={busy}>{mode === 'reach' ? 'Send the check-in' : mode === 'resolve' ? 'Mark resolved' : 'Escalate'}</SubmitButton>{' '}
          <button type="button" class="link-button" onClick={() => setMode('none')}>
            Cancel
          </button>
        </form>
      )}
    </li>
  );
}
