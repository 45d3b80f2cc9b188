// Reporting a chat message, and the moderators' side of it.
//
// A member reports a message they can see (someone else's, published) with one of the fixed
// reasons (POST /api/messages/{id}/reports); the author is never told who. The moderators'
// queue lists reported messages with their text, room and the reasons given, and a moderator
// removes the message (its author is told, with the reason) or leaves it up
// (POST /api/mod/messages/{id}/report-decision).

import { useState } from 'preact/hooks';

import { api, ApiError } from './api';
import { ErrorSummary, SubmitButton, TextArea, When, asApiError, errorFor } from './components';
import { ReportForm } from './report';
import { reportReason } from './words';

/** "Report" under a chat message. */
export function ReportMessage(props: { id: string; author: string | null }) {
  return (
    <ReportForm
      what="message"
      url={`/api/messages/${props.id}/reports`}
      idPrefix={`report-message-${props.id}`}
      author={props.author}
      class="chat__report"
      testId="report-message"
    />
  );
}

/** A reported chat message as the queue lists it. */
export interface ReportedMessage {
  message: { id: string; author: string | null; body: string; created_at: string; status: string };
  room: { id: string; name: string };
  reasons: string[];
  first_reported_at: string;
}

/** The queue's section of reported chat messages. */
export function ReportedChatQueue(props: { messages: ReportedMessage[]; onDecided: (words: string) => void }) {
  if (props.messages.length === 0) return null;
  return (
    <section class="section" aria-labelledby="reported-chat-heading" data-testid="reported-messages">
      <h2 id="reported-chat-heading">Chat messages reported by members</h2>
      <p class="hint">These are in the room now. Remove one (its author is told, with your reason), or leave it up.</p>
      <ul class="cards">
        {props.messages.map((r) => (
          <ReportedCard key={r.message.id} report={r} onDecided={props.onDecided} />
        ))}
      </ul>
    </section>
  );
}

function ReportedCard(props: { report: ReportedMessage; onDecided: (words: string) => void }) {
  const { report } = props;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const id = `decide-message-${report.message.id}`;
  const who = report.message.author ?? 'a former member';

  async function decide(remove: boolean) {
    if (busy) return;
    if (remove && !reason.trim()) {
      setError(new ApiError(400, 'invalid', 'give a reason: the author sees it', `${id}-reason`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/mod/messages/${report.message.id}/report-decision`, remove ? { decision: 'remove', reason: reason.trim() } : { decision: 'keep' });
      props.onDecided(remove ? `The message by ${who} was removed.` : `The message by ${who} stays up.`);
    } catch (e) {
      const a = asApiError(e);
      setError(a.field ? new ApiError(a.status, a.code, a.message, `${id}-${a.field}`) : a);
    } finally {
      setBusy(false);
    }
  }

  const counts = new Map<string, number>();
  for (const r of report.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return (
    <li class="card" data-testid="reported-message">
      <p class="meta">
        In <strong>{report.room.name}</strong>, by <strong>{who}</strong>, <When iso={report.message.created_at} />
      </p>
      <blockquote class="reported-text">
        <p>{report.message.body}</p>
      </blockquote>
      <p>
        Reported as:{' '}
        {[...counts.entries()].map(([code, n], i) => (
          <span key={code}>
            {i > 0 && ', '}
            {reportReason(code)}
            {n > 1 && ` (${n} members)`}
          </span>
        ))}
      </p>
      <ErrorSummary error={error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void decide(true);
        }}
        noValidate
      >
        <TextArea name={`${id}-reason`} label="Reason, if you remove it (the author sees this)" rows={2} value={reason} onValue={setReason} error={errorFor(error, `${id}-reason`)} />
        <div class="actions actions--tight">
          <SubmitButton busy={busy} kind="danger">
            Remove the message
          </SubmitButton>
          <button type="button" class="button button--secondary" onClick={() => void decide(false)} aria-disabled={busy ? 'true' : undefined}>
            Leave it up
          </button>
        </div>
      </form>
    </li>
  );
}
