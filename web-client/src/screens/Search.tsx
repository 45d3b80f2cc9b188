// Search: the words to find, optionally one board and a range of days; results a page at a
// time, thread titles first, with the matched words marked. A member's search words never go
// into the address (which the browser keeps in its history, beyond any quick exit's reach):
// the last search is kept in this page's memory only, for its member, so leaving for a result
// and coming back by the app's links finds it again; a reload or quick exit forgets it.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, type Board, type SearchResult } from '../api';
import { ErrorSummary, Link, PageHeading, asApiError, errorFor, fieldId, When } from '../components';
import { isPlainClick, navigate, useLocation } from '../router';
import { useSession } from '../session';

interface Query {
  q: string;
  board: string;
  from: string;
  until: string;
}

interface Page {
  results: SearchResult[];
  next: string | null;
}

function toParams(query: Query, cursor?: string): URLSearchParams {
  const p = new URLSearchParams();
  p.set('q', query.q.trim());
  if (query.board) p.set('board', query.board);
  if (query.from) p.set('from', query.from);
  if (query.until) p.set('until', query.until);
  if (cursor) p.set('cursor', cursor);
  return p;
}

/**
 * Server-escaped HTML whose only markup is `<mark>` (search's `title_html` and `snippet_html`).
 * The one other place, besides post bodies, where the app inserts HTML: only for these fields.
 */
function Marked(props: { html: string; class?: string; as?: 'span' | 'p' }) {
  const Tag = props.as ?? 'span';
  return <Tag class={props.class} dangerouslySetInnerHTML={{ __html: props.html }} />;
}

/** The last search run in this page, and whose it was: in memory only, never stored. */
let last: { owner: string; query: Query } | null = null;

/** `/search`. */
export function Search() {
  const { search } = useLocation();
  const { member } = useSession();
  const owner = member?.id ?? '';
  // An old address with words in it (a bookmark, a link from before) runs once (see below).
  const fromAddress: Query = {
    q: search.get('q') ?? '',
    board: search.get('board') ?? '',
    from: search.get('from') ?? '',
    until: search.get('until') ?? '',
  };
  const initial: Query = fromAddress.q.trim()
    ? fromAddress
    : last && last.owner === owner
      ? last.query
      : { q: '', board: '', from: '', until: '' };
  const [query, setQuery] = useState<Query>(initial);
  const [boards, setBoards] = useState<Board[]>([]);
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const [searched, setSearched] = useState<Query | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [announce, setAnnounce] = useState('');
  const firstNew = useRef<HTMLAnchorElement | null>(null);
  const focusIndex = useRef<number | null>(null);

  useEffect(() => {
    if (location.search) {
      // Words in the address: keep them in memory and take them out of it; the screen then
      // opens afresh at `/search` and runs them.
      if (fromAddress.q.trim()) last = { owner, query: fromAddress };
      navigate('/search');
      return;
    }
    api<{ boards: Board[] }>('GET', '/api/boards')
      .then((b) => setBoards(b.boards))
      .catch(() => {});
    // The last search runs again at once.
    if (initial.q.trim()) void run(initial);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function run(q: Query) {
    if (busy) return;
    setBusy(true);
    setError(null);
    last = { owner, query: q };
    try {
      const page = await api<Page>('GET', `/api/search?${toParams(q).toString()}&limit=20`);
      setResults(page.results);
      setNext(page.next);
      setSearched(q);
      const n = page.results.length;
      setAnnounce(
        n === 0
          ? 'Nothing found.'
          : `${n}${page.next ? ' or more' : ''} ${n === 1 ? 'result' : 'results'} found.`,
      );
    } catch (e) {
      const a = asApiError(e);
      setResults(null);
      setSearched(null);
      setError(a);
    } finally {
      setBusy(false);
    }
  }

  async function loadMore() {
    if (!next || !searched || more) return;
    setMore(true);
    try {
      const page = await api<Page>('GET', `/api/search?${toParams(searched, next).toString()}&limit=20`);
      focusIndex.current = results?.length ?? 0;
      setResults((old) => [...(old ?? []), ...page.results]);
      setNext(page.next);
      setAnnounce(`${page.results.length} more ${page.results.length === 1 ? 'result' : 'results'}.`);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setMore(false);
    }
  }

  // After "More results", the first new result takes the focus, so keyboard users carry on there.
  useEffect(() => {
    if (focusIndex.current !== null) {
      firstNew.current?.focus();
      focusIndex.current = null;
    }
  }, [results]);

  function submit(e: Event) {
    e.preventDefault();
    void run(query);
  }

  const set = (k: keyof Query) => (e: Event) => setQuery({ ...query, [k]: (e.currentTarget as HTMLInputElement).value });
  const field = (name: keyof Query) => ({
    id: fieldId(name),
    name,
    'aria-invalid': errorFor(error, name) ? ('true' as const) : undefined,
    'aria-describedby': errorFor(error, name) ? `${fieldId(name)}-error` : undefined,
  });
  const fieldError = (name: keyof Query) =>
    errorFor(error, name) && (
      <p class="field-error" id={`${fieldId(name)}-error`}>
        <span class="visually-hidden">Error: </span>
        {errorFor(error, name)}
      </p>
    );
  const boardName = boards.find((b) => b.id === searched?.board)?.name;

  return (
    <>
      <PageHeading>Search</PageHeading>
      <form class="search-form" role="search" onSubmit={submit} noValidate>
        <ErrorSummary error={error} />
        <div class={`field${errorFor(error, 'q') ? ' field--error' : ''}`}>
          <label for={fieldId('q')}>Words to find</label>
          <p class="hint" id={`${fieldId('q')}-hint`}>
            Searches thread titles and published posts on the boards you can read.
          </p>
          {fieldError('q')}
          <div class="search-form__row">
            <input
              type="search"
              {...field('q')}
              aria-describedby={[`${fieldId('q')}-hint`, errorFor(error, 'q') ? `${fieldId('q')}-error` : ''].filter(Boolean).join(' ')}
              maxLength={200}
              autocomplete="off"
              spellcheck={false}
              value={query.q}
              onInput={set('q')}
            />
            <button type="submit" class="button button--primary" aria-disabled={busy ? 'true' : undefined}>
              {busy ? 'Searching…' : 'Search'}
            </button>
          </div>
        </div>
        <fieldset class="search-form__filters">
          <legend>Narrow it down (optional)</legend>
          <div class={`field${errorFor(error, 'board') ? ' field--error' : ''}`}>
            <label for={fieldId('board')}>Board</label>
            {fieldError('board')}
            {/* Drawn again once the boards are known, so a board from the address is selected. */}
            <select key={boards.length} {...field('board')} value={query.board} onChange={set('board')}>
              <option value="">All boards</option>
              {boards.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <div class={`field field--date${errorFor(error, 'from') ? ' field--error' : ''}`}>
            <label for={fieldId('from')}>Written from</label>
            {fieldError('from')}
            <input type="date" {...field('from')} value={query.from} max={query.until || undefined} onInput={set('from')} />
          </div>
          <div class={`field field--date${errorFor(error, 'until') ? ' field--error' : ''}`}>
            <label for={fieldId('until')}>Written until</label>
            {fieldError('until')}
            <input type="date" {...field('until')} value={query.until} min={query.from || undefined} onInput={set('until')} />
          </div>
        </fieldset>
      </form>
      <div role="status" class="live" data-testid="search-status">
        {announce && <p class="visually-hidden">{announce}</p>}
      </div>
      {results && searched && (
        <section class="section" aria-labelledby="results-heading" data-testid="search-results">
          <h2 id="results-heading" class="results__heading">
            Results for “{searched.q.trim()}”{boardName && <> in {boardName}</>}
          </h2>
          {results.length === 0 ? (
            <p class="placeholder">
              Nothing found. Try fewer or different words{searched.board || searched.from || searched.until ? ', or widen the board and days' : ''}.
            </p>
          ) : (
            <ol class="results">
              {results.map((r, i) => (
                <li key={`${r.post_id}:${i}`} class="result" data-testid="search-result" data-matched={r.matched}>
                  <h3 class="result__title">
                    <a
                      href={`/threads/${r.thread_id}#p-${r.post_id}`}
                      ref={focusIndex.current === i ? firstNew : undefined}
                      onClick={(e) => {
                        if (!isPlainClick(e)) return;
                        e.preventDefault();
                        navigate(`/threads/${r.thread_id}#p-${r.post_id}`);
                      }}
                    >
                      <Marked html={r.title_html} />
                    </a>
                  </h3>
                  <p class="meta result__meta">
                    <Link href={`/boards/${r.board_id}`}>{r.board_name}</Link>
                    {' · '}
                    {r.author ? <Link href={`/members/${encodeURIComponent(r.author)}`}>{r.author}</Link> : 'A former member'}
                    {' · '}
                    <When iso={r.created_at} />
                  </p>
                  <Marked as="p" class="result__snippet" html={r.snippet_html} />
                </li>
              ))}
            </ol>
          )}
          {next && (
            <p>
              <button type="button" class="button button--secondary" onClick={loadMore} aria-disabled={more ? 'true' : undefined}>
                {more ? 'Loading…' : 'More results'}
              </button>
            </p>
          )}
        </section>
      )}
    </>
  );
}
