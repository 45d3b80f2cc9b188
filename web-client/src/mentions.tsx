// @mention completion for the post and chat boxes: typing `@Ka` asks the server for active
// members' handles starting with "Ka" (GET /api/mentions, limited per member) and offers them
// in a list under the box. The box works as a combobox with a listbox popup: a textarea may not
// take the combobox role (ARIA in HTML allows it only `textbox`), so it keeps that role and
// carries the combobox's other attributes (aria-autocomplete, aria-controls, and
// aria-activedescendant pointing at the highlighted option); the list is a `listbox` of
// `option`s, and the number found is announced. Arrow keys move through the handles, Enter or
// Tab puts the chosen one in, Escape closes the list (and only the list: Escape pressed twice
// still means quick exit, which listens before anything else).

import { useRef, useState } from 'preact/hooks';

import { api } from './api';

/** What a box needs to offer completion: attributes and handlers for it, and the list. */
export interface MentionCompletion {
  /** Spread on the textarea. */
  boxProps: {
    'aria-autocomplete': 'list';
    'aria-controls': string;
    'aria-activedescendant'?: string;
  };
  /** Call from the box's input handler (after updating the value). */
  onInput: (el: HTMLTextAreaElement) => void;
  /** Call first from the box's keydown handler; true when it used the key. */
  onKeyDown: (e: KeyboardEvent) => boolean;
  /** Closes the list (for the box's blur). */
  close: () => void;
  /** The list, to render right after the box. */
  list: preact.JSX.Element;
}

/** The `@` and letters just before the caret, if the member is typing a mention there. */
function typedMention(el: HTMLTextAreaElement): { start: number; end: number; prefix: string } | null {
  const caret = el.selectionStart ?? el.value.length;
  if (el.selectionEnd !== caret) return null;
  const m = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,32})$/.exec(el.value.slice(0, caret));
  if (!m) return null;
  return { start: caret - m[2].length - 1, end: caret, prefix: m[2] };
}

/** Completion for the textarea with id `id`, whose value is `value`. */
export function useMentionCompletion(id: string, value: string, onValue: (v: string) => void): MentionCompletion {
  const [options, setOptions] = useState<string[]>([]);
  const [active, setActive] = useState(0);
  const range = useRef<{ start: number; end: number } | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const asked = useRef(0);
  const listId = `${id}-mentions`;
  const open = options.length > 0;

  function close() {
    asked.current += 1;
    window.clearTimeout(timer.current);
    range.current = null;
    setOptions([]);
  }

  function onInput(el: HTMLTextAreaElement) {
    const typed = typedMention(el);
    if (!typed) {
      close();
      return;
    }
    range.current = { start: typed.start, end: typed.end };
    window.clearTimeout(timer.current);
    const n = ++asked.current;
    // One question per pause in typing, not one per key.
    timer.current = window.setTimeout(() => {
      api<{ handles: string[] }>('GET', `/api/mentions?prefix=${encodeURIComponent(typed.prefix)}`)
        .then((b) => {
          if (n !== asked.current) return;
          setOptions(b.handles);
          setActive(0);
        })
        .catch(() => {
          if (n === asked.current) setOptions([]);
        });
    }, 200);
  }

  function choose(handle: string) {
    const r = range.current;
    if (!r) return;
    const next = `${value.slice(0, r.start)}@${handle} ${value.slice(r.end)}`;
    const caret = r.start + handle.length + 2;
    onValue(next);
    close();
    window.requestAnimationFrame(() => {
      const el = document.getElementById(id) as HTMLTextAreaElement | null;
      el?.focus();
      el?.setSelectionRange(caret, caret);
    });
  }

  function onKeyDown(e: KeyboardEvent): boolean {
    if (!open) return false;
    if (e.key === 'ArrowDown') {
      setActive((a) => (a + 1) % options.length);
    } else if (e.key === 'ArrowUp') {
      setActive((a) => (a - 1 + options.length) % options.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      choose(options[Math.min(active, options.length - 1)]);
    } else if (e.key === 'Escape' || e.key === 'Esc') {
      close();
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  }

  return {
    boxProps: {
      'aria-autocomplete': 'list',
      'aria-controls': listId,
      'aria-activedescendant': open ? `${listId}-${active}` : undefined,
    },
    onInput,
    onKeyDown,
    close,
    list: (
      <>
        <ul id={listId} role="listbox" class="mentions" aria-label="Members to mention" hidden={!open} data-testid="mention-options">
          {options.map((h, i) => (
            <li
              key={h}
              id={`${listId}-${i}`}
              role="option"
              class={`mentions__option${i === active ? ' mentions__option--active' : ''}`}
              aria-selected={i === active ? 'true' : 'false'}
              onMouseDown={(e) => {
                // Keep the focus in the box.
                e.preventDefault();
                choose(h);
              }}
            >
              @{h}
            </li>
          ))}
        </ul>
        <p class="visually-hidden" aria-live="polite">
          {open ? `${options.length} ${options.length === 1 ? 'member' : 'members'} found: use the up and down arrows and Enter to choose.` : ''}
        </p>
      </>
    ),
  };
}
