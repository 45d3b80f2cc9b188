// Chat rooms: the list, and a room with its history (older pages on request), live messages,
// who is here (handles only, refreshed every 15 s and when someone new speaks), and the sender's own messages marked with
// what moderation decided (published, waiting with the reason, or not sent with the reason).
// Messages from members one has muted are collapsed, each with a button to show it.
// Held messages (a new member's, held by the rules) are moderated where they happen: the staff
// in the room see them inline, marked held, with Approve and Reject (see heldchat.tsx); their
// author sees theirs marked as waiting until it is decided, then published, or not with the
// moderator's reason. Members never receive them.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, sentence, uuid, type ChatMessage, type Room } from '../api';
import { ErrorSummary, Link, Loading, PageHeading, asApiError, When } from '../components';
import { useDraft } from '../drafts';
import { SafeHtml, Signposts } from '../forum';
import type { Signpost } from '../api';
import { useMentionCompletion } from '../mentions';
import { ReportMessage } from '../reportedchat';
import { useMutedHandles } from '../mutes';
import { HeldDecision, HeldReasons, type HeldMessage } from '../heldchat';
import { hasRole, useSession } from '../session';
import { onAck, onSocketError, say, useConnection, useTopic } from '../socket';

const PRESENCE_MS = 15_000;

/** `/rooms`. */
export function Rooms() {
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = () =>
    api<{ rooms: Room[] }>('GET', '/api/rooms')
      .then((b) => setRooms(b.rooms))
      .catch((e) => setError(asApiError(e)));
  useEffect(() => {
    void load();
  }, []);
  // A room opening (a moderator arrived) or closing (the last one left) shows at once.
  useTopic(
    'rooms',
    (e) => {
      if (e.kind === 'room_opened' || e.kind === 'room_closed') {
        const open = e.kind === 'room_opened';
        const id = String(e.room_id ?? '');
        setRooms((list) => list?.map((r) => (r.id === id ? { ...r, open, moderator_present: open } : r)) ?? list);
        void load();
      }
    },
    () => void load(),
  );
  return (
    <>
      <PageHeading>Chat rooms</PageHeading>
      <p class="lead">Talk live with other members. The same rules apply as on the boards.</p>
      <ErrorSummary error={error} />
      {!rooms && !error && <Loading what="rooms" />}
      {rooms && rooms.length === 0 && <p class="placeholder">There are no chat rooms yet.</p>}
      {rooms && rooms.length > 0 && (
        <ul class="board-list" data-testid="rooms">
          {rooms.map((r) => (
            <li key={r.id} class="board-list__item">
              <Link href={`/rooms/${r.id}`} class="board-list__link">
                {r.name}
              </Link>
              <span class={`badge${r.open ? ' badge--open' : ''}`}>{r.open ? 'Open' : 'Closed'}</span>
              {r.description && <p class="board-list__description">{r.description}</p>}
              <p class="meta">
                {r.present.length === 0 ? 'Nobody here right now' : `${r.present.length} here now`}
                {!r.open && r.needs_moderator && ' · opens when a moderator is here'}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A message of one's own that is not (yet) in the room's list. */
interface Pending {
  clientId: string;
  body: string;
  status: 'sending' | 'held' | 'rejected';
  reason?: string;
  at: string;
}

/** The text of some sanitised HTML, to match a room event to a message being sent. */
function textOf(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return (doc.body.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** `/rooms/:id`. */
export function RoomScreen(props: { id: string }) {
  const { member } = useSession();
  const [room, setRoom] = useState<Room | null>(null);
  /** Closed while the member was here (the socket said so), rather than closed on arrival. */
  const [closedNow, setClosedNow] = useState(false);
  const [messages, setMessages] = useState<Map<string, ChatMessage>>(new Map());
  const [before, setBefore] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [pending, setPending] = useState<Pending[]>([]);
  const [support, setSupport] = useState<{ reason: string; signpost: Signpost[] } | null>(null);
  const [draft, setDraft, clearDraft] = useDraft<{ body: string }>(`chat:${props.id}`, { body: '' });
  const [sendError, setSendError] = useState('');
  const [busyOlder, setBusyOlder] = useState(false);
  const muted = useMutedHandles();
  const [revealed, setRevealed] = useState<Set<string>>(new Set());
  const connection = useConnection();
  const logRef = useRef<HTMLOListElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  /** Whether the message box is scrolled to the newest (then new ones keep it there). */
  const atNewest = useRef(true);
  /** Whether the room has been opened at its newest message yet. */
  const opened = useRef(false);
  /** Whether the page is scrolled to its end (then it stays there as things change). */
  const pageAtEnd = useRef(true);
  const pendingRef = useRef<Pending[]>([]);
  pendingRef.current = pending;
  const staff = hasRole(member, 'moderator');
  const completion = useMentionCompletion('chat-message', draft.body, (body) => setDraft({ body }));

  function add(list: ChatMessage[]) {
    setMessages((old) => {
      const m = new Map(old);
      for (const msg of list) m.set(msg.id, { ...m.get(msg.id), ...msg });
      return m;
    });
  }

  async function refreshRoom() {
    try {
      const b = await api<{ rooms: Room[] }>('GET', '/api/rooms');
      const r = b.rooms.find((x) => x.id === props.id);
      if (!r) throw new ApiError(404, 'not_found', 'there is no such room');
      setRoom(r);
      if (r.open) setClosedNow(false);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  async function loadHistory() {
    try {
      const b = await api<{ messages: ChatMessage[]; next: string | null }>('GET', `/api/rooms/${props.id}/messages?limit=50`);
      // One's own held messages take over from the copies that were waiting for their answer,
      // keeping what the rules told the author.
      const own = b.messages.filter((m) => m.mine && m.status !== 'published');
      const taken = new Map<string, Pending>();
      for (const m of own) {
        const text = textOf(m.body_html);
        const p = pendingRef.current.find((x) => x.status === 'held' && x.body.replace(/\s+/g, ' ').trim() === text && !taken.has(x.clientId));
        if (p) {
          taken.set(p.clientId, p);
          m.note = p.reason;
        }
      }
      add(b.messages);
      if (taken.size > 0) setPending((list) => list.filter((p) => !taken.has(p.clientId)));
      setBefore((old) => old ?? b.next);
      setLoaded(true);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  useEffect(() => {
    void refreshRoom();
    void loadHistory();
    const timer = window.setInterval(() => void refreshRoom(), PRESENCE_MS);
    return () => window.clearInterval(timer);
  }, [props.id]);

  const live = useTopic(
    `room:${props.id}`,
    (e) => {
      if (e.kind === 'room_opened') {
        // A moderator arrived in a room that is open only while one is here: open at once.
        setRoom((r) => (r ? { ...r, open: true, moderator_present: true } : r));
        setClosedNow(false);
        void refreshRoom();
        return;
      }
      if (e.kind === 'room_closed') {
        // The last moderator left a room that is open only while one is here: closed at once
        // on screen (and the moderator gone from "Here now"), not at the next message sent.
        setRoom((r) => (r ? { ...r, open: false, moderator_present: false } : r));
        setClosedNow(true);
        void refreshRoom();
        return;
      }
      if (e.kind === 'message_withdrawn') {
        const id = String(e.message_id ?? '');
        setMessages((old) => {
          const before = old.get(id);
          if (!before || before.mine) return old;
          const m = new Map(old);
          m.delete(id);
          return m;
        });
        return;
      }
      const msg = e.message as ChatMessage | undefined;
      if (e.kind !== 'message' || !msg) return;
      if (msg.author && msg.author === member?.handle) {
        // Our own message coming back: it replaces the copy waiting for its answer.
        const text = textOf(msg.body_html);
        const match = pendingRef.current.find((p) => p.status === 'sending' && p.body.replace(/\s+/g, ' ').trim() === text);
        if (match) setPending((list) => list.filter((p) => p !== match));
        msg.mine = true;
      }
      // Someone we did not know was here: ask who is present now.
      if (msg.author && room && !room.present.includes(msg.author)) void refreshRoom();
      add([msg]);
    },
    () => void loadHistory(),
  );

  // Staff: the room's held messages, inline (a staff-only topic; members never get them).
  useTopic(
    staff ? `roomheld:${props.id}` : null,
    (e) => {
      if (e.kind === 'message_held') {
        const h = e.message as HeldMessage | undefined;
        if (!h) return;
        add([
          {
            id: h.id,
            room_id: h.room.id,
            author: h.author,
            status: 'held',
            body_html: h.body_html,
            created_at: h.created_at,
            held_reasons: h.reasons,
            mine: !!member && h.author === member.handle,
          },
        ]);
      } else if (e.kind === 'held_message_decided') {
        const id = String(e.message_id ?? '');
        const status = String(e.status ?? '');
        if (status === 'published' || status === 'rejected') {
          setMessages((old) => {
            const m = old.get(id);
            if (!m || m.status === 'published') return old;
            const copy = new Map(old);
            copy.set(id, { ...m, status });
            return copy;
          });
        } else {
          void loadHistory();
        }
      }
    },
    () => void loadHistory(),
  );

  // The author: a decision on one of their held messages in this room (ids and status only;
  // the history carries the moderator's reason).
  useTopic(member ? `member:${member.id}` : null, (e) => {
    if (e.kind === 'chat_message_decided' && e.room_id === props.id) void loadHistory();
  });

  // Presence changes as we arrive: ask again once the subscription is in force.
  useEffect(() => {
    if (live) void refreshRoom();
  }, [live]);

  useEffect(() => {
    const offAck = onAck((ack) => {
      // Crisis support, at once and whatever else happened to the message; it stays on the
      // screen until the member dismisses it.
      if (ack.signpost && ack.signpost.length > 0) {
        setSupport({ reason: ack.status === 'published' ? (ack.reason ?? '') : '', signpost: ack.signpost });
      }
      setPending((list) =>
        list.flatMap((p) => {
          if (p.clientId !== ack.client_id) return [p];
          if (ack.status === 'published') return []; // it is in the room's list (or about to be)
          if (ack.status === 'held') window.setTimeout(() => void loadHistory(), 0); // it is in our history now
          return [{ ...p, status: ack.status, reason: ack.reason }];
        }),
      );
    });
    const offError = onSocketError((e) => {
      if (e.code !== 'rate_limited') return;
      // Refused before it was read: the oldest message still sending is the one.
      setPending((list) => {
        const i = list.findIndex((p) => p.status === 'sending');
        if (i < 0) return list;
        const copy = [...list];
        copy[i] = { ...copy[i], status: 'rejected', reason: e.message };
        return copy;
      });
    });
    return () => {
      offAck();
      offError();
    };
  }, []);

  // The messages scroll in their own box, which stays at the newest unless the person has
  // scrolled up in it to read.
  const sorted = [...messages.values()].sort((a, b) => a.id.localeCompare(b.id));
  const count = sorted.length + pending.length;
  const newest = `${count}|${sorted[sorted.length - 1]?.id ?? ''}|${pending[pending.length - 1]?.clientId ?? ''}`;
  useEffect(() => {
    const box = boxRef.current;
    if (!box || !atNewest.current) return;
    box.scrollTop = box.scrollHeight;
    // And the box's end stays above the message box when the page was at its end.
    if (opened.current && pageAtEnd.current) document.querySelector('.chat-form')?.scrollIntoView({ block: 'end' });
  }, [newest]);
  // Opening the room: the newest message, with the message box under it in view (on a phone
  // too), rather than the top of the page.
  // Once both the messages and the room (whose details sit above them) are on the page; and
  // again when those details grow (who is here), if the page was at its end.
  const roomKnown = room !== null;
  const roomLines = room ? `${room.present.join(',')}|${room.moderator_present}|${room.open}` : '';
  useEffect(() => {
    const watch = () => {
      pageAtEnd.current = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 48;
    };
    window.addEventListener('scroll', watch, { passive: true });
    return () => window.removeEventListener('scroll', watch);
  }, []);
  useEffect(() => {
    if (!loaded || !roomKnown) return;
    if (opened.current && !pageAtEnd.current) return;
    opened.current = true;
    const box = boxRef.current;
    if (box && atNewest.current) box.scrollTop = box.scrollHeight;
    window.requestAnimationFrame(() => {
      const form = document.querySelector('.chat-form') ?? box;
      form?.scrollIntoView({ block: 'end' });
    });
  }, [loaded, roomKnown, roomLines]);

  async function older() {
    if (!before || busyOlder) return;
    setBusyOlder(true);
    try {
      const b = await api<{ messages: ChatMessage[]; next: string | null }>('GET', `/api/rooms/${props.id}/messages?limit=50&before=${encodeURIComponent(before)}`);
      atNewest.current = false;
      add(b.messages);
      setBefore(b.next);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusyOlder(false);
    }
  }

  function send(e?: Event) {
    e?.preventDefault();
    const body = draft.body.trim();
    if (!body) {
      setSendError('Write a message first.');
      return;
    }
    if (body.length > 2000) {
      setSendError('A message can be at most 2,000 characters.');
      return;
    }
    setSendError('');
    const clientId = uuid();
    setPending((list) => [...list, { clientId, body, status: 'sending', at: new Date().toISOString() }]);
    say(props.id, body, clientId);
    clearDraft();
  }

  function retry(p: Pending) {
    setPending((list) => list.filter((x) => x !== p));
    setDraft({ body: p.body });
    document.getElementById('chat-message')?.focus();
  }

  const closed = room ? !room.open : false;
  const heldHere = staff ? sorted.filter((m) => m.status === 'held' && !m.mine).length : 0;
  return (
    <>
      <p class="breadcrumb">
        <Link href="/rooms">Chat rooms</Link>
      </p>
      <PageHeading>{room ? room.name : 'Chat room'}</PageHeading>
      {room?.description && <p class="lead">{room.description}</p>}
      <ErrorSummary error={error} />
      {room && (
        <p class="presence" data-testid="presence">
          <span class="presence__label">Here now:</span>{' '}
          {room.present.length === 0 && !room.moderator_present ? 'nobody yet' : room.present.join(', ')}
          {room.moderator_present && (
            <span data-testid="moderator-here">{room.present.length > 0 ? ', and a moderator' : 'a moderator'}</span>
          )}
          {room.slow_mode_seconds > 0 && <span class="meta"> · slow mode: one message every {room.slow_mode_seconds} seconds</span>}
        </p>
      )}
      {closed && (
        <div class="notice notice--warning" data-testid="room-closed" role={closedNow ? 'alert' : undefined}>
          <h2 class="notice__title">{closedNow ? 'The moderator has left, so this room is now closed' : 'This room is closed'}</h2>
          <p>{room?.needs_moderator ? 'It opens again when a moderator is here. You can read what was said before.' : 'You can read what was said before.'}</p>
        </div>
      )}
      {heldHere > 0 && (
        <p class="notice" data-testid="held-here">
          {heldHere === 1 ? 'One message here is' : `${heldHere} messages here are`} held for a moderator: approve or reject below. Only moderators and the
          author can see {heldHere === 1 ? 'it' : 'them'} until then.
        </p>
      )}
      {before && (
        <p>
          <button type="button" class="button button--secondary button--small" onClick={older} aria-disabled={busyOlder ? 'true' : undefined}>
            {busyOlder ? 'Loading…' : 'Show earlier messages'}
          </button>
        </p>
      )}
      {!loaded && !error && <Loading what="messages" />}
      {loaded && sorted.length === 0 && pending.length === 0 && <p class="placeholder">No messages yet. Say hello.</p>}
      <div
        role="log"
        aria-live="polite"
        aria-label="Messages"
        class="chat-log"
        ref={boxRef}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget as HTMLDivElement;
          atNewest.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
        }}
      >
      <ol class="chat" data-testid="chat" data-live={live ? 'on' : 'off'} ref={logRef}>
        {sorted.map((m) =>
          !m.mine && m.author && muted.has(m.author.toLowerCase()) && !revealed.has(m.id) ? (
            <li key={m.id} class="chat__message chat__message--muted" data-testid="message" data-status={m.status} data-muted="true">
              <p class="chat__muted">
                A message from a member you muted.{' '}
                <button type="button" class="link-button" onClick={() => setRevealed((r) => new Set(r).add(m.id))}>
                  Show it
                </button>
              </p>
            </li>
          ) : (
          <li key={m.id} class={`chat__message${m.mine ? ' chat__message--mine' : ''}${m.status === 'held' ? ' chat__message--held' : ''}`} data-testid="message" data-status={m.status}>
            <p class="chat__meta">
              <span class="chat__author">{m.author ?? 'A former member'}</span>{' '}
              {m.moderator && (
                <span class="badge badge--moderator" data-testid="moderator-badge">
                  Moderator
                </span>
              )}{' '}
              <When iso={m.created_at} class="meta" />
            </p>
            <SafeHtml html={m.body_html} class="chat__body" />
            {!m.mine && m.status === 'published' && <ReportMessage id={m.id} author={m.author} />}
            <HeldStatus message={m} staff={staff} moderatorHere={!!room?.moderator_present} onDecided={(status) => {
              if (status === 'already') void loadHistory();
              else add([{ ...m, status }]);
            }} />
          </li>
          ),
        )}
        {pending.map((p) => (
          <li key={p.clientId} class="chat__message chat__message--mine" data-testid="message" data-status={p.status}>
            <p class="chat__meta">
              <span class="chat__author">{member?.handle}</span>
            </p>
            <p class="chat__body chat__body--plain">{p.body}</p>
            {p.status === 'sending' && <p class="chat__status">{connection === 'open' ? 'Sending…' : 'Will send when the connection is back…'}</p>}
            {p.status === 'held' && (
              <p class="chat__status chat__status--held" data-testid="ack">
                <strong>Waiting for a moderator.</strong> {p.reason && sentence(p.reason)}
              </p>
            )}
            {p.status === 'rejected' && (
              <div class="chat__status chat__status--rejected" data-testid="ack">
                <p>
                  <strong>Not sent.</strong> {p.reason && sentence(p.reason)}
                </p>
                <button type="button" class="link-button" onClick={() => retry(p)}>
                  Put it back in the message box
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
      </div>
      {support && (
        <div class="chat-support" data-testid="chat-support">
          {support.reason && <p>{sentence(support.reason)}</p>}
          <Signposts signposts={support.signpost} />
          <button type="button" class="link-button" onClick={() => setSupport(null)}>
            Hide this
          </button>
        </div>
      )}
      {!closed && (
        <form class="chat-form" onSubmit={send} noValidate>
          <div class={`field${sendError ? ' field--error' : ''}`}>
            <label for="chat-message">Your message</label>
            <p class="hint" id="chat-message-hint">
              Enter sends; Shift and Enter starts a new line.
            </p>
            {sendError && (
              <p class="field-error" id="chat-message-error" role="alert">
                {sendError}
              </p>
            )}
            <textarea
              id="chat-message"
              rows={2}
              maxLength={2000}
              value={draft.body}
              aria-describedby={`chat-message-hint${sendError ? ' chat-message-error' : ''}`}
              aria-invalid={sendError ? 'true' : undefined}
              onInput={(e) => {
                const el = e.currentTarget as HTMLTextAreaElement;
                setDraft({ body: el.value });
                completion.onInput(el);
              }}
              onKeyDown={(e) => {
                if (completion.onKeyDown(e)) return;
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e);
              }}
              onBlur={completion.close}
              {...completion.boxProps}
            />
            {completion.list}
          </div>
          <button type="submit" class="button button--primary">
            Send
          </button>
        </form>
      )}
    </>
  );
}

/**
 * What a held or rejected message says under it. Staff: that it is held, why, and Approve and
 * Reject. Its author: that it waits for the moderator in the room (or, with none here, for one
 * to look), and once rejected, the moderator's reason; never a silent disappearance.
 */
function HeldStatus(props: {
  message: ChatMessage;
  staff: boolean;
  moderatorHere: boolean;
  onDecided: (status: 'published' | 'rejected' | 'already') => void;
}) {
  const m = props.message;
  if (m.status === 'held' && props.staff && !m.mine) {
    return (
      <div class="chat__status chat__status--held" data-testid="held-for-staff">
        <p>
          <strong>Held</strong>: only moderators and {m.author ?? 'the author'} can see this until it is approved.
        </p>
        <HeldReasons reasons={m.held_reasons} />
        <HeldDecision id={m.id} author={m.author} onDecided={props.onDecided} />
      </div>
    );
  }
  if (m.status === 'held' && m.mine) {
    return (
      <p class="chat__status chat__status--held" data-testid="held-own">
        {props.moderatorHere ? (
          <>
            <strong>Waiting for the moderator</strong>: the moderator in the room will look at it shortly. Only you and the moderators can see it until
            it is approved.
          </>
        ) : (
          <>
            <strong>Waiting for a moderator</strong>: none is in the room just now, so it may take a while. Only you and the moderators can see it; you will
            be told here when it is decided. {m.note && sentence(m.note)}
          </>
        )}
      </p>
    );
  }
  if (m.status === 'rejected' && (m.mine || props.staff)) {
    return (
      <p class="chat__status chat__status--rejected" data-testid="rejected-note">
        <strong>{m.mine ? 'Not published' : 'Rejected'}</strong>
        {m.reason ? <>: the moderators said “{m.reason}”{/[.!?]$/.test(m.reason.trim()) ? ' ' : '. '}</> : '. '}
        {m.mine ? 'Only you can see this.' : 'Only moderators and the author can see this.'}
      </p>
    );
  }
  return null;
}
