// Small building blocks shared by the screens: links that stay in the app, labelled fields
// whose errors are tied to them, an error summary that is announced and takes focus, notices.

import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, formatDate, relativeTime, sentence } from './api';
import { useMentionCompletion } from './mentions';
import { hasNavigated, isPlainClick, navigate } from './router';

/** A link to a screen of the app: plain `<a href>` (so it works with a middle click), routed in place. */
export function Link(props: {
  href: string;
  class?: string;
  children: ComponentChildren;
  'aria-current'?: 'page' | undefined;
}) {
  const { href, children, ...rest } = props;
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        if (!isPlainClick(e)) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/**
 * The screen's heading. It takes focus when the screen opens, so a screen-reader user hears
 * where they are after every navigation, and keyboard users continue from the top of it.
 */
export function PageHeading(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (hasNavigated()) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} id="page-heading">
      {props.children}
    </h1>
  );
}

/** The message for a field, if the server's error was about that field. */
export function errorFor(error: ApiError | null, field: string): string | undefined {
  if (!error) return undefined;
  const several = error.fields?.[field];
  if (several) return sentence(several);
  return error.field === field ? sentence(error.message) : undefined;
}

/** Field ids are derived from names, so an error summary can link to the field. */
export function fieldId(name: string): string {
  return `field-${name.replace(/[^a-z0-9_-]/gi, '-')}`;
}

interface InputProps {
  name: string;
  type?: 'text' | 'email' | 'password';
  autocomplete?: string;
  autocapitalize?: 'none' | 'sentences';
  spellcheck?: boolean;
  maxLength?: number;
  inputMode?: 'numeric' | 'text' | 'email';
  class?: string;
  label: string;
  hint?: ComponentChildren;
  error?: string;
  value: string;
  onValue: (value: string) => void;
}

/** A labelled text input with an optional hint and an error tied to it with aria-describedby. */
export function TextField(props: InputProps) {
  const { name, label, hint, error, value, onValue, class: cls, type = 'text', ...rest } = props;
  const id = fieldId(name);
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  // Preact types <input> per `type`; this one component serves text, email and password.
  const attrs = {
    id,
    name,
    type,
    value,
    onInput: (e: Event) => onValue((e.currentTarget as HTMLInputElement).value),
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy || undefined,
    ...rest,
  } as InputHTMLAttributes<HTMLInputElement>;
  return (
    <div class={`field${error ? ' field--error' : ''}${cls ? ` ${cls}` : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
      <input {...attrs} />
    </div>
  );
}

/** A labelled multi-line input. */
export function TextArea(props: {
  name: string;
  label: string;
  hint?: ComponentChildren;
  error?: string;
  value: string;
  onValue: (value: string) => void;
  rows?: number;
  maxLength?: number;
  required?: boolean;
  /** Offer @mention completion (mentions.tsx). */
  mentions?: boolean;
}) {
  const { name, label, hint, error, value, onValue, rows = 5, maxLength, required } = props;
  const id = fieldId(name);
  const completion = useMentionCompletion(id, value, onValue);
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
      <textarea
        id={id}
        name={name}
        rows={rows}
        maxLength={maxLength}
        required={required}
        value={value}
        onInput={(e) => {
          const el = e.currentTarget as HTMLTextAreaElement;
          onValue(el.value);
          if (props.mentions) completion.onInput(el);
        }}
        onKeyDown={props.mentions ? (e) => completion.onKeyDown(e) : undefined}
        onBlur={props.mentions ? completion.close : undefined}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
        {...(props.mentions ? completion.boxProps : {})}
      />
      {props.mentions && completion.list}
    </div>
  );
}

/** A checkbox with its label beside it, and its own error. */
export function Checkbox(props: {
  name: string;
  label: ComponentChildren;
  error?: string;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  hint?: ComponentChildren;
}) {
  const { name, label, error, checked, onChecked, hint } = props;
  const id = fieldId(name);
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field checkbox${error ? ' field--error' : ''}`}>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
      <div class="checkbox-row">
        <input
          type="checkbox"
          id={id}
          name={name}
          checked={checked}
          onChange={(e) => onChecked((e.currentTarget as HTMLInputElement).checked)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={describedBy || undefined}
        />
        <label for={id}>{label}</label>
      </div>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/**
 * What went wrong with a form, at the top of it: announced at once (role="alert"), focused so
 * keyboard users land on it, and linking to the field the server named.
 */
export function ErrorSummary(props: { error: ApiError | null; title?: string; tone?: 'error' | 'info' }) {
  const ref = useRef<HTMLDivElement>(null);
  const { error } = props;
  useEffect(() => {
    if (error) ref.current?.focus();
  }, [error]);
  if (!error) return null;
  return (
    <div class={`error-summary${props.tone === 'info' ? ' error-summary--info' : ''}`} role="alert" tabIndex={-1} ref={ref}>
      <h2 class="error-summary__title">{props.title ?? (error.fields && Object.keys(error.fields).length > 1 ? 'There are problems' : 'There is a problem')}</h2>
      {error.fields && Object.keys(error.fields).length > 1 ? (
        <ul class="error-summary__list">
          {Object.entries(error.fields).map(([field, message]) => (
            <li key={field}>
              <a
                href={`#${fieldId(field)}`}
                onClick={(e) => {
                  e.preventDefault();
                  document.getElementById(fieldId(field))?.focus();
                }}
              >
                {sentence(message)}
              </a>
            </li>
          ))}
        </ul>
      ) : (
      <p>
        {error.field ? (
          <a
            href={`#${fieldId(error.field)}`}
            onClick={(e) => {
              e.preventDefault();
              document.getElementById(fieldId(error.field ?? ''))?.focus();
            }}
          >
            {sentence(error.message)}
          </a>
        ) : (
          sentence(error.message)
        )}
      </p>
      )}
    </div>
  );
}

/** A calm panel for good news or information; announced politely when it appears. */
export function Notice(props: {
  kind?: 'success' | 'info' | 'warning';
  title?: string;
  children: ComponentChildren;
  focus?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.focus) ref.current?.focus();
  }, [props.focus]);
  return (
    <div class={`notice notice--${props.kind ?? 'info'}`} role="status" tabIndex={-1} ref={ref}>
      {props.title && <h2 class="notice__title">{props.title}</h2>}
      {props.children}
    </div>
  );
}

/**
 * A region that is always in the page and announces what it is given (a decision made, a
 * member updated): a live region has to exist before its text changes to be heard.
 */
export function LiveNotice(props: { message: string }) {
  return (
    <div role="status" class="live">
      {props.message && (
        <div class="notice notice--success">
          <p>{props.message}</p>
        </div>
      )}
    </div>
  );
}

/** A button that shows it is working and cannot be pressed twice meanwhile. */
export function SubmitButton(props: {
  busy: boolean;
  children: ComponentChildren;
  kind?: 'primary' | 'secondary' | 'danger';
  busyText?: string;
}) {
  return (
    <button
      type="submit"
      class={`button button--${props.kind ?? 'primary'}`}
      aria-disabled={props.busy ? 'true' : undefined}
      onClick={(e) => {
        if (props.busy) e.preventDefault();
      }}
    >
      {props.busy ? (props.busyText ?? 'Please wait…') : props.children}
    </button>
  );
}

/** Turns anything thrown into an ApiError the screens can show. */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, 'unexpected', 'Something went wrong. Please try again.');
}

/** A loading line that screen readers hear once. */
export function Loading(props: { what?: string }) {
  return (
    <p class="loading" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

// One timer for every time on the page: relative times move on once a minute.
const minuteListeners = new Set<() => void>();
let minuteTimer: number | undefined;

function useMinute(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const tick = () => setNow(Date.now());
    minuteListeners.add(tick);
    if (minuteTimer === undefined) {
      minuteTimer = window.setInterval(() => minuteListeners.forEach((f) => f()), 60_000);
    }
    return () => {
      minuteListeners.delete(tick);
      if (minuteListeners.size === 0 && minuteTimer !== undefined) {
        window.clearInterval(minuteTimer);
        minuteTimer = undefined;
      }
    };
  }, []);
  return now;
}

/**
 * A time, said the way people say it ("5 minutes ago", "yesterday"), with the exact date and
 * time in a tooltip that hovering and keyboard focus both show (screen readers hear both).
 * The one way the app shows when something happened.
 */
export function When(props: { iso: string | null | undefined; class?: string }) {
  const now = useMinute();
  if (!props.iso) return null;
  const exact = formatDate(props.iso);
  const relative = relativeTime(props.iso, now);
  return (
    <time class={`when${props.class ? ` ${props.class}` : ''}`} dateTime={props.iso} tabIndex={0} data-exact={exact}>
      {relative}
      {relative !== exact && (
        <span class="when__exact">
          <span class="visually-hidden"> (</span>
          {exact}
          <span class="visually-hidden">)</span>
        </span>
      )}
    </time>
  );
}
