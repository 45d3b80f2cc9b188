// A member's profile: their handle, the month they joined, how many posts, and a short "about"
// text. On someone else's: mute or unmute them (they are not told). On one's own: edit the
// "about" text, which goes through the group's rules.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, ApiError, formatMonth, moderationOf, sentence, type Moderation, type Profile } from '../api';
import { ErrorSummary, Link, Loading, Notice, PageHeading, SubmitButton, TextArea, asApiError, errorFor } from '../components';
import { Signposts } from '../forum';
import { setMuted } from '../mutes';

const ROLE: Record<string, string> = { member: 'Member', moderator: 'Moderator', admin: 'Admin' };
const ABOUT_MAX = 280;

/**
 * `/member`: the profile of the handle the router keeps in memory (links still say
 * `/members/<handle>`; router.ts keeps the handle out of the address). `null` after a reload.
 */
export function ProfileScreen(props: { handle: string | null }) {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (!props.handle) return;
    setProfile(null);
    setError(null);
    api<{ profile: Profile }>('GET', `/api/members/${encodeURIComponent(props.handle)}`)
      .then((b) => setProfile(b.profile))
      .catch((e) => setError(asApiError(e)));
  }, [props.handle]);

  if (!props.handle) {
    // A reload of `/member`: the handle was never in the address, so it is gone.
    return (
      <>
        <PageHeading>Profile</PageHeading>
        <p>
          To see a member’s profile, choose their name on one of their posts. <Link href="/">Go to the boards</Link>.
        </p>
      </>
    );
  }

  if (error?.status === 404) {
    return (
      <>
        <PageHeading>Member not found</PageHeading>
        <p>
          There is no member called {props.handle}. They may have left the group. <Link href="/">Go to the boards</Link>.
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeading>{profile ? profile.handle : props.handle}</PageHeading>
      <ErrorSummary error={error} />
      {!profile && !error && <Loading what="the profile" />}
      {profile && (
        <>
          {profile.mine && (
            <p class="badges badges--heading">
              <span class="tag tag--first">This is you</span>
            </p>
          )}
          <dl class="summary-list" data-testid="profile">
            <div>
              <dt>Joined</dt>
              <dd>{formatMonth(profile.joined)}</dd>
            </div>
            <div>
              <dt>Posts</dt>
              <dd>{profile.post_count}</dd>
            </div>
            {profile.role !== 'member' && (
              <div>
                <dt>Role</dt>
                <dd>{ROLE[profile.role] ?? profile.role}</dd>
              </div>
            )}
            <div>
              <dt>About</dt>
              <dd class="profile__about" data-testid="about">
                {profile.about ?? <span class="placeholder">{profile.mine ? 'You have not written anything here yet.' : 'Nothing written here yet.'}</span>}
              </dd>
            </div>
          </dl>
          {profile.mine ? (
            <AboutForm about={profile.about} onSaved={(about) => setProfile({ ...profile, about })} />
          ) : (
            <MuteControl profile={profile} onChanged={(muted_by_me) => setProfile({ ...profile, muted_by_me })} />
          )}
        </>
      )}
    </>
  );
}

/** Mute or unmute another member: their posts and chat messages are collapsed for you. */
function MuteControl(props: { profile: Profile; onChanged: (muted: boolean) => void }) {
  const { profile } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');

  async function change(on: boolean) {
    if (busy) return;
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const b = await api<{ muted: boolean }>(on ? 'PUT' : 'DELETE', `/api/members/${encodeURIComponent(profile.handle)}/mute`);
      setMuted(profile.handle, b.muted);
      props.onChanged(b.muted);
      setDone(b.muted ? `You muted ${profile.handle}.` : `You unmuted ${profile.handle}.`);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="section" aria-labelledby="mute-heading" data-testid="mute">
      <h2 id="mute-heading">{profile.muted_by_me ? `You muted ${profile.handle}` : `Mute ${profile.handle}`}</h2>
      <ErrorSummary error={error} title="That did not work" tone="info" />
      <div role="status">{done && <p class="notice notice--success">{done}</p>}</div>
      {profile.muted_by_me ? (
        <p>Their posts and chat messages are collapsed for you, and you are not told when they mention you.</p>
      ) : (
        <p>They won’t be told. Their posts will be collapsed for you.</p>
      )}
      <button
        type="button"
        class="button button--secondary"
        onClick={() => void change(!profile.muted_by_me)}
        aria-disabled={busy ? 'true' : undefined}
      >
        {profile.muted_by_me ? `Unmute ${profile.handle}` : `Mute ${profile.handle}`}
      </button>
      <p class="hint">Nobody else can see who you have muted. You can unmute them here or on your account page.</p>
    </section>
  );
}

/** The "about" text: a line or two, checked by the rules (nothing that could identify anyone). */
export function AboutForm(props: { about: string | null; onSaved: (about: string | null) => void }) {
  const [text, setText] = useState(props.about ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [refused, setRefused] = useState<Moderation | null>(null);
  const [done, setDone] = useState('');
  const refusedRef = useRef<HTMLDivElement>(null);

  useEffect(() => setText(props.about ?? ''), [props.about]);
  useEffect(() => {
    if (refused) refusedRef.current?.focus();
  }, [refused]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setDone('');
    setRefused(null);
    if (text.length > ABOUT_MAX) {
      setError(new ApiError(400, 'invalid', `keep it to ${ABOUT_MAX} characters or fewer`, 'about'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const b = await api<{ about: string | null }>('PUT', '/api/me/profile', { about: text });
      props.onSaved(b.about);
      setText(b.about ?? '');
      setDone(b.about ? 'Your profile text was saved.' : 'Your profile text was cleared.');
    } catch (err) {
      const m = moderationOf(err);
      if (m) setRefused(m);
      else setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  const reasons = (refused?.reasons ?? []).map(sentence);
  return (
    <form class="form section" onSubmit={submit} noValidate aria-labelledby="about-heading">
      <h2 id="about-heading">About you</h2>
      {done && (
        <Notice kind="success" focus>
          <p>{done}</p>
        </Notice>
      )}
      {refused && (
        <div class="outcome" ref={refusedRef} tabIndex={-1} data-testid="about-refused">
          {refused.signpost.length > 0 && <Signposts signposts={refused.signpost} />}
          <div class="notice notice--warning" role="alert">
            <h3 class="notice__title">That was not saved</h3>
            <p>
              A profile is shown to everyone straight away, so anything the group’s rules would
              hold for a moderator is not saved here.
            </p>
            {reasons.map((r) => (
              <p key={r}>{r}</p>
            ))}
            <p>Your words are still in the box, so you can change them and try again.</p>
          </div>
        </div>
      )}
      <ErrorSummary error={error} />
      <TextArea
        name="about"
        label="A line or two others see on your profile (optional)"
        hint={`Nothing that could identify you or anyone else: no names, places or contact details. At most ${ABOUT_MAX} characters; leave it empty to clear it.`}
        rows={3}
        maxLength={ABOUT_MAX}
        value={text}
        onValue={setText}
        error={errorFor(error, 'about')}
      />
      <p class="hint about-count">
        {text.length} of {ABOUT_MAX} characters
      </p>
      <SubmitButton busy={busy} kind="secondary" busyText="Saving…">
        Save
      </SubmitButton>
    </form>
  );
}
