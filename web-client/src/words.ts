// Words for the codes the server keeps, in one place: the reasons members give when reporting a
// post, and the audit log's actions as sentences. Screens show these, never the codes, so a
// volunteer on an evening shift reads "Could identify someone", not "identifying".

import { formatDate, type AuditView } from './api';

/** Report reasons: what the member picks from, and how moderators read it. */
export const REPORT_REASONS: { code: string; choice: string; label: string }[] = [
  { code: 'identifying', choice: 'It could identify someone', label: 'Could identify someone' },
  { code: 'unkind', choice: 'It is unkind or hurtful', label: 'Unkind or hurtful' },
  { code: 'unsafe', choice: 'Someone may be at risk', label: 'Someone may be at risk' },
  { code: 'graphic', choice: 'It is too graphic or detailed', label: 'Too graphic or detailed' },
  { code: 'spam', choice: 'Spam or advertising', label: 'Spam or advertising' },
  { code: 'other', choice: 'Something else', label: 'Something else' },
];

/** A report reason's label for moderators ("Could identify someone"). */
export function reportReason(code: string): string {
  return REPORT_REASONS.find((r) => r.code === code)?.label ?? code.replace(/_/g, ' ');
}

/** `until 2027-01-03T10:00:00+00:00: the reason` (as suspensions are logged) in parts. */
function untilAndWhy(reason: string | null): { until: string | null; why: string | null } {
  const m = reason ? /^until (\S+?): (.*)$/s.exec(reason) : null;
  if (m) return { until: m[1], why: m[2] };
  return { until: null, why: reason };
}

type Sentence = (actor: string, target: string, e: AuditView) => string;

const QUEUE_WORDS: Record<string, string> = {
  queue_held_approved: 'published a held post',
  queue_held_rejected: 'did not publish a held post',
  queue_flagged_approved: 'kept a flagged post up',
  queue_flagged_rejected: 'took down a flagged post',
  queue_report_approved: 'kept a reported post up',
  queue_report_rejected: 'took down a reported post',
};

/** Audit actions as sentences: `actor` did it, `target` is the member (or thing) acted on. */
const AUDIT: Record<string, Sentence> = {
  member_suspended: (a, t, e) => {
    const { until } = untilAndWhy(e.reason);
    return `${t} was suspended by ${a}${until ? ` until ${formatDate(until)}` : ''}`;
  },
  member_banned: (a, t) => `${t}’s account was closed by ${a}`,
  member_reinstated: (a, t) => `${t} was reinstated by ${a}`,
  role_changed: (a, t) => `${a} changed ${t}’s role`,
  member_erased_by_admin: (a, t) => `${a} erased ${t}’s account`,
  member_erased_self: (a) => `${a} erased their own account`,
  application_approved: (a, t, e) => (e.target_handle ? `${a} approved ${t}’s application to join` : `${a} approved an application to join`),
  application_rejected: (a, t, e) => (e.target_handle ? `${a} turned down ${t}’s application to join` : `${a} turned down an application to join`),
  post_removed: (a) => `${a} removed a post`,
  queue_rejection_undone: (a) => `${a} undid the rejection of a held post (it is back in the queue)`,
  chat_message_approved: (a) => `${a} published a held chat message`,
  chat_message_rejected: (a) => `${a} did not publish a held chat message`,
  chat_message_removed: (a) => `${a} removed a reported chat message`,
  chat_report_dismissed: (a) => `${a} left a reported chat message up`,
  thread_locked: (a) => `${a} locked a thread`,
  thread_unlocked: (a) => `${a} unlocked a thread`,
  thread_pinned: (a) => `${a} pinned a thread`,
  thread_unpinned: (a) => `${a} unpinned a thread`,
  thread_moved: (a) => `${a} moved a thread to another board`,
  board_created: (a) => `${a} created a board`,
  board_updated: (a) => `${a} renamed or re-described a board`,
  board_archived: (a) => `${a} archived a board`,
  board_unarchived: (a) => `${a} brought back an archived board`,
  boards_reordered: (a) => `${a} changed the order of the boards`,
  room_created: (a) => `${a} created a chat room`,
  rules_reloaded: (a) => `${a} reloaded the moderation rules`,
  invite_created: (a) => `${a} created an invite`,
  invite_used: (a) => `${a} applied with an invite`,
  invite_revoked: (a) => `${a} withdrew an invite`,
  reset_link_issued: (a, t) => `${a} made a password reset link for ${t}`,
  password_reset: (a) => `${a} reset their password with a link`,
  password_changed: (a) => `${a} changed their password`,
  data_exported: (a) => `${a} downloaded their data`,
  crisis_raised: () => 'The rules raised a crisis in the urgent lane',
  crisis_in_note: () => 'A crisis was raised from a note on a report',
  checkin_message_sent: (a) => `${a} sent a check-in message`,
  checkin_read: (a) => `${a} read a check-in`,
  checkin_closed: (a) => `${a} closed a check-in`,
  concern_raised: (a) => `${a} raised a safeguarding concern`,
  concern_decided: (a) => `${a} decided a safeguarding concern`,
  concerns_viewed: (a) => `${a} looked at the safeguarding concerns`,
};

/** One audit entry as a sentence, and the reason to show under it (without the logged date). */
export function auditSentence(e: AuditView): { text: string; reason: string | null } {
  const actor = e.actor;
  const target = e.target_handle ?? (e.target_kind === 'member' ? 'a former member' : `a ${e.target_kind}`);
  const queue = QUEUE_WORDS[e.action];
  const crisis = /^crisis_(.+)$/.exec(e.action);
  let text: string;
  if (AUDIT[e.action]) text = AUDIT[e.action](actor, target, e);
  else if (queue) text = `${actor} ${queue}`;
  else if (crisis) text = `${actor} marked a crisis as ${crisis[1].replace(/_/g, ' ')}`;
  else text = `${actor}: ${e.action.replace(/_/g, ' ')}`;
  const reason = e.action === 'member_suspended' ? untilAndWhy(e.reason).why : e.reason;
  return { text, reason };
}
