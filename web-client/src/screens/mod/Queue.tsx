// The moderators' live queue: held, flagged and reported posts, oldest first, with the rules
// that fired and the matched words highlighted, and how long each has waited. Approve (as
// written or after editing), reject with a ready or typed reason, undo a rejection, decide
// several at once. New items appear and decided ones vanish on every moderator's screen: the
// `modqueue` topic says something changed, and the list is fetched again.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, waited, type MemberAdminView, type QueueItem, type ReadyReason, type RuleHit } from '../../api';
import { ErrorSummary, Link, LiveNotice, Loading, PageHeading, SubmitButton, TextArea, TextField, asApiError, errorFor } from '../../components';
import { hasRole, useSession } from '../../session';
import { useTopic } from '../../socket';
import { UrgentLane } from './Urgent';
import { HeldChatQueue, type HeldMessage } from '../../heldchat';
import { ReportedChatQueue, type ReportedMessage } from '../../reportedchat';
import { reportReason } from '../../words';

interface QueueAnswer {
  items: QueueItem[];
  held_messages: HeldMessage[];
  reported_messages?: ReportedMessage[];
  ready_reasons: ReadyReason[];
}

interface ChatReview {
  seq: number;
  outcome: string;
  author: string | null;
  body: string;
  rules: RuleHit[];
}

/** A rejected item this moderator can still take back. */
interface Rejected {
  id: string;
  title: string;
  author: string | null;
}

/** `/mod/queue`. */
export function Queue() {
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [reasons, setReasons] = useState<ReadyReason[]>([]);
  const [fetchedAt, setFetchedAt] = useState(Date.now());
  const [error, setError] = useState<ApiError | null>(null);
  const [announce, setAnnounce] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [rejected, setRejected] = useState<Rejected[]>([]);
  const [chat, setChat] = useState<ChatReview[]>([]);
  const [held, setHeld] = useState<HeldMessage[]>([]);
  const [reportedChat, setReportedChat] = useState<ReportedMessage[]>([]);
  const [, setTick] = useState(0);
  const timer = useRef<number | undefined>(undefined);

  async function load() {
    try {
      const b = await api<QueueAnswer>('GET', '/api/mod/queue');
      setItems(b.items);
      setHeld(b.held_messages);
      setReportedChat(b.reported_messages ?? []);
      setReasons(b.ready_reasons);
      setFetchedAt(Date.now());
      setSelected((s) => new Set([...s].filter((id) => b.items.some((i) => i.id === id))));
    } catch (e) {
      setError(asApiError(e));
    }
  }

  useEffect(() => {
    void load();
    // How long items have waited keeps counting while the screen is open; and once a minute
    // the list is fetched anyway (an undo elsewhere announces no event).
    const t = window.setInterval(() => setTick((n) => n + 1), 30_000);
    const refresh = window.setInterval(() => void load(), 60_000);
    return () => {
      window.clearInterval(t);
      window.clearInterval(refresh);
      window.clearTimeout(timer.current);
    };
  }, []);

  const live = useTopic(
    'modqueue',
    (e, seq) => {
      if (e.kind === 'queue_item_added' || e.kind === 'queue_item_decided' || e.kind === 'message_reported' || e.kind === 'message_report_decided') {
        // Several events in a burst (a bulk decision) make one fetch.
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(() => void load(), 150);
      } else if (e.kind === 'chat_review' && e.outcome !== 'held') {
        const m = e.message as { author?: string | null } | undefined;
        setChat((list) => [
          { seq, outcome: String(e.outcome), author: m?.author ?? null, body: String(e.body ?? ''), rules: (e.rules as RuleHit[]) ?? [] },
          ...list.slice(0, 19),
        ]);
      }
    },
    () => void load(),
  );

  function decided(id: string, words: string, rejectedItem?: Rejected) {
    setItems((list) => (list ?? []).filter((i) => i.id !== id));
    setSelected((s) => {
      const n = new Set(s);
      n.delete(id);
      return n;
    });
    if (rejectedItem) setRejected((list) => [rejectedItem, ...list.filter((r) => r.id !== id)].slice(0, 10));
    setAnnounce(words);
  }

  async function undo(r: Rejected) {
    try {
      await api('POST', `/api/mod/queue/${r.id}/undo`);
      setRejected((list) => list.filter((x) => x.id !== r.id));
      setAnnounce(`The rejection was undone: the post by ${r.author ?? 'a former member'} is back in the queue.`);
      void load();
    } catch (e) {
      setError(asApiError(e));
    }
  }

  const elapsed = Math.floor((Date.now() - fetchedAt) / 1000);
  return (
    <>
      <PageHeading>Moderation queue</PageHeading>
      <UrgentLane />
      <p class="lead">
        Posts waiting for a decision, oldest first. The words a rule matched are <mark>highlighted</mark>.
      </p>
      <p class="meta" data-testid="queue-live" data-live={live ? 'on' : 'off'}>
        {live ? 'Updates as it happens.' : 'Connecting…'}
      </p>
      <LiveNotice message={announce} />
      <ErrorSummary error={error} />
      {rejected.length > 0 && (
        <section class="panel" aria-labelledby="undo-heading">
          <h2 id="undo-heading" class="small-heading">
            Not published just now
          </h2>
          <ul class="plain-list">
            {rejected.map((r) => (
              <li key={r.id}>
                {r.author ?? 'A former member'} in “{r.title}”{' '}
                <button type="button" class="link-button" onClick={() => void undo(r)}>
                  Undo rejection<span class="visually-hidden"> of the post by {r.author ?? 'a former member'}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {!items && !error && <Loading what="the queue" />}
      {items && items.length === 0 && (
        <p class="placeholder" data-testid="queue-empty">
          No posts are waiting. New items appear here as they arrive.
        </p>
      )}
      {items && items.length > 1 && (
        <BulkBar items={items} selected={selected} setSelected={setSelected} reasons={reasons} onDone={(words) => { setAnnounce(words); void load(); }} />
      )}
      {items && items.length > 0 && (
        <ul class="cards" aria-label="Queue items" data-testid="queue">
          {items.map((item) => (
            <li key={item.id}>
              <QueueCard
                item={item}
                waitedSeconds={item.waited_seconds + elapsed}
                reasons={reasons}
                selected={selected.has(item.id)}
                onSelect={(on) =>
                  setSelected((s) => {
                    const n = new Set(s);
                    if (on) n.add(item.id);
                    else n.delete(item.id);
                    return n;
                  })
                }
                onDecided={decided}
              />
            </li>
          ))}
        </ul>
      )}
      {items && <HeldChatQueue messages={held} fetchedAt={fetchedAt} onAnnounce={setAnnounce} />}
      {items && (
        <ReportedChatQueue
          messages={reportedChat}
          onDecided={(words) => {
            setAnnounce(words);
            void load();
          }}
        />
      )}
      {chat.length > 0 && (
        <section class="section" aria-labelledby="chat-review-heading">
          <h2 id="chat-review-heading">Chat messages flagged</h2>
          <p class="hint">Seen while this page was open. These were published; a moderator may want to look.</p>
          <ul class="cards">
            {chat.map((c) => (
              <li key={c.seq} class="card">
                <p class="meta">
                  {c.author ?? 'A former member'} · {c.outcome === 'held' ? 'held' : c.outcome === 'rejected' ? 'rejected' : 'flagged'} ·{' '}
                  {c.rules.map((r) => r.rule).filter((v, i, a) => a.indexOf(v) === i).join(', ')}
                </p>
                <p class="source">
                  <Highlighted source={c.body} hits={c.rules} />
                </p>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** Turns the rules' UTF-8 byte offsets into string positions, and marks what they matched. */
export function highlightRanges(source: string, hits: RuleHit[]): [number, number][] {
  const bytes = new TextEncoder().encode(source);
  const decoder = new TextDecoder();
  const at = (byte: number) => decoder.decode(bytes.subarray(0, byte)).length;
  const ranges = hits
    .filter((h) => Number.isInteger(h.start) && Number.isInteger(h.end) && h.end > h.start && h.end <= bytes.length)
    .map((h) => [at(h.start), at(h.end)] as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function Highlighted(props: { source: string; hits: RuleHit[] }) {
  const ranges = highlightRanges(props.source, props.hits);
  const parts: ComponentChildren[] = [];
  let pos = 0;
  ranges.forEach(([s, e], i) => {
    if (s > pos) parts.push(props.source.slice(pos, s));
    parts.push(<mark key={i}>{props.source.slice(s, e)}</mark>);
    pos = e;
  });
  if (pos < props.source.length) parts.push(props.source.slice(pos));
  return <>{parts}</>;
}

const ACTION_WORDS: Record<string, string> = { flag: 'flags', hold: 'holds', reject: 'refuses' };

const KIND: Record<string, string> = { held: 'Held', flagged: 'Flagged', report: 'Reported' };

/**
 * What the decision buttons say. A held post is not public yet: publish it or not. A flagged or
 * reported post is already up: keep it up or take it down ("Approve/Reject" meant either).
 */
function decisionWords(item: QueueItem) {
  const up = item.kind !== 'held' && item.post.status === 'published';
  return up
    ? { yes: 'Keep it up', edit: 'Edit it and keep it up', editSubmit: 'Keep it up with these changes', no: 'Take it down', noSubmit: 'Take the post down', did: 'kept up', didNot: 'taken down' }
    : { yes: 'Publish', edit: 'Edit, then publish', editSubmit: 'Publish with these changes', no: 'Don’t publish', noSubmit: 'Don’t publish the post', did: 'published', didNot: 'not published' };
}

function QueueCard(props: {
  item: QueueItem;
  waitedSeconds: number;
  reasons: ReadyReason[];
  selected: boolean;
  onSelect: (on: boolean) => void;
  onDecided: (id: string, words: string, rejected?: Rejected) => void;
}) {
  const { item } = props;
  const { member } = useSession();
  const [mode, setMode] = useState<'none' | 'edit' | 'reject' | 'suspend'>('none');
  const [body, setBody] = useState(item.post.body_source);
  const [ready, setReady] = useState('');
  const [reason, setReason] = useState('');
  const [editReason, setEditReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const who = item.post.author ?? 'a former member';
  const key = item.id;
  const rules = [...new Map(item.rules.map((r) => [r.rule, r])).values()];
  const w = decisionWords(item);

  async function run(call: () => Promise<unknown>, words: string, rejected?: boolean) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await call();
      props.onDecided(item.id, words, rejected ? { id: item.id, title: item.thread.title, author: item.post.author } : undefined);
    } catch (e) {
      const a = asApiError(e);
      if (a.status === 409) {
        // Someone else decided it first: it leaves this screen too.
        props.onDecided(item.id, `Another moderator already decided the post by ${who}.`);
        return;
      }
      setError(a.field ? new ApiError(a.status, a.code, a.message, `${a.field}-${key}`) : a);
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class={`card queue-item${item.overdue ? ' queue-item--overdue' : ''}`} aria-labelledby={`q-${key}`} data-testid="queue-item">
      <div class="queue-item__top">
        <div class="checkbox-row">
          <input type="checkbox" id={`select-${key}`} checked={props.selected} onChange={(e) => props.onSelect((e.currentTarget as HTMLInputElement).checked)} />
          <label for={`select-${key}`}>
            <span class="visually-hidden">Select the post by {who}</span>
            <span aria-hidden="true">Select</span>
          </label>
        </div>
        <span class="badges">
          <span class={`badge badge--${item.kind}`}>{KIND[item.kind] ?? item.kind}</span>
          {item.concern && <span class="badge badge--concern">Safeguarding concern</span>}
          {item.overdue && <span class="badge badge--overdue">Overdue</span>}
        </span>
      </div>
      <h2 id={`q-${key}`} class="card__title">
        {item.post.author ?? 'A former member'}
        <span class="queue-item__where">
          {item.post.is_first ? ' started ' : ' replied in '}
          <Link href={`/threads/${item.thread.id}`}>{item.thread.title}</Link>
        </span>
      </h2>
      <p class="meta">Waiting {waited(props.waitedSeconds)}</p>
      {item.post.content_warning && (
        <p class="meta">
          <strong>Content warning:</strong> {item.post.content_warning}
        </p>
      )}
      <p class="source" data-testid="queue-source">
        <Highlighted source={item.post.body_source} hits={item.rules} />
      </p>
      {rules.length > 0 && (
        <div class="rules-fired">
          <h3 class="small-heading">Why it is here</h3>
          <ul>
            {rules.map((r) => (
              <li key={r.rule}>
                <strong>{r.rule}</strong> ({ACTION_WORDS[r.action] ?? r.action})
                {r.matched && (
                  <>
                    : matched “<mark>{r.matched}</mark>”
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {item.report && (
        <div class="rules-fired">
          <h3 class="small-heading">Reported by a member</h3>
          <p>
            Reason: <strong>{reportReason(item.report.reason)}</strong>
            {item.report.note && <> · “{item.report.note}”</>}
          </p>
        </div>
      )}
      <ErrorSummary error={error} />
      <div class="actions actions--tight">
        <button type="button" class="button button--primary" onClick={() => void run(() => api('POST', `/api/mod/queue/${item.id}/approve`), `The post by ${who} was ${w.did}.`)} aria-disabled={busy ? 'true' : undefined}>
          {w.yes}<span class="visually-hidden"> (the post by {who})</span>
        </button>
        <button type="button" class="button button--secondary" aria-expanded={mode === 'edit'} onClick={() => setMode(mode === 'edit' ? 'none' : 'edit')}>
          {w.edit}<span class="visually-hidden"> (the post by {who})</span>
        </button>
        <button type="button" class="button button--secondary" aria-expanded={mode === 'reject'} onClick={() => setMode(mode === 'reject' ? 'none' : 'reject')}>
          {w.no}<span class="visually-hidden"> (the post by {who})</span>
        </button>
        {hasRole(member, 'admin') && item.post.author && (
          <button type="button" class="button button--quiet" aria-expanded={mode === 'suspend'} onClick={() => setMode(mode === 'suspend' ? 'none' : 'suspend')}>
            Suspend {who}
          </button>
        )}
      </div>
      {mode === 'edit' && (
        <form
          class="decision"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const why = editReason.trim();
            void run(() => api('POST', `/api/mod/queue/${item.id}/approve`, why ? { body, reason: why } : { body }), `The post by ${who} was ${w.did} with your changes; ${who} is told a moderator edited it.`);
          }}
        >
          <TextArea name={`body-${key}`} label="The post as it will be published" hint="Take out what cannot stay (a name, a number). The author is told a moderator edited it, and readers see “edited by a moderator”." rows={6} value={body} onValue={setBody} error={errorFor(error, `body-${key}`)} />
          <TextArea name={`reason-${key}`} label="Why you changed it (optional: the author sees this, from the moderators)" rows={2} value={editReason} onValue={setEditReason} error={errorFor(error, `reason-${key}`)} />
          <SubmitButton busy={busy}>{w.editSubmit}</SubmitButton>
        </form>
      )}
      {mode === 'reject' && (
        <form
          class="decision"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!ready && !reason.trim()) {
              setError(new ApiError(400, 'invalid', 'choose a reason or write one: the author sees it', `reason-${key}`));
              return;
            }
            void run(
              () => api('POST', `/api/mod/queue/${item.id}/reject`, ready ? { ready_reason: ready } : { reason: reason.trim() }),
              `The post by ${who} was ${w.didNot}.${item.kind === 'held' ? ' You can undo this.' : ''}`,
              item.kind === 'held',
            );
          }}
        >
          <div class="field">
            <label for={`field-ready-${key}`}>A ready reason</label>
            <select id={`field-ready-${key}`} value={ready} onChange={(e) => setReady((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">None: I will write one</option>
              {props.reasons.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.id.replace(/-/g, ' ')}
                </option>
              ))}
            </select>
            {ready && <p class="hint ready-text">{props.reasons.find((r) => r.id === ready)?.text}</p>}
          </div>
          {!ready && (
            <TextArea name={`reason-${key}`} label="Or your own words (the author sees them, from the moderators)" rows={3} value={reason} onValue={setReason} error={errorFor(error, `reason-${key}`) ?? errorFor(error, `ready_reason-${key}`)} />
          )}
          <SubmitButton busy={busy} kind="danger">
            {w.noSubmit}
          </SubmitButton>
        </form>
      )}
      {mode === 'suspend' && item.post.author && <SuspendForm handle={item.post.author} onDone={(w) => { setMode('none'); props.onDecided('', w); }} />}
    </article>
  );
}

/** Suspending the author from the queue (admins: the member's id comes from the admin list). */
function SuspendForm(props: { handle: string; onDone: (words: string) => void }) {
  const [hours, setHours] = useState('24');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const k = props.handle.replace(/[^a-z0-9_-]/gi, '');

  async function findMember(): Promise<MemberAdminView> {
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const q: string = after ? `&after=${encodeURIComponent(after)}` : '';
      const page: { members: MemberAdminView[]; next: string | null } = await api('GET', `/api/admin/members?limit=200${q}`);
      const m = page.members.find((x) => x.handle.toLowerCase() === props.handle.toLowerCase());
      if (m) return m;
      if (!page.next) break;
      after = page.next;
    }
    throw new ApiError(404, 'not_found', 'that member could not be found');
  }

  return (
    <form
      class="decision"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        const h = Number.parseInt(hours, 10);
        if (!Number.isFinite(h) || h < 1) {
          setError(new ApiError(400, 'invalid', 'enter a number of hours, 1 or more', `hours-${k}`));
          return;
        }
        if (!reason.trim()) {
          setError(new ApiError(400, 'invalid', 'give a reason: the member sees it', `sreason-${k}`));
          return;
        }
        setBusy(true);
        setError(null);
        try {
          const m = await findMember();
          await api('POST', `/api/mod/members/${m.id}/suspend`, { hours: h, reason: reason.trim() });
          props.onDone(`${props.handle} is suspended for ${h} ${h === 1 ? 'hour' : 'hours'}.`);
        } catch (err) {
          setError(asApiError(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <ErrorSummary error={error} />
      <TextField name={`hours-${k}`} label="For how many hours" inputMode="numeric" class="field--short" value={hours} onValue={setHours} error={errorFor(error, `hours-${k}`)} />
      <TextArea name={`sreason-${k}`} label="Reason for the suspension (the member sees it)" rows={2} value={reason} onValue={setReason} error={errorFor(error, `sreason-${k}`)} />
      <SubmitButton busy={busy} kind="danger">
        Suspend {props.handle}
      </SubmitButton>
    </form>
  );
}

function BulkBar(props: {
  items: QueueItem[];
  selected: Set<string>;
  setSelected: (s: Set<string>) => void;
  reasons: ReadyReason[];
  onDone: (words: string) => void;
}) {
  const [ready, setReady] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const n = props.selected.size;
  const all = n === props.items.length;

  async function bulk(action: 'approve' | 'reject') {
    if (busy || n === 0) return;
    if (action === 'reject' && !ready) {
      setError(new ApiError(400, 'invalid', 'choose a ready reason to take down or not publish several posts at once', 'bulk-ready'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ results: { id: string; ok: boolean; error?: string }[] }>('POST', '/api/mod/queue/bulk', {
        ids: [...props.selected],
        action,
        ...(action === 'reject' ? { ready_reason: ready } : {}),
      });
      const ok = b.results.filter((r) => r.ok).length;
      const failed = b.results.length - ok;
      props.setSelected(new Set());
      props.onDone(
        `${ok} ${ok === 1 ? 'post was' : 'posts were'} ${action === 'approve' ? 'published or kept up' : 'taken down or not published'}.` +
          (failed ? ` ${failed} could not be (someone else may have decided ${failed === 1 ? 'it' : 'them'} first).` : ''),
      );
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="bulk panel" aria-labelledby="bulk-heading">
      <h2 id="bulk-heading" class="small-heading">
        Decide several at once
      </h2>
      <ErrorSummary error={error} />
      <p>
        {n} of {props.items.length} selected.{' '}
        <button type="button" class="link-button" onClick={() => props.setSelected(all ? new Set() : new Set(props.items.map((i) => i.id)))}>
          {all ? 'Select none' : 'Select all'}
        </button>
      </p>
      <div class="bulk__row">
        <button type="button" class="button button--primary" onClick={() => void bulk('approve')} aria-disabled={busy || n === 0 ? 'true' : undefined}>
          Publish or keep up the selected
        </button>
        <div class={`field bulk__reason${errorFor(error, 'bulk-ready') ? ' field--error' : ''}`}>
          <label for="field-bulk-ready">Reason the authors see, for taking down or not publishing</label>
          {errorFor(error, 'bulk-ready') && <p class="field-error">{errorFor(error, 'bulk-ready')}</p>}
          <select id="field-bulk-ready" value={ready} onChange={(e) => setReady((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Choose a ready reason</option>
            {props.reasons.map((r) => (
              <option key={r.id} value={r.id}>
                {r.id.replace(/-/g, ' ')}
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="button button--danger" onClick={() => void bulk('reject')} aria-disabled={busy || n === 0 ? 'true' : undefined}>
          Take down or don’t publish the selected
        </button>
      </div>
    </section>
  );
}

