// The moderation rules in force (from the rules file), and reloading them after the file was
// edited. A file with problems is refused and the old rules stay in force: each problem is
// listed with its line, so the admin can fix it.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, sentence, type ReadyReason, type RuleSummary } from '../../api';
import { ErrorSummary, Loading, LiveNotice, PageHeading, asApiError } from '../../components';

interface RulesAnswer {
  file: string;
  rules: RuleSummary[];
  ready_reasons: ReadyReason[];
}

const ACTION: Record<string, string> = {
  flag: 'Publish and show to moderators',
  hold: 'Hold for a moderator',
  reject: 'Refuse, with a message',
};

/** `/admin/rules`. */
export function AdminRules() {
  const [data, setData] = useState<RulesAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [problems, setProblems] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [announce, setAnnounce] = useState('');
  const problemsRef = useRef<HTMLDivElement>(null);

  const load = () =>
    api<RulesAnswer>('GET', '/api/admin/rules')
      .then(setData)
      .catch((e) => setError(asApiError(e)));
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (problems) problemsRef.current?.focus();
  }, [problems]);

  async function reload() {
    if (busy) return;
    setBusy(true);
    setError(null);
    setProblems(null);
    setAnnounce('');
    try {
      const b = await api<{ rules: number }>('POST', '/api/admin/rules/reload');
      setAnnounce(`The rules were reloaded: ${b.rules} ${b.rules === 1 ? 'rule is' : 'rules are'} in force.`);
      void load();
    } catch (e) {
      const a = asApiError(e);
      if (a.code === 'rules_invalid') setProblems(a);
      else setError(a);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading>Moderation rules</PageHeading>
      <p class="lead">
        These rules check every post, title, edit and chat message before anyone else sees it. They come from the rules file
        {data && (
          <>
            {' '}
            <code class="mono">{data.file}</code>
          </>
        )}
        . After editing the file, reload it here: if the file has a mistake, nothing changes and each problem is listed.
      </p>
      <LiveNotice message={announce} />
      <ErrorSummary error={error} />
      {problems && (
        <div class="error-summary" role="alert" tabIndex={-1} ref={problemsRef} data-testid="rules-problems">
          <h2 class="error-summary__title">The rules file was not loaded</h2>
          <p>{sentence(problems.message)}</p>
          {problems.problems && problems.problems.length > 0 && (
            <ul>
              {problems.problems.map((p, i) => (
                <li key={i}>
                  <strong>Line {p.line}:</strong> {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <p>
        <button type="button" class="button button--primary" onClick={reload} aria-disabled={busy ? 'true' : undefined}>
          {busy ? 'Checking the file…' : 'Check and reload the rules'}
        </button>
      </p>
      {!data && !error && <Loading what="the rules" />}
      {data && (
        <section class="section" aria-labelledby="rules-heading">
          <h2 id="rules-heading">
            {data.rules.length} {data.rules.length === 1 ? 'rule' : 'rules'} in force
          </h2>
          <ul class="cards" data-testid="rules">
            {data.rules.map((r) => (
              <li key={`${r.line}-${r.name}`}>
                <article class="card" aria-labelledby={`rule-${r.line}`}>
                  <h3 id={`rule-${r.line}`} class="card__title card__title--small">
                    {r.name}
                  </h3>
                  <p class="meta">
                    <span class={`badge badge--${r.action}`}>{ACTION[r.action] ?? r.action}</span> · line {r.line}
                  </p>
                  {r.description && <p>{r.description}</p>}
                  <dl class="summary-list summary-list--compact summary-list--rules">
                    {r.everything && (
                      <div>
                        <dt>Looks at</dt>
                        <dd>Everything</dd>
                      </div>
                    )}
                    {r.detect.length > 0 && (
                      <div>
                        <dt>Detects</dt>
                        <dd>{r.detect.join(', ').replace(/_/g, ' ')}</dd>
                      </div>
                    )}
                    {r.words.length > 0 && (
                      <div>
                        <dt>Words</dt>
                        <dd>{r.words.length === 1 ? '1 word or phrase' : `${r.words.length} words and phrases`}</dd>
                      </div>
                    )}
                    {r.patterns.length + r.case_sensitive_patterns.length > 0 && (
                      <div>
                        <dt>Patterns</dt>
                        <dd>{r.patterns.length + r.case_sensitive_patterns.length}</dd>
                      </div>
                    )}
                    {r.kinds.length > 0 && (
                      <div>
                        <dt>Only on</dt>
                        <dd>{r.kinds.join(', ').replace(/_/g, ' ')}</dd>
                      </div>
                    )}
                    {r.until_approved_posts !== undefined && r.until_approved_posts !== null && (
                      <div>
                        <dt>Applies to</dt>
                        <dd>members with fewer than {r.until_approved_posts} approved posts</dd>
                      </div>
                    )}
                    {r.signpost.length > 0 && (
                      <div>
                        <dt>Signposts</dt>
                        <dd>{r.signpost.join(', ').replace(/_/g, ' ')}</dd>
                      </div>
                    )}
                    {r.concern && (
                      <div>
                        <dt>Safeguarding</dt>
                        <dd>Raises a concern for the safeguarding leads</dd>
                      </div>
                    )}
                  </dl>
                  {r.message && (
                    <details class="disclosure">
                      <summary>
                        <span>What the author is told</span>
                      </summary>
                      <p>{r.message}</p>
                    </details>
                  )}
                </article>
              </li>
            ))}
          </ul>
        </section>
      )}
      {data && data.ready_reasons.length > 0 && (
        <section class="section" aria-labelledby="ready-heading">
          <h2 id="ready-heading">Ready reasons for rejecting</h2>
          <dl class="summary-list">
            {data.ready_reasons.map((r) => (
              <div key={r.id}>
                <dt>{r.id.replace(/-/g, ' ')}</dt>
                <dd>{r.text}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}
    </>
  );
}
