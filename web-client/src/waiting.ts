// What is waiting for the staff, for the counts in the navigation: open queue items and crises
// for moderators, waiting applications for admins. Fetched once, then again only when the
// socket says something changed (`modqueue`, and `applications` for admins): never on a timer.

import { useEffect, useRef, useState } from 'preact/hooks';

import { api, type Identity } from './api';
import { hasRole } from './session';
import { useTopic } from './socket';

/** The counts as `GET /api/mod/counts` answers them (`applications` for admins only). */
export interface WaitingCounts {
  queue: number;
  urgent: number;
  applications?: number;
}

/** Events that come in bursts (a bulk decision) are answered with one fetch. */
const SETTLE_MS = 300;

/** The live waiting counts for a moderator or admin; `null` for anyone else, or until known. */
export function useWaitingCounts(member: Identity | null): WaitingCounts | null {
  const staff = hasRole(member, 'moderator');
  const admin = hasRole(member, 'admin');
  const [counts, setCounts] = useState<WaitingCounts | null>(null);
  const timer = useRef<number | undefined>(undefined);

  const fetchNow = () => {
    api<WaitingCounts>('GET', '/api/mod/counts').then(setCounts, () => {
      // Not known for now (offline, or no longer staff): show no number rather than a wrong one.
      setCounts(null);
    });
  };
  const soon = () => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(fetchNow, SETTLE_MS);
  };

  useEffect(() => {
    if (staff) fetchNow();
    else setCounts(null);
    return () => window.clearTimeout(timer.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [member?.id, staff]);
  useTopic(staff ? 'modqueue' : null, soon, soon);
  useTopic(admin ? 'applications' : null, soon, soon);
  return staff ? counts : null;
}
