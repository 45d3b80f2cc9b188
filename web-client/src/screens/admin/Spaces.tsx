// Admins make the spaces members talk in: boards (for members, or for moderators only) and
// chat rooms (optionally open only while a moderator is present, with slow mode). Boards can be
// renamed and described again (checked by the group's rules like any text), moved up or down
// the list, and archived: read-only, off the members' list, their threads still readable by link.

import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, type Board, type Room } from '../../api';
import { Checkbox, ErrorSummary, Link, LiveNotice, PageHeading, SubmitButton, TextArea, TextField, asApiError, errorFor } from '../../components';

/** `/admin/boards`. */
export function AdminBoards() {
  const [boards, setBoards] = useState<Board[] | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<'members' | 'moderators'>('members');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [announce, setAnnounce] = useState('');

  const [listError, setListError] = useState<ApiError | null>(null);
  const [moving, setMoving] = useState(false);

  const load = () =>
    api<{ boards: Board[] }>('GET', '/api/admin/boards')
      .then((b) => setBoards(b.boards))
      .catch((e) => setListError(asApiError(e)));
  useEffect(() => {
    void load();
  }, []);

  /** Moves a board one place up (-1) or down (+1), keeping the focus on the same button. */
  async function move(index: number, by: -1 | 1, label: string) {
    if (!boards || moving) return;
    const to = index + by;
    if (to < 0 || to >= boards.length) return;
    const order = boards.map((b) => b.id);
    [order[index], order[to]] = [order[to], order[index]];
    setMoving(true);
    setListError(null);
    try {
      const b = await api<{ boards: Board[] }>('PUT', '/api/admin/boards/order', { order });
      setBoards(b.boards);
      setAnnounce(`“${boards[index].name}” moved ${by < 0 ? 'up' : 'down'}: it is now number ${to + 1} of ${boards.length}.`);
      window.setTimeout(() => document.getElementById(`${label}-${boards[index].id}`)?.focus(), 0);
    } catch (err) {
      setListError(asApiError(err));
      if (asApiError(err).code === 'stale_order') void load();
    } finally {
      setMoving(false);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setError(new ApiError(400, 'invalid', 'give the board a name', 'name'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ board: Board }>('POST', '/api/admin/boards', { name: name.trim(), description: description.trim(), visibility });
      setAnnounce(`The board “${b.board.name}” was created.`);
      setName('');
      setDescription('');
      setVisibility('members');
      void load();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading>Boards</PageHeading>
      <LiveNotice message={announce} />
      <section aria-labelledby="existing-heading">
        <h2 id="existing-heading">The boards now</h2>
        <p class="hint">Members see them in this order. Archived boards are off their list, but their threads can still be read by link.</p>
        <ErrorSummary error={listError} />
        {boards && boards.length === 0 && <p class="placeholder">No boards yet.</p>}
        {boards && boards.length > 0 && (
          <ol class="cards" aria-label="Boards, in order">
            {boards.map((b, i) => (
              <li key={b.id}>
                <BoardCard
                  board={b}
                  place={i + 1}
                  count={boards.length}
                  busy={moving}
                  onMove={(by, label) => void move(i, by, label)}
                  onChanged={(nb, what) => {
                    setBoards((list) => list?.map((x) => (x.id === nb.id ? nb : x)) ?? list);
                    setAnnounce(what);
                  }}
                />
              </li>
            ))}
          </ol>
        )}
      </section>
      <form onSubmit={submit} noValidate class="form section" aria-labelledby="new-board-heading">
        <h2 id="new-board-heading">Create a board</h2>
        <ErrorSummary error={error} />
        <TextField name="name" label="Name" maxLength={80} value={name} onValue={setName} error={errorFor(error, 'name')} />
        <TextArea name="description" label="What it is for (optional)" rows={2} value={description} onValue={setDescription} error={errorFor(error, 'description')} />
        <fieldset class="field">
          <legend>Who can read it</legend>
          {(
            [
              ['members', 'All members'],
              ['moderators', 'Moderators and admins only'],
            ] as const
          ).map(([v, label]) => (
            <div class="radio-row" key={v}>
              <input type="radio" id={`visibility-${v}`} name="visibility" value={v} checked={visibility === v} onChange={() => setVisibility(v)} />
              <label for={`visibility-${v}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <SubmitButton busy={busy} busyText="Creating…">
          Create board
        </SubmitButton>
      </form>
    </>
  );
}

/** One board in Admin > Boards: its place, its name and description (changeable), archive. */
function BoardCard(props: {
  board: Board;
  place: number;
  count: number;
  busy: boolean;
  onMove: (by: -1 | 1, label: string) => void;
  onChanged: (b: Board, what: string) => void;
}) {
  const { board } = props;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(board.name);
  const [description, setDescription] = useState(board.description);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const key = board.id;

  async function patch(body: Record<string, unknown>, what: (b: Board) => string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ board: Board }>('PATCH', `/api/admin/boards/${board.id}`, body);
      props.onChanged(b.board, what(b.board));
      setEditing(false);
    } catch (err) {
      const e = asApiError(err);
      // This card's fields have their own names (several cards share the page). The rules'
      // refusal names no field (it may be the name or the description): it is said at the top.
      const field = e.field === 'description' ? `description-${key}` : e.field === 'name' ? `name-${key}` : e.field;
      const mapped = new ApiError(e.status, e.code, e.message, field);
      mapped.moderation = e.moderation;
      setError(mapped);
    } finally {
      setBusy(false);
    }
  }

  async function save(e: Event) {
    e.preventDefault();
    if (!name.trim()) {
      setError(new ApiError(400, 'invalid', 'give the board a name', `name-${key}`));
      return;
    }
    await patch({ name: name.trim(), description: description.trim() }, (b) => `The board is now called “${b.name}”.`);
  }

  return (
    <article class="card board-admin" aria-labelledby={`board-${key}`} data-testid="admin-board" data-archived={board.archived_at ? 'yes' : 'no'}>
      <h3 id={`board-${key}`} class="card__title">
        <Link href={`/boards/${board.id}`}>{board.name}</Link>
        {board.visibility === 'moderators' && <span class="tag">Moderators only</span>}
        {board.archived_at && <span class="tag">Archived</span>}
      </h3>
      {board.description && <p class="board-list__description">{board.description}</p>}
      <p class="meta">
        Number {props.place} of {props.count}
      </p>
      <div class="board-admin__actions">
        <button
          type="button"
          id={`up-${key}`}
          class="button button--secondary"
          onClick={() => props.onMove(-1, 'up')}
          aria-disabled={props.place === 1 || props.busy ? 'true' : undefined}
          aria-label={`Move up “${board.name}”`}
        >
          Move up
        </button>
        <button
          type="button"
          id={`down-${key}`}
          class="button button--secondary"
          onClick={() => props.onMove(1, 'down')}
          aria-disabled={props.place === props.count || props.busy ? 'true' : undefined}
          aria-label={`Move down “${board.name}”`}
        >
          Move down
        </button>
        {!editing && (
          <button type="button" class="button button--secondary" onClick={() => setEditing(true)} aria-label={`Rename or describe “${board.name}”`}>
            Rename or describe
          </button>
        )}
        <button
          type="button"
          class="button button--secondary"
          onClick={() =>
            void patch({ archived: !board.archived_at }, (b) =>
              b.archived_at ? `“${b.name}” is archived: read-only, and off the members’ list.` : `“${b.name}” is back on the members’ list.`,
            )
          }
          aria-disabled={busy ? 'true' : undefined}
          aria-label={board.archived_at ? `Bring back “${board.name}”` : `Archive “${board.name}”`}
        >
          {board.archived_at ? 'Bring back' : 'Archive'}
        </button>
      </div>
      {!editing && <ErrorSummary error={error} />}
      {editing && (
        <form onSubmit={save} noValidate class="form section" aria-label={`Change “${board.name}”`}>
          <ErrorSummary error={error} />
          <TextField name={`name-${key}`} label="Name" maxLength={80} value={name} onValue={setName} error={errorFor(error, `name-${key}`)} />
          <TextArea
            name={`description-${key}`}
            label="What it is for (optional)"
            rows={2}
            value={description}
            onValue={setDescription}
            error={errorFor(error, `description-${key}`)}
          />
          <SubmitButton busy={busy} busyText="Saving…">
            Save changes
          </SubmitButton>{' '}
          <button
            type="button"
            class="button button--secondary"
            onClick={() => {
              setEditing(false);
              setName(board.name);
              setDescription(board.description);
              setError(null);
            }}
          >
            Cancel
          </button>
        </form>
      )}
    </article>
  );
}

/** `/admin/rooms`. */
export function AdminRooms() {
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [needsModerator, setNeedsModerator] = useState(false);
  const [slow, setSlow] = useState('0');
  const [newSlow, setNewSlow] = useState('10');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [announce, setAnnounce] = useState('');

  const load = () =>
    api<{ rooms: Room[] }>('GET', '/api/rooms')
      .then((b) => setRooms(b.rooms))
      .catch((e) => setError(asApiError(e)));
  useEffect(() => {
    void load();
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    const s = Number.parseInt(slow || '0', 10);
    const ns = Number.parseInt(newSlow || '0', 10);
    if (!name.trim()) {
      setError(new ApiError(400, 'invalid', 'give the room a name', 'name'));
      return;
    }
    if (!Number.isFinite(s) || s < 0) {
      setError(new ApiError(400, 'invalid', 'enter a number of seconds, 0 or more', 'slow_mode_seconds'));
      return;
    }
    if (!Number.isFinite(ns) || ns < 0) {
      setError(new ApiError(400, 'invalid', 'enter a number of seconds, 0 or more', 'new_member_slow_mode_seconds'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ room: { id: string; name: string } }>('POST', '/api/admin/rooms', {
        name: name.trim(),
        description: description.trim(),
        needs_moderator: needsModerator,
        slow_mode_seconds: s,
        new_member_slow_mode_seconds: ns,
      });
      setAnnounce(`The room “${b.room.name}” was created.`);
      setName('');
      setDescription('');
      setNeedsModerator(false);
      setSlow('0');
      setNewSlow('10');
      void load();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading>Chat rooms</PageHeading>
      <LiveNotice message={announce} />
      <section aria-labelledby="existing-heading">
        <h2 id="existing-heading">The rooms now</h2>
        {rooms && rooms.length === 0 && <p class="placeholder">No rooms yet.</p>}
        {rooms && rooms.length > 0 && (
          <ul class="board-list">
            {rooms.map((r) => (
              <li key={r.id} class="board-list__item">
                <Link href={`/rooms/${r.id}`} class="board-list__link">
                  {r.name}
                </Link>
                <span class={`badge${r.open ? ' badge--open' : ''}`}>{r.open ? 'Open' : 'Closed'}</span>
                <p class="meta">
                  {r.needs_moderator ? 'Open only while a moderator is here' : 'Always open'}
                  {r.slow_mode_seconds > 0 && ` · slow mode ${r.slow_mode_seconds} s`}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <form onSubmit={submit} noValidate class="form section" aria-labelledby="new-room-heading">
        <h2 id="new-room-heading">Create a room</h2>
        <ErrorSummary error={error} />
        <TextField name="name" label="Name" maxLength={80} value={name} onValue={setName} error={errorFor(error, 'name')} />
        <TextArea name="description" label="What it is for (optional)" rows={2} value={description} onValue={setDescription} error={errorFor(error, 'description')} />
        <Checkbox
          name="needs_moderator"
          label="Open only while a moderator is in the room"
          hint="Members see it closed otherwise, and it closes by itself when the last moderator leaves."
          checked={needsModerator}
          onChecked={setNeedsModerator}
        />
        <TextField
          name="slow_mode_seconds"
          label="Slow mode, in seconds"
          hint="How long everyone waits between messages. 0 switches it off."
          inputMode="numeric"
          class="field--short"
          value={slow}
          onValue={setSlow}
          error={errorFor(error, 'slow_mode_seconds')}
        />
        <TextField
          name="new_member_slow_mode_seconds"
          label="Slow mode for new members, in seconds"
          hint="For members with fewer than 3 approved posts."
          inputMode="numeric"
          class="field--short"
          value={newSlow}
          onValue={setNewSlow}
          error={errorFor(error, 'new_member_slow_mode_seconds')}
        />
        <SubmitButton busy={busy} busyText="Creating…">
          Create room
        </SubmitButton>
      </form>
    </>
  );
}
