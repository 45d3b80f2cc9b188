// Check-ins: private conversations between one member and the moderators. Only staff can start
// one (from the urgent lane); the member reads it here and can answer while it is open.
// Members see staff messages signed "the moderators"; staff see who wrote what. A member who
// writes something the rules see as a crisis gets support at once, and the moderators are told.

import { useEffect, useState } from 'preact/hooks';

import { api, type ApiError, type Moderation } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, SubmitButton, TextArea, asApiError, errorFor, When } from '../components';
import { SafeHtml, Signposts } from '../forum';
import { hasRole, useSession } from '../session';
import { useTopic } from '../socket';

interface CheckinItem {
  id: string;
  member: string | null;
  state: 'open' | 'closed';
  created_at: string;
  last_at: string;
}

interface CheckinMessage {
  id: string;
  from_staff: boolean;
  author: string;
  body_html: string;
  created_at: string;
}

interface CheckinAnswer {
  checkin: CheckinItem;
  messages: CheckinMessage[];
}

/** `/checkins`: the member's check-ins (every one, for staff). */
export function Checkins() {
  const { member } = useSession();
  const staff = hasRole(member, 'moderator');
  const [list, setList] = useState<CheckinItem[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api<{ checkins: CheckinItem[] }>('GET', '/api/checkins')
      .then((b) => setList(b.checkins))
      .catch((e) => setError(asApiError(e)));
  }, []);
  return (
    <>
      <PageHeading>Check-ins</PageHeading>
      <p class="lead">
        {staff
          ? 'Private conversations the moderators have opened with members. Only staff can start one.'
          : 'Private messages from the moderators to you. Only you and the moderators can read them.'}
      </p>
      <ErrorSummary error={error} />
      {!list && !error && <Loading what="check-ins" />}
      {list && list.length === 0 && <p>There are no check-ins.</p>}
      {list && list.length > 0 && (
        <ul class="checkin-list" data-testid="checkin-list">
          {list.map((c) => (
            <li key={c.id}>
              <Link href={`/checkins/${c.id}`}>
                {staff ? `With ${c.member ?? 'a former member'}` : 'From the moderators'}
              </Link>{' '}
              <span class="meta">
                {c.state === 'open' ? 'open' : 'closed'} · last message <When iso={c.last_at} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** `/checkins/:id`: one check-in, and the answer box while it is open. */
export function CheckinScreen(props: { id: string }) {
  const { member } = useSession();
  const staff = hasRole(member, 'moderator');
  const [view, setView] = useState<CheckinAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [sendError, setSendError] = useState<ApiError | null>(null);
  const [support, setSupport] = useState<Moderation | null>(null);

  async function load() {
    try {
      setView(await api<CheckinAnswer>('GET', `/api/checkins/${props.id}`));
    } catch (e) {
      setError(asApiError(e));
    }
  }
  useEffect(() => {
    void load();
  }, [props.id]);

  // Staff follow the queue topic; a member hears of new messages through notifications.
  useTopic(staff ? 'modqueue' : null, (e) => {
    if (e.kind === 'checkin_updated' && e.checkin_id === props.id) void load();
  });
  useTopic(member ? `member:${member.id}` : null, (e) => {
    const n = e.notification as { kind?: string } | undefined;
    if (e.kind === 'notification' && n?.kind === 'checkin') void load();
  });

  async function send(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setSendError(null);
    try {
      const b = await api<{ moderation: Moderation }>('POST', `/api/checkins/${props.id}/messages`, { body: text });
      const m = b.moderation;
      setSupport(m.signpost.length > 0 ? m : null);
      setText('');
      await load();
    } catch (err) {
      setSendError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  async function close() {
    try {
      await api('POST', `/api/mod/checkins/${props.id}/close`);
      await load();
    } catch (err) {
      setSendError(asApiError(err));
    }
  }

  if (error) return <ErrorSummary error={error} />;
  if (!view) return <Loading what="the check-in" />;
  const c = view.checkin;
  return (
    <>
      <PageHeading>{staff ? `Check-in with ${c.member ?? 'a former member'}` : 'A check-in from the moderators'}</PageHeading>
      <p class="lead">
        {staff
          ? 'Only staff can read this besides the member. Your reads are recorded in the audit log.'
          : 'Only you and the moderators can read this. You do not have to answer; if you want to, they will read it.'}
      </p>
      <ol class="checkin" data-testid="checkin-messages">
        {view.messages.map((m) => (
          <li key={m.id} class={`checkin__message${m.from_staff ? ' checkin__message--staff' : ''}`} data-testid="checkin-message">
            <p class="chat__meta">
              <span class="chat__author">{m.author}</span>{' '}
              <When iso={m.created_at} class="meta" />
            </p>
            <SafeHtml html={m.body_html} class="checkin__body post__body" />
          </li>
        ))}
      </ol>
      {support && (
        <div data-testid="checkin-support">
          {support.reasons.map((r, i) => (
            <p key={i}>{r}</p>
          ))}
          <Signposts signposts={support.signpost} />
        </div>
      )}
      {c.state === 'open' ? (
        <form class="checkin-form" onSubmit={send} noValidate>
          <ErrorSummary error={sendError} />
          <TextArea
            name="checkin-body"
            label={staff ? 'Your message (signed "the moderators")' : 'Your answer'}
            error={errorFor(sendError, 'body')}
            value={text}
            onValue={setText}
            rows={4}
            maxLength={4000}
          />
          <SubmitButton busy={busy}>Send</SubmitButton>
          {staff && (
            <>
              {' '}
              <button type="button" class="button button--secondary" onClick={() => void close()}>
                Close the check-in
              </button>
            </>
          )}
        </form>
      ) : (
        <p class="meta">This check-in has been closed. If you need the moderators, you can post in the group or report a post.</p>
      )}
    </>
  );
}
