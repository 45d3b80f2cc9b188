// The controls above and below a thread: following it (or muting it), and the moderators' tools.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Board, type FollowState, type Thread } from '../../api';
import { ErrorSummary, SubmitButton, asApiError } from '../../components';

/** Follow (notified of new replies), Following ✓ (press to stop), or mute the thread. */
export function FollowControl(props: { threadId: string; refresh: number; onAnnounce: (s: string) => void }) {
  const [state, setState] = useState<FollowState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<{ state: FollowState }>('GET', `/api/threads/${props.threadId}/follow`)
      .then((b) => setState(b.state))
      .catch(() => {});
  }, [props.threadId, props.refresh]);

  async function change(next: FollowState) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ state: FollowState }>('PUT', `/api/threads/${props.threadId}/follow`, { state: next });
      setState(b.state);
      props.onAnnounce(
        b.state === 'following'
          ? 'You are following this thread: you will be told about new replies.'
          : b.state === 'muted'
            ? 'Thread muted: you will not be told about new replies.'
            : 'You are no longer following this thread.',
      );
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  if (!state) return null;
  const disabled = busy ? 'true' : undefined;
  return (
    <>
      <ErrorSummary error={error} />
      <div class="follow" role="group" aria-label="Following this thread" data-testid="follow" data-state={state}>
        {state === 'not_following' && (
          <button type="button" class="button button--secondary button--small" onClick={() => change('following')} aria-disabled={disabled}>
            Follow
          </button>
        )}
        {state === 'following' && (
          <button type="button" class="button button--secondary button--small follow__on" onClick={() => change('not_following')} aria-disabled={disabled}>
            Following <span aria-hidden="true">✓</span>
            <span class="visually-hidden"> (press to stop following)</span>
          </button>
        )}
        {state === 'muted' && <span class="follow__note">Thread muted: no notifications about it.</span>}
        {state === 'muted' ? (
          <button type="button" class="link-button" onClick={() => change('not_following')} aria-disabled={disabled}>
            Unmute thread
          </button>
        ) : (
          <button type="button" class="link-button" onClick={() => change('muted')} aria-disabled={disabled}>
            Mute thread
          </button>
        )}
        {state !== 'muted' && (
          <span class="follow__note">
            {state === 'following' ? 'You are told about new replies.' : 'Follow to be told about new replies.'}
          </span>
        )}
      </div>
    </>
  );
}

/** Lock, pin and move: the moderators' tools for the whole thread. */
export function ThreadTools(props: { thread: Thread; onChanged: (t: Thread) => void; onAnnounce: (s: string) => void }) {
  const { thread } = props;
  const [boards, setBoards] = useState<Board[]>([]);
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(b.boards))
      .catch(() => {});
  }, []);

  async function act(action: string, body?: unknown, done?: string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const a = await api<{ thread: Thread }>('POST', `/api/mod/threads/${thread.id}/${action}`, body);
      props.onChanged({ ...thread, ...a.thread });
      if (done) props.onAnnounce(done);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  const others = boards.filter((b) => b.id !== thread.board_id);
  return (
    <section class="section tools" aria-labelledby="tools-heading">
      <h2 id="tools-heading">Moderator tools</h2>
      <ErrorSummary error={error} />
      <div class="actions actions--tight">
        <button type="button" class="button button--secondary" onClick={() => act(thread.locked ? 'unlock' : 'lock', undefined, thread.locked ? 'The thread is unlocked.' : 'The thread is locked.')}>
          {thread.locked ? 'Unlock thread' : 'Lock thread'}
        </button>
        <button type="button" class="button button--secondary" onClick={() => act(thread.pinned ? 'unpin' : 'pin', undefined, thread.pinned ? 'The thread is unpinned.' : 'The thread is pinned.')}>
          {thread.pinned ? 'Unpin thread' : 'Pin thread'}
        </button>
      </div>
      {others.length > 0 && (
        <form
          class="inline-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (target) void act('move', { board_id: target }, 'The thread was moved.');
          }}
        >
          <div class="field">
            <label for="move-board">Move to another board</label>
            <select id="move-board" value={target} onChange={(e) => setTarget((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">Choose a board</option>
              {others.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <SubmitButton busy={busy} kind="secondary">
            Move thread
          </SubmitButton>
        </form>
      )}
    </section>
  );
}
