//! The hub against an in-memory event log: fan-out, slow consumers, gaps, duplicates, catch-up
//! races, member control and presence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use common::*;
use hearth_core::ids::{MemberId, RoomId};
use hearth_realtime::{
    Bus, CloseReason, HubConfig, MemberAccess, ServerMessage, SubscribeError, Subscribed, Topic,
};

#[tokio::test]
async fn fans_out_to_every_subscriber_of_the_topic_only() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    let other = thread_topic();
    let (a, mut a_out) = hub.register(MemberId::new());
    let (b, mut b_out) = hub.register(MemberId::new());
    let (c, mut c_out) = hub.register(MemberId::new());
    assert_eq!(a.subscribe(topic, None).await, Ok(Subscribed::Live));
    assert_eq!(b.subscribe(topic, None).await, Ok(Subscribed::Live));
    assert_eq!(c.subscribe(other, None).await, Ok(Subscribed::Live));
    assert_eq!(
        a.subscribe(topic, None).await,
        Ok(Subscribed::AlreadySubscribed)
    );

    for _ in 0..3 {
        hub.deliver(log.append(topic));
    }
    assert_eq!(next_seqs(&mut a_out, 3).await, vec![1, 2, 3]);
    assert_eq!(next_seqs(&mut b_out, 3).await, vec![1, 2, 3]);
    assert_quiet(&mut c_out);

    // The very same allocation goes to both sockets: serialised once.
    let envelope = log.append(topic);
    hub.deliver(envelope.clone());
    let fa = a_out.frames.recv().await.unwrap();
    let fb = b_out.frames.recv().await.unwrap();
    assert!(hearth_realtime::Frame::ptr_eq(&fa, envelope.frame()));
    assert!(hearth_realtime::Frame::ptr_eq(&fa, &fb));

    // Unsubscribed sockets stop receiving; dropped handles unregister.
    assert!(b.unsubscribe(topic));
    assert!(!b.unsubscribe(topic));
    drop(a);
    hub.deliver(log.append(topic));
    assert_quiet(&mut b_out);
    assert_eq!(hub.stats().sockets, 2);
    assert_eq!(hub.stats().topics, 1, "only `other` is still held");
    drop((b, c));
    assert_eq!(hub.stats().sockets, 0);
    assert_eq!(hub.stats().subscriptions, 0);
}

#[tokio::test]
async fn slow_consumer_is_closed_while_fast_one_keeps_receiving() {
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            queue_capacity: 4,
            ..HubConfig::default()
        },
    );
    let topic = thread_topic();
    let (slow, mut slow_out) = hub.register(MemberId::new());
    let (fast, mut fast_out) = hub.register(MemberId::new());
    slow.subscribe(topic, None).await.unwrap();
    fast.subscribe(topic, None).await.unwrap();

    let mut fast_seen = Vec::new();
    for _ in 0..20 {
        hub.deliver(log.append(topic));
        // The fast client reads as events come; the slow one never does.
        fast_seen.extend(next_seqs(&mut fast_out, 1).await);
    }
    assert_eq!(fast_seen, (1..=20).collect::<Vec<_>>());

    let reason = slow_out
        .close
        .try_recv()
        .expect("slow socket was told to close");
    assert_eq!(reason, CloseReason::too_slow());
    assert_eq!(reason.reason, "too slow: reconnect and catch up");
    // It got what fit in its queue, then nothing more.
    assert_eq!(next_seqs(&mut slow_out, 4).await, vec![1, 2, 3, 4]);
    assert!(slow_out.frames.try_recv().is_err());
    assert!(!slow.is_subscribed(topic));
    let stats = hub.stats();
    assert_eq!(stats.slow_disconnects, 1);
    assert_eq!(stats.sockets, 1);
    assert!(fast.is_subscribed(topic));
}

#[tokio::test]
async fn gap_is_filled_from_the_database_in_order_without_duplicates() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    let (socket, mut out) = hub.register(MemberId::new());
    socket.subscribe(topic, None).await.unwrap();

    let events: Vec<_> = (0..10).map(|_| log.append(topic)).collect();
    hub.deliver(events[0].clone());
    hub.deliver(events[1].clone());
    // 3 and 4 were lost on the bus; 5 reveals the gap.
    hub.deliver(events[4].clone());
    // The database already has 6..10 too; they are sent by the fill, then arrive live and are
    // dropped as duplicates, as are replays of old ones.
    let seqs = next_seqs(&mut out, 10).await;
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    for event in &events {
        hub.deliver(event.clone());
    }
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut out, 1).await, vec![11]);
    assert_quiet(&mut out);
    let stats = hub.stats();
    assert_eq!(stats.gap_fills, 1);
    // The ten replays, plus 5 itself, which waited behind the fill that had already sent it.
    assert_eq!(stats.duplicates_dropped, 11);
}

#[tokio::test]
async fn events_arriving_during_a_fill_wait_behind_it() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    let (socket, mut out) = hub.register(MemberId::new());
    socket.subscribe(topic, None).await.unwrap();

    let e: Vec<_> = (0..4).map(|_| log.append(topic)).collect();
    hub.deliver(e[0].clone());
    let (entered, release) = log.gate_next_fetch();
    hub.deliver(e[3].clone()); // gap: 2 and 3 missing
    entered.await.unwrap(); // the fill has read the database (2..4)
    // Live traffic while the fill is in flight, out of order, with a duplicate and a newer one.
    let e5 = log.append(topic);
    hub.deliver(e5);
    hub.deliver(e[2].clone());
    hub.deliver(e[1].clone());
    assert_eq!(next_seqs(&mut out, 1).await, vec![1]);
    assert_quiet(&mut out);
    release.send(()).unwrap();
    assert_eq!(next_seqs(&mut out, 4).await, vec![2, 3, 4, 5]);
    assert_quiet(&mut out);
}

#[tokio::test]
async fn paged_backfill_keeps_fetching_until_the_gap_is_closed() {
    let log = MemoryLog::new();
    log.set_page(3);
    let hub = hub(&log);
    let topic = thread_topic();
    let (socket, mut out) = hub.register(MemberId::new());
    socket.subscribe(topic, None).await.unwrap();
    let first = log.append(topic);
    hub.deliver(first);
    let mut last = None;
    for _ in 0..10 {
        last = Some(log.append(topic));
    }
    hub.deliver(last.unwrap()); // seq 11: gap of 9, three pages
    assert_eq!(next_seqs(&mut out, 11).await, (1..=11).collect::<Vec<_>>());
    assert_quiet(&mut out);
    assert!(log.fetches.load(Ordering::SeqCst) >= 3);
}

#[tokio::test]
async fn paged_hook_catch_up_and_resync_get_every_page() {
    let log = MemoryLog::new();
    log.set_page(3);
    let hub = hub(&log);
    let topic = thread_topic();
    for _ in 0..10 {
        log.append(topic);
    }
    let (socket, mut out) = hub.register(MemberId::new());
    assert_eq!(
        socket.subscribe(topic, Some(0)).await,
        Ok(Subscribed::CaughtUp { sent: 10 })
    );
    assert_eq!(next_seqs(&mut out, 10).await, (1..=10).collect::<Vec<_>>());

    // A live event sets the topic's baseline; then seven are missed during an outage.
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut out, 1).await, vec![11]);
    for _ in 0..7 {
        log.append(topic);
    }
    hub.resync_all();
    assert_eq!(next_seqs(&mut out, 7).await, (12..=18).collect::<Vec<_>>());
    assert_quiet(&mut out);
}

#[tokio::test(start_paused = true)]
async fn failed_fill_is_retried_then_given_up_with_a_warning_to_clients() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    let (socket, mut out) = hub.register(MemberId::new());
    socket.subscribe(topic, None).await.unwrap();
    let e: Vec<_> = (0..3).map(|_| log.append(topic)).collect();
    hub.deliver(e[0].clone());

    // Two failures, then the retry succeeds.
    log.fail_next_fetches(2);
    hub.deliver(e[2].clone());
    assert_eq!(next_seqs(&mut out, 3).await, vec![1, 2, 3]);

    // More failures than retries: the gap is skipped and the client is told to reload.
    let e4 = log.append(topic);
    let _e5 = log.append(topic);
    let e6 = log.append(topic);
    drop(e4);
    log.fail_next_fetches(100);
    hub.deliver(e6);
    match next_message(&mut out).await {
        ServerMessage::Error { code, message } => {
            assert_eq!(code, "catch_up_failed");
            assert!(message.contains(&topic.to_string()));
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(next_seqs(&mut out, 1).await, vec![6]);
    log.fail_next_fetches(0);
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut out, 1).await, vec![7]);
    assert_eq!(hub.stats().gaps_abandoned, 1);
}

#[tokio::test]
async fn catch_up_on_subscribe_races_live_events_without_gap_or_duplicate() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();

    // A socket already live on the topic has seen 1..5.
    let (live, mut live_out) = hub.register(MemberId::new());
    live.subscribe(topic, None).await.unwrap();
    let mut events: Vec<_> = (0..5).map(|_| log.append(topic)).collect();
    for event in &events {
        hub.deliver(event.clone());
    }
    assert_eq!(next_seqs(&mut live_out, 5).await, vec![1, 2, 3, 4, 5]);

    // Event 6 is in the database but not yet on the bus when a reconnecting client subscribes
    // with since=2.
    events.push(log.append(topic));
    let (late, mut late_out) = hub.register(MemberId::new());
    let (entered, release) = log.gate_next_fetch();
    let subscribing = {
        let hub = hub.clone();
        let id = late.id();
        tokio::spawn(async move { hub.subscribe(id, topic, Some(2)).await })
    };
    entered.await.unwrap(); // the catch-up has read 3..6 from the database
    // Now the bus delivers 6 (already in the catch-up) and 7 (not in it).
    hub.deliver(events[5].clone());
    events.push(log.append(topic));
    hub.deliver(events[6].clone());
    // Nothing reaches the late socket until its history has gone out.
    assert_quiet(&mut late_out);
    release.send(()).unwrap();
    assert_eq!(
        subscribing.await.unwrap(),
        Ok(Subscribed::CaughtUp { sent: 5 })
    );
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut late_out, 6).await, vec![3, 4, 5, 6, 7, 8]);
    assert_quiet(&mut late_out);
    assert_eq!(next_seqs(&mut live_out, 3).await, vec![6, 7, 8]);
    assert_quiet(&mut live_out);
}

#[tokio::test]
async fn live_subscriber_gets_out_of_order_first_events_in_order() {
    // Subscribing without `since` starts from the topic's latest sequence number, so the very
    // first live event is checked too: here 2 overtakes 1 (local delivery beat the bus).
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    let (socket, mut out) = hub.register(MemberId::new());
    assert_eq!(socket.subscribe(topic, None).await, Ok(Subscribed::Live));
    let one = log.append(topic);
    let two = log.append(topic);
    hub.deliver(two);
    hub.deliver(one);
    assert_eq!(next_seqs(&mut out, 2).await, vec![1, 2]);
    assert_quiet(&mut out);
}

#[tokio::test]
async fn event_lost_during_a_catch_up_is_fetched_before_the_next_one() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    log.append(topic);
    let (socket, mut out) = hub.register(MemberId::new());
    let (entered, release) = log.gate_next_fetch();
    let subscribing = {
        let hub = hub.clone();
        let id = socket.id();
        tokio::spawn(async move { hub.subscribe(id, topic, Some(0)).await })
    };
    entered.await.unwrap(); // the catch-up read [1]
    log.append(topic); // 2: lost on the bus
    let three = log.append(topic);
    hub.deliver(three); // no other subscriber: nothing at topic level notices the hole
    release.send(()).unwrap();
    subscribing.await.unwrap().unwrap();
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut out, 4).await, vec![1, 2, 3, 4]);
    assert_quiet(&mut out);
}

#[tokio::test]
async fn since_beyond_the_latest_event_does_not_swallow_new_ones() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    log.append(topic);
    let (socket, mut out) = hub.register(MemberId::new());
    assert_eq!(
        socket.subscribe(topic, Some(40)).await,
        Ok(Subscribed::CaughtUp { sent: 0 })
    );
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut out, 1).await, vec![2]);
}

#[tokio::test]
async fn catch_up_longer_than_the_queue_is_not_mistaken_for_a_slow_client() {
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            queue_capacity: 4,
            ..HubConfig::default()
        },
    );
    let topic = thread_topic();
    for _ in 0..50 {
        log.append(topic);
    }
    let (socket, mut out) = hub.register(MemberId::new());
    let reader = tokio::spawn(async move {
        let seqs = next_seqs(&mut out, 50).await;
        (seqs, out)
    });
    assert_eq!(
        socket.subscribe(topic, Some(0)).await,
        Ok(Subscribed::CaughtUp { sent: 50 })
    );
    let (seqs, _out) = reader.await.unwrap();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    assert_eq!(hub.stats().slow_disconnects, 0);
}

#[tokio::test]
async fn failed_catch_up_still_subscribes_and_says_so() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let topic = thread_topic();
    log.append(topic);
    log.fail_next_fetches(1);
    let (socket, mut out) = hub.register(MemberId::new());
    assert!(matches!(
        socket.subscribe(topic, Some(0)).await,
        Ok(Subscribed::CatchUpFailed(_))
    ));
    // The next live event is seen as a gap after `since` and heals it from the database.
    hub.deliver(log.append(topic));
    assert_eq!(next_seqs(&mut out, 2).await, vec![1, 2]);
    assert_quiet(&mut out);
}

#[tokio::test]
async fn resync_fetches_what_was_missed_during_an_outage() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let (a, b) = (thread_topic(), thread_topic());
    let (socket, mut out) = hub.register(MemberId::new());
    socket.subscribe(a, None).await.unwrap();
    // `b` was joined with a catch-up and has seen no live event since.
    log.append(b);
    socket.subscribe(b, Some(0)).await.unwrap();
    assert_eq!(next_events(&mut out, 1).await, vec![(b, 1)]);
    hub.deliver(log.append(a));
    assert_eq!(next_events(&mut out, 1).await, vec![(a, 1)]);

    // Published while the bus was down: never delivered.
    log.append(a);
    log.append(a);
    log.append(b);
    hub.resync_all();
    let mut got = next_events(&mut out, 3).await;
    got.sort();
    let mut want = vec![(a, 2), (a, 3), (b, 2)];
    want.sort();
    assert_eq!(got, want);
    assert_quiet(&mut out);
}

#[tokio::test]
async fn per_socket_topic_limit() {
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            max_topics_per_socket: 2,
            ..HubConfig::default()
        },
    );
    let (socket, _out) = hub.register(MemberId::new());
    socket.subscribe(thread_topic(), None).await.unwrap();
    socket.subscribe(Topic::ModQueue, None).await.unwrap();
    assert_eq!(
        socket.subscribe(thread_topic(), None).await,
        Err(SubscribeError::TooManyTopics { limit: 2 })
    );
    let id = socket.id();
    drop(socket);
    assert_eq!(
        hub.subscribe(id, thread_topic(), None).await,
        Err(SubscribeError::SocketClosed)
    );
}

#[tokio::test]
async fn disconnect_member_closes_all_their_sockets_only() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let (alice, bob) = (MemberId::new(), MemberId::new());
    let (_a1, mut a1_out) = hub.register(alice);
    let (_a2, mut a2_out) = hub.register(alice);
    let (b1, mut b1_out) = hub.register(bob);
    let reason = CloseReason::revoked("suspended");
    assert_eq!(hub.disconnect_member(alice, reason.clone()), 2);
    assert_eq!(a1_out.close.try_recv().unwrap(), reason);
    assert_eq!(a2_out.close.try_recv().unwrap(), reason);
    assert!(b1_out.close.try_recv().is_err());
    assert_eq!(hub.stats().sockets, 1);
    assert_eq!(hub.disconnect_member(alice, reason), 0);
    drop(b1);
}

#[tokio::test]
async fn role_change_drops_topics_no_longer_allowed() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let member = MemberId::new();
    let thread = thread_topic();
    let (socket, mut out) = hub.register(member);
    socket.subscribe(thread, None).await.unwrap();
    socket.subscribe(Topic::ModQueue, None).await.unwrap();

    // Demoted from moderator: the queue goes, the thread stays.
    log.set_access(member, MemberAccess::Retain(vec![thread]));
    hub.recheck_member(member).await;
    match next_message(&mut out).await {
        ServerMessage::Error { code, message } => {
            assert_eq!(code, "forbidden");
            assert!(message.contains("modqueue"));
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(!socket.is_subscribed(Topic::ModQueue));
    assert!(socket.is_subscribed(thread));

    // Suspended: closed.
    let reason = CloseReason::revoked("suspended");
    log.set_access(member, MemberAccess::Disconnect(reason.clone()));
    hub.recheck_member(member).await;
    assert_eq!(out.close.try_recv().unwrap(), reason);
    assert_eq!(hub.stats().sockets, 0);
}

#[tokio::test]
async fn presence_counts_sockets_per_room_and_member() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let room = RoomId::new();
    let topic = Topic::Room(room);
    let (alice, bob) = (MemberId::new(), MemberId::new());
    let (a1, _o1) = hub.register(alice);
    let (a2, _o2) = hub.register(alice);
    let (b1, _o3) = hub.register(bob);
    a1.subscribe(topic, None).await.unwrap();
    a2.subscribe(topic, None).await.unwrap();
    b1.subscribe(topic, None).await.unwrap();
    assert_eq!(hub.presence_count(room, alice), 2);
    let mut both = vec![alice, bob];
    both.sort();
    assert_eq!(hub.room_presence(room), both);

    a1.unsubscribe(topic);
    assert_eq!(hub.presence_count(room, alice), 1);
    drop(a2);
    assert_eq!(hub.presence_count(room, alice), 0);
    assert_eq!(hub.room_presence(room), vec![bob]);
    hub.disconnect_member(bob, CloseReason::revoked("signed out"));
    assert!(hub.room_presence(room).is_empty());
}

#[tokio::test]
async fn in_process_bus_publishes_to_the_local_hub() {
    let log = MemoryLog::new();
    let bus = Bus::in_process(hub(&log));
    assert!(bus.current_state().is_ready());
    let topic = thread_topic();
    let member = MemberId::new();
    let (socket, mut out) = bus.hub().register(member);
    socket.subscribe(topic, None).await.unwrap();
    bus.publish(log.append(topic)).await.unwrap();
    assert_eq!(next_seqs(&mut out, 1).await, vec![1]);

    log.set_access(member, MemberAccess::Retain(vec![]));
    bus.member_role_changed(member).await.unwrap();
    assert!(matches!(
        next_message(&mut out).await,
        ServerMessage::Error { .. }
    ));
    assert!(!socket.is_subscribed(topic));

    bus.disconnect_member(member, CloseReason::revoked("signed out"))
        .await
        .unwrap();
    assert_eq!(out.close.try_recv().unwrap().reason, "signed out");
}

#[tokio::test]
async fn concurrent_admissions_never_pass_the_socket_cap() {
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            max_sockets_per_member: 16,
            ..HubConfig::default()
        },
    );
    let member = MemberId::new();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let hub = hub.clone();
            tokio::spawn(async move { hub.admit_session(member, None) })
        })
        .collect();
    let mut admitted = Vec::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(socket) => admitted.push(socket),
            Err(reason) => {
                assert_eq!(reason, CloseReason::too_many_sockets(16));
                refused += 1;
            }
        }
    }
    assert_eq!((admitted.len(), refused), (16, 184));
    assert!(
        hub.admit_session(MemberId::new(), None).is_ok(),
        "per member"
    );
    admitted.pop();
    assert!(
        hub.admit_session(member, None).is_ok(),
        "room again once one closed"
    );
}

/// Property test under real concurrency: whatever the interleaving of publishing, lost bus
/// messages and subscribing (with or without `since`), every socket sees one contiguous run of
/// sequence numbers up to the last event: no gap, no duplicate, no reordering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_subscribes_and_lossy_delivery_give_every_socket_a_contiguous_stream() {
    const LAST: i64 = 400;
    const SOCKETS: usize = 24;
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            // This test is about order, not slowness: room for everything.
            queue_capacity: 4096,
            ..HubConfig::default()
        },
    );
    let topic = thread_topic();
    let subscribed = std::sync::Arc::new(tokio::sync::Semaphore::new(0));

    let mut readers = Vec::new();
    for n in 0..SOCKETS {
        let (hub, log, subscribed) = (hub.clone(), log.clone(), subscribed.clone());
        readers.push(tokio::spawn(async move {
            let mut seed = 0x2545_F491_4F6C_DD1D_u64 ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9);
            let mut rand = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            for _ in 0..rand() % 200 {
                tokio::task::yield_now().await;
            }
            let (socket, mut out) = hub.register(MemberId::new());
            let latest = log.latest_seq_now(topic);
            let since = match rand() % 3 {
                0 => None,
                _ => Some(i64::try_from(rand() % (u64::try_from(latest).unwrap() + 1)).unwrap()),
            };
            socket.subscribe(topic, since).await.unwrap();
            subscribed.add_permits(1);
            let mut seen = Vec::new();
            while seen.last() != Some(&LAST) {
                seen.extend(next_seqs(&mut out, 1).await);
            }
            (since, seen, socket)
        }));
    }

    let publisher = {
        let (hub, log, subscribed) = (hub.clone(), log.clone(), subscribed.clone());
        tokio::spawn(async move {
            for seq in 1..=LAST {
                if seq == LAST {
                    // Everyone subscribes before the last event, so everyone ends on it.
                    let _ = subscribed.acquire_many(SOCKETS as u32).await.unwrap();
                }
                let envelope = log.append(topic);
                // Every seventh message is lost on the bus; every fifth arrives twice.
                if seq % 7 != 3 || seq == LAST {
                    hub.deliver(envelope.clone());
                }
                if seq % 5 == 0 {
                    hub.deliver(envelope);
                }
                if seq % 8 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };

    tokio::time::timeout(WAIT, publisher)
        .await
        .unwrap()
        .unwrap();
    for reader in readers {
        let (since, seen, _socket) = tokio::time::timeout(WAIT, reader).await.unwrap().unwrap();
        let first = seen[0];
        if let Some(since) = since {
            assert_eq!(first, since + 1, "since={since}: {seen:?}");
        }
        let expected: Vec<i64> = (first..=LAST).collect();
        assert_eq!(seen, expected, "since={since:?}");
    }
    assert_eq!(hub.stats().slow_disconnects, 0);
}
