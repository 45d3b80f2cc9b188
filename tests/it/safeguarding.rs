//! The safeguarding lane end to end: concerns raised by members and by the rules reach only the
//! safeguarding leads, every read is audited, decisions are structured, deadlines alert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{TestApp, code};
use reqwest::StatusCode;
use serde_json::json;

async fn concerns_reach_only_the_leads_and_every_read_is_audited(app: TestApp) {
    let admin = app.admin().await;
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Parents"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Worried", "body": "Is anyone else worried this week?"}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let first_post = t["post"]["id"].as_str().unwrap().to_owned();
    let (lead, lead_id) = app.member(&admin, "the_lead").await;
    let (moderator, moderator_id) = app.member(&admin, "just_a_mod").await;
    let (member, _) = app.member(&admin, "worried_sis").await;
    admin
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{lead_id}"),
            json!({"safeguarding_lead": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member"]["safeguarding_lead"], true);
    let (_, me) = lead.get("/api/session").await;
    assert_eq!(me["member"]["safeguarding_lead"], true);

    // A member raises a concern about a post.
    let (status, body) = member
        .post(
            &format!("/api/posts/{first_post}/concerns"),
            json!({"category": "worry"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("category"))
    );
    let (status, body) = member
        .post(
            &format!("/api/posts/{first_post}/concerns"),
            json!({"category": "child_at_risk", "note": "Something in this worried me."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The rules raise one too, from a post that may mean a child is at risk now.
    let (_, body) = admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "He still babysits our niece on Fridays and nobody knows."}),
        )
        .await;
    assert_eq!(body["moderation"]["status"], "held", "{body}");

    // Only the lead can see them: not members, not moderators who are not leads.
    for (who, c) in [("member", &member), ("moderator", &moderator)] {
        let (status, _) = c.get("/api/safeguarding/concerns").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let (_, queue) = admin.get("/api/mod/queue").await;
    assert!(
        !queue.to_string().contains("Something in this worried me"),
        "not in the moderators' queue"
    );
    let (status, list) = lead.get("/api/safeguarding/concerns").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let concerns = list["concerns"].as_array().unwrap();
    assert_eq!(concerns.len(), 2, "{list}");
    let by_member = concerns.iter().find(|c| c["source"] == "member").unwrap();
    assert_eq!(by_member["category"], "child_at_risk");
    assert_eq!(by_member["post_body"], "Is anyone else worried this week?");
    let by_rules = concerns.iter().find(|c| c["source"] == "rules").unwrap();
    assert_eq!(by_rules["category"], "child_at_risk", "{by_rules}");
    assert!(
        !list.to_string().contains("worried_sis"),
        "who raised it is not shown"
    );
    // The lead was told, and the read is in the audit log.
    let (_, n) = lead.get("/api/notifications").await;
    assert!(
        n["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "concern_raised")
    );
    let (_, audit) = admin.get("/api/mod/audit?limit=200").await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "concerns_viewed" && e["actor"] == "the_lead")
    );

    // Decisions are structured; a referral says to whom; one decision per concern.
    let id = by_member["id"].as_str().unwrap();
    let path = format!("/api/safeguarding/concerns/{id}/decision");
    let (status, body) = lead
        .post(
            &path,
            json!({"decision": "referral_made", "reason": "Risk to a child."}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("referral_to"))
    );
    let (status, _) = moderator
        .post(&path, json!({"decision": "no_action", "reason": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = lead.post(&path, json!({"decision": "referral_made", "referral_to": "Local authority children's services (LADO)", "reason": "A child may be at risk now."})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = lead
        .post(&path, json!({"decision": "no_action", "reason": "again"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_decided")
    );
    let (_, list) = lead.get("/api/safeguarding/concerns").await;
    let decided = list["concerns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(decided["decision"], "referral_made");
    assert_eq!(
        decided["referral_to"],
        "Local authority children's services (LADO)"
    );

    // The other one passes its deadline: every lead is alerted once.
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app.state().app.alert_overdue_concerns().await.unwrap(), 1);
    assert_eq!(
        app.state().app.alert_overdue_concerns().await.unwrap(),
        0,
        "once"
    );
    lead.sign_in("the_lead", &common::password_of("the_lead"))
        .await;
    let (_, n) = lead.get("/api/notifications").await;
    assert!(
        n["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "concern_overdue")
    );
    let (_, list) = lead.get("/api/safeguarding/concerns").await;
    assert!(
        list["concerns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["overdue"] == true)
    );
}

on_both_backends!(concerns_reach_only_the_leads_and_every_read_is_audited);
