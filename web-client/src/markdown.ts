// A small Markdown subset for the composer's preview, built as DOM nodes with textContent: the
// member's text is never parsed as HTML here, so nothing they type can run or load. The
// server renders the real post (pulldown-cmark + ammonia); this only has to be close enough to
// show what the formatting will do: paragraphs, line breaks, **bold**, *italic* / _italic_,
// ~~struck~~, `code`, code blocks, > quotes, - and 1. lists, # headings (shown small, as the
// server demotes them), --- rules, and links (shown as text with their address, not followed).

type Inline = Node;

const INLINE = /(\*\*|__)(?=\S)([\s\S]*?\S)\1|(\*|_)(?=\S)([\s\S]*?\S)\3|~~(?=\S)([\s\S]*?\S)~~|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<]+[^\s<.,:;"')\]])/;

function inline(text: string): Inline[] {
  const out: Inline[] = [];
  let rest = text;
  let guard = 0;
  while (rest && guard++ < 10_000) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(...withBreaks(rest));
      break;
    }
    if (m.index > 0) out.push(...withBreaks(rest.slice(0, m.index)));
    let el: HTMLElement;
    if (m[2] !== undefined) {
      el = document.createElement('strong');
      el.append(...inline(m[2]));
    } else if (m[4] !== undefined) {
      el = document.createElement('em');
      el.append(...inline(m[4]));
    } else if (m[5] !== undefined) {
      el = document.createElement('del');
      el.append(...inline(m[5]));
    } else if (m[6] !== undefined) {
      el = document.createElement('code');
      el.textContent = m[6];
    } else if (m[7] !== undefined) {
      // A link in the preview is only shown, never followed: text plus its address.
      el = document.createElement('span');
      el.className = 'preview-link';
      el.append(...inline(m[7]), document.createTextNode(` (${m[8]})`));
    } else {
      el = document.createElement('span');
      el.className = 'preview-link';
      el.textContent = m[9] ?? '';
    }
    out.push(el);
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** Text with its single line breaks kept (as the server shows them: soft breaks as spaces). */
function withBreaks(text: string): Inline[] {
  const parts = text.split(/ {2,}\n|\\\n/);
  const out: Inline[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(document.createElement('br'));
    out.push(document.createTextNode(p.replace(/\n/g, ' ')));
  });
  return out;
}

function para(lines: string[]): HTMLElement {
  const p = document.createElement('p');
  p.append(...inline(lines.join('\n')));
  return p;
}

/** Renders `source` into a fragment of safe DOM nodes. */
export function renderPreview(source: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  let buffer: string[] = [];
  const flush = () => {
    if (buffer.length) frag.append(para(buffer));
    buffer = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) {
      flush();
      i++;
      continue;
    }
    if (/^```/.test(line)) {
      flush();
      const code: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
      i++;
      const pre = document.createElement('pre');
      const c = document.createElement('code');
      c.textContent = code.join('\n');
      pre.append(c);
      frag.append(pre);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(6, heading[1].length + 2);
      const h = document.createElement(`h${level}`);
      h.append(...inline(heading[2]));
      frag.append(h);
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      frag.append(document.createElement('hr'));
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      flush();
      const quoted: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s*> ?/, ''));
      const q = document.createElement('blockquote');
      q.append(renderPreview(quoted.join('\n')));
      frag.append(q);
      continue;
    }
    const bullet = /^\s*[-*+]\s+/;
    const numbered = /^\s*(\d{1,9})[.)]\s+/;
    if (bullet.test(line) || numbered.test(line)) {
      flush();
      const ordered = numbered.test(line);
      const re = ordered ? numbered : bullet;
      const list = document.createElement(ordered ? 'ol' : 'ul');
      if (ordered) {
        const start = Number(numbered.exec(line)?.[1] ?? '1');
        if (start !== 1) list.setAttribute('start', String(start));
      }
      while (i < lines.length && re.test(lines[i])) {
        const li = document.createElement('li');
        const item = [lines[i++].replace(re, '')];
        // Continuation lines (indented, not a new item) belong to this item.
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !re.test(lines[i])) item.push(lines[i++].trim());
        li.append(...inline(item.join('\n')));
        list.append(li);
      }
      frag.append(list);
      continue;
    }
    buffer.push(line);
    i++;
  }
  flush();
  return frag;
}
