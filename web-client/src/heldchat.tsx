// Held chat messages, moderated where they happen (issue 12, item 6). A new member's chat
// message that the rules hold is shown to the staff in the room inline, marked held, with
// Approve and Reject (a reason the author sees), and listed in the moderators' queue with its
// room and author. Both places decide through /api/mod/messages/{id}/approve and /reject, and
// both hear of a decision made elsewhere (`held_message_decided`) so nobody decides twice.
// Members never receive a held message: the server sends it only on staff topics
// (`roomheld:<room>`, `modqueue`).

import { useState } from 'preact/hooks';

import { api, ApiError, waited, type RuleHit } from './api';
import { ErrorSummary, Link, SubmitButton, TextArea, asApiError, errorFor, When } from './components';
import { SafeHtml } from './forum';
import { useTopic } from './socket';

/** A held chat message as staff see it (the queue's `held_messages`, and the live events). */
export interface HeldMessage {
  id: string;
  room: { id: string; name: string };
  author: string | null;
  status: string;
  /** Sanitised by the server. */
  body_html: string;
  body: string;
  created_at: string;
  /** Only in the queue's answer. */
  waited_seconds?: number;
  /** The names of the rules that held it. */
  reasons: string[];
  rules: RuleHit[];
  concern: boolean;
}

/** What became of a decision: made here, or already made by someone else. */
export type Decided = 'published' | 'rejected' | 'already';

/**
 * Approve and Reject for one held message. Reject asks for the reason first (the author sees
 * it, signed by the moderators). A 409 means another moderator decided it first.
 */
export function HeldDecision(props: { id: string; author: string | null; onDecided: (d: Decided) => void }) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const who = props.author ?? 'a former member';
  const key = `held-${props.id}`;

  async function decide(approve: boolean) {
    if (busy) return;
    if (!approve && !reason.trim()) {
      setError(new ApiError(400, 'invalid', 'write a reason: the author sees it', `reason-${key}`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (approve) await api('POST', `/api/mod/messages/${props.id}/approve`, {});
      else await api('POST', `/api/mod/messages/${props.id}/reject`, { reason: reason.trim() });
      props.onDecided(approve ? 'published' : 'rejected');
    } catch (e) {
      const a = asApiError(e);
      if (a.status === 409) {
        props.onDecided('already');
        return;
      }
      setError(a.field ? new ApiError(a.status, a.code, a.message, `${a.field}-${key}`) : a);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="held-decision" data-testid="held-decision">
      <ErrorSummary error={error && !error.field ? error : null} />
      <div class="actions actions--tight">
        <button type="button" class="button button--primary button--small" onClick={() => void decide(true)} aria-disabled={busy ? 'true' : undefined}>
          Approve<span class="visually-hidden"> the message by {who}</span>
        </button>
        <button type="button" class="button button--secondary button--small" aria-expanded={rejecting} onClick={() => setRejecting(!rejecting)}>
          Reject<span class="visually-hidden"> the message by {who}</span>
        </button>
      </div>
      {rejecting && (
        <form
          class="decision"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void decide(false);
          }}
        >
          <TextArea
            name={`reason-${key}`}
            label={`Why (${who} sees this, from the moderators)`}
            rows={2}
            maxLength={1000}
            value={reason}
            onValue={setReason}
            error={errorFor(error, `reason-${key}`)}
          />
          <SubmitButton busy={busy} kind="danger">
            Reject the message
          </SubmitButton>
        </form>
      )}
    </div>
  );
}

/** Why a held message waits, in the moderator's words: the rules that held it. */
export function HeldReasons(props: { reasons: string[] | null | undefined }) {
  const reasons = props.reasons ?? [];
  if (reasons.length === 0) return null;
  return (
    <p class="meta held-reasons" data-testid="held-reasons">
      Held by the rules: {reasons.join(', ')}
    </p>
  );
}

/**
 * The queue's list of held chat messages, kept live: new ones arrive on `modqueue`
 * (`held_message_added`) and ones decided anywhere leave (`held_message_decided`).
 */
export function HeldChatQueue(props: { messages: HeldMessage[]; fetchedAt: number; onAnnounce: (words: string) => void }) {
  const [added, setAdded] = useState<HeldMessage[]>([]);
  const [gone, setGone] = useState<Set<string>>(new Set());

  useTopic('modqueue', (e) => {
    if (e.kind === 'held_message_added') {
      const m = e.message as HeldMessage | undefined;
      if (m) setAdded((list) => [...list.filter((x) => x.id !== m.id), m]);
    } else if (e.kind === 'held_message_decided') {
      const id = String(e.message_id ?? '');
      setGone((s) => new Set(s).add(id));
    }
  });

  const seen = new Set(props.messages.map((m) => m.id));
  const list = [...props.messages, ...added.filter((m) => !seen.has(m.id))].filter((m) => !gone.has(m.id));
  const elapsed = Math.floor((Date.now() - props.fetchedAt) / 1000);

  function decided(m: HeldMessage, d: Decided) {
    setGone((s) => new Set(s).add(m.id));
    const who = m.author ?? 'a former member';
    props.onAnnounce(
      d === 'already'
        ? `Another moderator already decided the message by ${who}.`
        : `The message by ${who} in ${m.room.name} was ${d === 'published' ? 'approved: the room sees it now' : 'rejected: they are told why'}.`,
    );
  }

  return (
    <section class="section" aria-labelledby="held-chat-heading" data-testid="held-chat">
      <h2 id="held-chat-heading">Held chat messages</h2>
      {list.length === 0 ? (
        <p class="placeholder" data-testid="held-chat-empty">
          No chat messages are waiting.
        </p>
      ) : (
        <>
          <p class="hint">Only moderators and each message's author can see these until one is approved.</p>
          <ul class="cards">
            {list.map((m) => (
              <li key={m.id}>
                <article class="card queue-item" aria-labelledby={`hc-${m.id}`} data-testid="held-chat-item">
                  <h3 id={`hc-${m.id}`} class="card__title">
                    {m.author ?? 'A former member'}
                    <span class="queue-item__where">
                      {' in '}
                      <Link href={`/rooms/${m.room.id}`}>{m.room.name || 'a room'}</Link>
                    </span>
                  </h3>
                  <p class="meta">
                    <When iso={m.created_at} />
                    {m.waited_seconds !== undefined && <> · waiting {waited(m.waited_seconds + elapsed)}</>}
                    {m.concern && <span class="badge badge--concern">Safeguarding concern</span>}
                  </p>
                  <SafeHtml html={m.body_html} class="chat__body" />
                  <HeldReasons reasons={m.reasons} />
                  <HeldDecision id={m.id} author={m.author} onDecided={(d) => decided(m, d)} />
                </article>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
