// Building blocks of the forum screens: a post's body (the server's sanitised HTML), content
// warnings, the composer with its preview, what moderation decided, and signposting.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, moderationOf, sentence, type Moderation, type Post, type Signpost } from './api';
import { ErrorSummary, SubmitButton, TextArea, TextField, asApiError, errorFor, fieldId } from './components';
import { useDraft } from './drafts';
import { renderPreview } from './markdown';
import { isPlainClick, navigate } from './router';

/**
 * HTML the server rendered and sanitised (pulldown-cmark, then ammonia's allow-list). This is
 * the ONE place the app inserts HTML; everything else, member text included, is text.
 */
export function SafeHtml(props: { html: string; class?: string }) {
  return (
    <div
      class={props.class ?? 'post__body'}
      dangerouslySetInnerHTML={{ __html: props.html }}
      onClick={(e) => {
        // Mentions are links to profiles (`/members/<handle>`): open them in the app.
        const a = (e.target as Element | null)?.closest?.('a');
        const href = a?.getAttribute('href') ?? '';
        if (a && href.startsWith('/members/') && isPlainClick(e)) {
          e.preventDefault();
          navigate(href);
        }
      }}
    />
  );
}

/** A body behind its content warning, collapsed until the reader opens it. */
export function WithWarning(props: { warning: string | null | undefined; children: ComponentChildren }) {
  if (!props.warning) return <>{props.children}</>;
  return (
    <details class="cw">
      <summary>
        <span class="cw__label">Content warning:</span> {props.warning}
        <span class="cw__open"> (open to read)</span>
      </summary>
      {props.children}
    </details>
  );
}

/** Phone text with each number as a link: `tel:` to call, `sms:` where it says to text. */
function PhoneLinks(props: { phone: string }) {
  const sms = /\btext\b/i.test(props.phone);
  const parts = props.phone.split(/(\+?\d[\d ]{1,14}\d)/);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={`${sms ? 'sms' : 'tel'}:${part.replace(/\s+/g, '')}`} class="signpost__phone">
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** Support resources the rules point the author to: shown first, and plainly. */
export function Signposts(props: { signposts: Signpost[] }) {
  if (props.signposts.length === 0) return null;
  return (
    <section class="signposts" aria-labelledby="signposts-heading" data-testid="signposts">
      <h2 id="signposts-heading" class="signposts__title">
        Support you can reach now
      </h2>
      <ul class="signposts__list">
        {props.signposts.map((s) => (
          <li key={s.name} class="signpost">
            <h3 class="signpost__title">{s.title}</h3>
            <p>{s.text}</p>
            {s.phone && (
              <p class="signpost__line">
                <span class="visually-hidden">Phone: </span>
                <PhoneLinks phone={s.phone} />
              </p>
            )}
            {s.url && (
              <p class="signpost__line">
                <a href={s.url} rel="noopener noreferrer">
                  {s.url.replace(/^https?:\/\//, '')}
                </a>
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** What became of a post or edit: published, waiting (kindly), or not posted (with why). */
export function Outcome(props: { moderation: Moderation | null; what: string; focus?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const m = props.moderation;
  useEffect(() => {
    if (m && props.focus !== false) ref.current?.focus();
  }, [m]);
  if (!m) return null;
  // A rejection's reasons come most severe first, and may go on with what milder rules would
  // have said ("a moderator reads new members' first posts"), which only confuses someone
  // whose words were not posted at all: for a rejection, the first reason is the reason.
  const reasons = (m.status === 'rejected' ? m.reasons.slice(0, 1) : m.reasons).map(sentence);
  return (
    <div class="outcome" ref={ref} tabIndex={-1} data-testid="outcome" data-status={m.status}>
      {m.signpost.length > 0 && <Signposts signposts={m.signpost} />}
      {m.status === 'published' && (
        <div class="notice notice--success" role="status">
          <p>Your {props.what} is posted.</p>
          {reasons.map((r) => (
            <p key={r}>{r}</p>
          ))}
        </div>
      )}
      {m.status === 'held' && (
        <div class="notice notice--info" role="status">
          <h2 class="notice__title">Your {props.what} is waiting for a moderator</h2>
          {reasons.map((r) => (
            <p key={r}>{r}</p>
          ))}
          <p>You can see it in the thread, marked as waiting. Nobody else can until it is approved.</p>
        </div>
      )}
      {m.status === 'rejected' && (
        <div class="notice notice--warning" role="alert">
          <h2 class="notice__title">Your {props.what} was not posted</h2>
          {reasons.map((r) => (
            <p key={r}>{r}</p>
          ))}
          <p>Your words are still in the box below, so you can change them and try again.</p>
        </div>
      )}
    </div>
  );
}

/** The live preview of a post's Markdown, built from DOM text nodes (never HTML). */
export function Preview(props: { source: string; id: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.replaceChildren(renderPreview(props.source));
  }, [props.source]);
  return (
    <section class="preview" aria-labelledby={`${props.id}-title`} data-testid="preview">
      <h3 class="preview__title" id={`${props.id}-title`}>
        Preview
      </h3>
      {!props.source.trim() && <p class="hint">Nothing to preview yet.</p>}
      <div class="post__body" ref={ref} />
    </section>
  );
}

export interface ComposerValues extends Record<string, string> {
  title: string;
  body: string;
  warning: string;
}

const EMPTY: ComposerValues = { title: '', body: '', warning: '' };

/**
 * The composer for a new thread (with a title), a reply, or an edit. What is typed is kept as
 * a draft in this browser until it is posted. `send` resolves with the moderation outcome, or
 * throws an ApiError (a 422 from the rules keeps the words in the box, with the reason).
 */
export function Composer(props: {
  kind: 'thread' | 'reply' | 'edit';
  /** Where the draft is kept (null: not kept, for edits). */
  draftKey: string | null;
  initial?: Partial<ComposerValues>;
  send: (v: ComposerValues) => Promise<Moderation>;
  onDone?: (m: Moderation) => void;
  onCancel?: () => void;
  idPrefix: string;
  heading?: string;
  /** Text to add to the post (a quote), with a number that changes for each addition. */
  insert?: { text: string; n: number } | null;
}) {
  const [values, setValues, clear] = useDraft<ComposerValues>(props.draftKey, {
    title: props.initial?.title ?? '',
    body: props.initial?.body ?? '',
    warning: props.initial?.warning ?? '',
  });
  const [preview, setPreview] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [outcome, setOutcome] = useState<Moderation | null>(null);
  const what = props.kind === 'thread' ? 'thread' : props.kind === 'reply' ? 'reply' : 'edit';
  const p = props.idPrefix;

  // A quote goes after what is already written, and the caret after it, ready to reply.
  useEffect(() => {
    if (!props.insert) return;
    const before = values.body.trim() ? `${values.body.replace(/\s*$/, '')}\n\n` : '';
    const body = before + props.insert.text;
    setValues({ ...values, body });
    window.requestAnimationFrame(() => {
      const el = document.getElementById(fieldId(`${p}-body`)) as HTMLTextAreaElement | null;
      if (!el) return;
      el.focus();
      el.setSelectionRange(body.length, body.length);
      el.scrollIntoView({ block: 'center' });
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.insert?.n]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setOutcome(null);
    if (props.kind === 'thread' && !values.title.trim()) {
      setError(new ApiError(400, 'invalid', 'give your thread a title', `${p}-title`));
      return;
    }
    if (!values.body.trim()) {
      setError(new ApiError(400, 'invalid', 'write something first', `${p}-body`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const m = await props.send(values);
      if (props.draftKey) clear();
      else setValues({ ...EMPTY });
      setPreview(false);
      setOutcome(m);
      props.onDone?.(m);
    } catch (err) {
      const m = moderationOf(err);
      if (m) {
        // Rejected by the rules: the reason, and the words stay where they are.
        setOutcome(m);
      } else {
        const a = asApiError(err);
        const field = a.field === 'body' ? `${p}-body` : a.field === 'title' ? `${p}-title` : a.field === 'content_warning' ? `${p}-warning` : a.field;
        setError(new ApiError(a.status, a.code, a.message, field));
      }
    } finally {
      setBusy(false);
    }
  }

  const label = props.kind === 'thread' ? 'Your first post' : props.kind === 'reply' ? 'Your reply' : 'Your post';
  return (
    <form class="composer" onSubmit={submit} noValidate aria-labelledby={props.heading ? `${p}-heading` : undefined}>
      {props.heading && (
        <h2 id={`${p}-heading`} class="composer__heading">
          {props.heading}
        </h2>
      )}
      <Outcome moderation={outcome} what={what} />
      <ErrorSummary error={error} />
      {props.kind === 'thread' && (
        <TextField
          name={`${p}-title`}
          label="Title"
          maxLength={200}
          value={values.title}
          onValue={(v) => setValues({ ...values, title: v })}
          error={errorFor(error, `${p}-title`)}
        />
      )}
      <TextArea
        name={`${p}-body`}
        label={label}
        hint={
          <>
            You can use simple formatting: **bold**, *italic*, - lists, &gt; quotes.
            {props.draftKey && ' What you type is kept on this device until you post it.'}
          </>
        }
        rows={props.kind === 'reply' ? 5 : 8}
        mentions
        value={values.body}
        onValue={(v) => setValues({ ...values, body: v })}
        error={errorFor(error, `${p}-body`)}
      />
      {preview && <Preview source={values.body} id={`${p}-preview`} />}
      <TextField
        name={`${p}-warning`}
        label="Content warning (optional)"
        hint="If your post has something others may find hard to read, say what in a few words. Readers see this first and choose whether to open it."
        maxLength={200}
        value={values.warning}
        onValue={(v) => setValues({ ...values, warning: v })}
        error={errorFor(error, `${p}-warning`)}
      />
      <div class="actions actions--tight">
        <SubmitButton busy={busy} busyText="Posting…">
          {props.kind === 'thread' ? 'Start thread' : props.kind === 'reply' ? 'Post reply' : 'Save changes'}
        </SubmitButton>
        <button type="button" class="button button--secondary" aria-pressed={preview ? 'true' : 'false'} onClick={() => setPreview(!preview)}>
          {preview ? 'Hide preview' : 'Preview'}
        </button>
        {props.onCancel && (
          <button type="button" class="button button--quiet" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** A post's place in moderation, as its author sees it. */
export function StatusNote(props: { post: Post }) {
  const { post } = props;
  if (post.status === 'held') {
    return (
      <p class="status-note status-note--held">
        <strong>Waiting for a moderator.</strong> Only you and the moderators can see this for now.
      </p>
    );
  }
  if (post.status === 'rejected' || post.status === 'removed') {
    return (
      <div class="status-note status-note--rejected">
        <p>
          <strong>{post.status === 'rejected' ? 'Not published.' : 'Removed by the moderators.'}</strong> Only you
          and the moderators can see this.
        </p>
        {post.decision_reason && (
          <p>
            <span class="status-note__from">From the moderators:</span> {post.decision_reason}
          </p>
        )}
      </div>
    );
  }
  return null;
}

/** Longest quote put into a reply, in characters: a quote points at a post, it does not copy it. */
const QUOTE_MAX = 600;

/**
 * A published post as a Markdown quote for a reply: "> @handle wrote:" and the post's text as
 * members see it (from the server's sanitised HTML, so nothing held or removed can be quoted:
 * only published posts offer it). Quotes inside the post are left out, so quotes do not nest.
 * The quote is part of the new post, and the rules read it with the rest.
 */
export function quoteOf(post: Post): string {
  const doc = new DOMParser().parseFromString(post.body_html, 'text/html');
  const lines: string[] = [];
  for (const el of Array.from(doc.body.children)) {
    if (el.tagName === 'BLOCKQUOTE') continue;
    const items = el.tagName === 'UL' || el.tagName === 'OL' ? Array.from(el.children).map((li) => `- ${li.textContent ?? ''}`) : [el.textContent ?? ''];
    for (const item of items) {
      const text = item.replace(/\s+/g, ' ').trim();
      if (text) lines.push(text);
    }
  }
  let text = lines.join('\n\n');
  if (text.length > QUOTE_MAX) text = `${text.slice(0, QUOTE_MAX).replace(/\s+\S*$/, '')} …`;
  const who = post.author ? `@${post.author}` : 'A former member';
  const quoted = text
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');
  return `> ${who} wrote:\n>\n${quoted}\n\n`;
}
