// Words shown to applicants: the group's rules, the privacy notice and staying-safe advice.
// Kept in one place so the people who run the group can review them together. The privacy
// notice follows DATA-INVENTORY.md at the repository root: change both together.

/** The group's rules, as an applicant accepts them. */
export function GroupRules() {
  return (
    <ol class="rules">
      <li>
        <strong>This is a group for adults (18 and over)</strong> whose partner, parent, child or
        sibling has committed, or fears committing, a sexual offence.
      </li>
      <li>
        <strong>Keep everyone anonymous.</strong> Do not post names, places, schools, courts, dates
        or anything else that could identify you, your family, or anyone harmed. Victims of sexual
        offences have lifelong anonymity in UK law. Posts that might identify someone are held
        until a moderator has read them.
      </li>
      <li>
        <strong>Be kind.</strong> Everyone here is going through something hard. No blame, no
        judgement of other members, no arguing about anyone's case.
      </li>
      <li>
        <strong>Share, do not advise.</strong> This group is for sharing experiences. It is not a
        helpline and cannot give legal, clinical or professional advice.
      </li>
      <li>
        <strong>Never describe offences in detail,</strong> and never share or ask for images or
        links to them.
      </li>
      <li>
        <strong>Keep what you read here, here.</strong> Do not copy, screenshot or repeat other
        members' posts anywhere else.
      </li>
      <li>
        <strong>Moderators may hold, edit or remove posts,</strong> and may suspend or close
        accounts that break these rules. If a post worries you, report it.
      </li>
      <li>
        <strong>If a child or anyone else is in danger now, call 999.</strong> The moderators are
        not an emergency service.
      </li>
    </ol>
  );
}

/** What is stored about a member, why, and for how long (see DATA-INVENTORY.md). */
export function PrivacyNotice() {
  return (
    <div class="prose">
      <p>We keep only what the forum needs to work:</p>
      <ul>
        <li>
          <strong>Your handle</strong> (the name others see) and <strong>your email</strong> (only
          for signing in and getting back into your account; other members never see it).
        </li>
        <li>
          <strong>A scrambled form of your password</strong>, never the password itself.
        </li>
        <li>
          <strong>Your date of birth is checked and then forgotten.</strong> We keep only that the
          18+ check passed, and when.
        </li>
        <li>
          <strong>What you write in your application</strong> is read by the admins and deleted as
          soon as they have decided.
        </li>
        <li>
          <strong>Your posts and chat messages</strong>, so the group can read them. In your account
          page you can download a copy of your data, and erase your account at any time.
        </li>
      </ul>
      <p>
        We never store your real name, address, phone number or IP address, and nothing about
        therapy, diagnoses or offences. There are no adverts, trackers or outside services on
        these pages: everything comes from the forum itself.
      </p>
    </div>
  );
}

/** Advice for someone who may be hiding their use of the forum. */
export function StayingSafe() {
  return (
    <div class="prose">
      <p>
        Press the <strong>Quick exit</strong> button at the top of every page, or press the{' '}
        <kbd>Esc</kbd> key twice, to leave this site at once for a weather page.
      </p>
      <p>
        Quick exit also signs you out, here and in any other tab of this site, and the Back button
        will not lead to the forum's pages. It cannot clear your browser's list of sites visited,
        which may still show this site's address. If someone else uses this device, use a private
        (incognito) window, and sign out when you finish.
      </p>
    </div>
  );
}
