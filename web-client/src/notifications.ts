// The unread-notification count in the header, kept live: fetched when someone signs in, and
// again whenever their own topic (`member:<id>`) brings a `notification` event. Nothing here
// uses the browser's system notifications: those would show on a lock screen.

import { useEffect, useState } from 'preact/hooks';

import { api, type Notification } from './api';
import { useTopic } from './socket';

const CHANGED = 'hearth:notifications';
let count = 0;

function set(n: number): void {
  count = n;
  window.dispatchEvent(new Event(CHANGED));
}

/** The unread count as last known. */
export function unreadNow(): number {
  return count;
}

/** Fetches the list (and with it the count). */
export async function fetchNotifications(): Promise<{ notifications: Notification[]; unread: number }> {
  const body = await api<{ notifications: Notification[]; unread: number }>('GET', '/api/notifications');
  set(body.unread);
  return body;
}

/** Marks everything read. */
export async function markAllRead(): Promise<void> {
  await api('POST', '/api/notifications/read');
  set(0);
}

/** The unread count for the signed-in member, live. */
export function useUnreadCount(memberId: string | null): number {
  const [n, setN] = useState(count);
  useEffect(() => {
    const update = () => setN(count);
    window.addEventListener(CHANGED, update);
    return () => window.removeEventListener(CHANGED, update);
  }, []);
  const refresh = () => {
    if (memberId) fetchNotifications().catch(() => {});
  };
  useEffect(() => {
    if (memberId) refresh();
    else set(0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [memberId]);
  useTopic(memberId ? `member:${memberId}` : null, (e) => {
    if (e.kind === 'notification') refresh();
  }, refresh);
  return n;
}

/** Lets a screen hear when the count changes (the notifications screen refetches). */
export function onNotificationsChanged(l: () => void): () => void {
  window.addEventListener(CHANGED, l);
  return () => window.removeEventListener(CHANGED, l);
}
