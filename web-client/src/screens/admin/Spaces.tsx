// Admins make the spaces members talk in: boards (for members, or for moderators only) and
// chat rooms (optionally open only while a moderator is present, with slow mode).

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

  const load = () =>
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(b.boards))
      .catch((e) => setError(asApiError(e)));
  useEffect(() => {
    void load();
  }, []);

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
        {boards && boards.length === 0 && <p class="placeholder">No boards yet.</p>}
        {boards && boards.length > 0 && (
          <ul class="board-list">
            {boards.map((b) => (
              <li key={b.id} class="board-list__item">
                <Link href={`/boards/${b.id}`} class="board-list__link">
                  {b.name}
                </Link>
                {b.visibility === 'moderators' && <span class="tag">Moderators only</span>}
                {b.description && <p class="board-list__description">{b.description}</p>}
              </li>
            ))}
          </ul>
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
