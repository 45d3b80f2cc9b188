//! Unit tests of the whole engine: parsing, every matcher kind, conditions, verdict combining
//! and problem reporting. The shared case data runs in `tests/moderation_cases.rs`.

use super::*;
use crate::policy::Role;

const MEMBER: AuthorFacts = AuthorFacts {
    approved_posts: 50,
    role: Role::Member,
};

fn sub(text: &str) -> Submission<'_> {
    Submission {
        kind: TextKind::Post,
        text,
        board: Some("general"),
        author: MEMBER,
    }
}

fn rules(toml: &str) -> RuleSet {
    RuleSet::parse(toml).unwrap_or_else(|p| {
        let list: Vec<String> = p.iter().map(ToString::to_string).collect();
        panic!("rules did not parse:\n{}", list.join("\n"))
    })
}

fn one_rule(body: &str) -> RuleSet {
    rules(&format!(
        "[[rule]]\nname = \"r\"\naction = \"hold\"\n{body}\n"
    ))
}

/// The matched texts of every hit.
fn matched(set: &RuleSet, text: &str) -> Vec<String> {
    set.evaluate(&sub(text))
        .hits
        .into_iter()
        .map(|h| h.matched)
        .collect()
}

#[test]
fn word_lists_normalise_and_respect_word_boundaries() {
    let set = one_rule(r#"words = ["ass", "rapist", "bad word", "self harm*", "can't go on"]"#);
    let table: &[(&str, &[&str])] = &[
        ("you ass", &["ass"]),
        ("a class act", &[]),
        ("I assassinated my to-do list", &[]),
        ("my therapist", &[]),
        ("he's a r4pist", &["r4pist"]),
        ("a BAD   WORD", &["BAD   WORD"]),
        ("a b.a.d word", &["b.a.d word"]),
        ("the b a d word", &["b a d word"]),
        ("a b-a-d word", &["b-a-d word"]),
        ("a baaaaad word", &["baaaaad word"]),
        ("a bád wórd", &["bád wórd"]),
        ("a B@D W0RD", &["B@D W0RD"]),
        ("self-harming", &["self-harming"]),
        ("I can’t go on", &["can’t go on"]),
        ("I cant go on", &["cant go on"]),
    ];
    for (text, want) in table {
        assert_eq!(matched(&set, text), *want, "{text:?}");
    }
}

#[test]
fn hits_carry_spans_in_the_original_text() {
    let set = one_rule(r#"words = ["disgusting"]"#);
    let text = "Well — you’re d.i.s.g.u.s.t.i.n.g!";
    let v = set.evaluate(&sub(text));
    assert_eq!(v.hits.len(), 1);
    let h = &v.hits[0];
    assert_eq!(&text[h.start..h.end], "d.i.s.g.u.s.t.i.n.g");
    assert_eq!(h.matched, "d.i.s.g.u.s.t.i.n.g");
    assert_eq!(h.matcher, Matcher::Words);
    assert_eq!(h.rule, "r");
}

#[test]
fn patterns_run_on_normalised_text_and_case_sensitive_ones_on_the_original() {
    let set = one_rule(
        r#"patterns = ['\bcase (number|no) [a-z]?\d+']
case_sensitive_patterns = ['\bREF-[0-9]{4}\b']"#,
    );
    let table: &[(&str, &[&str])] = &[
        ("Case No. T2023", &["Case No. T2023"]),
        ("CASE NUMBER 12", &["CASE NUMBER 12"]),
        ("REF-1234", &["REF-1234"]),
        ("ref-1234", &[]),
        ("a case of nerves", &[]),
    ];
    for (text, want) in table {
        assert_eq!(matched(&set, text), *want, "{text:?}");
    }
    let v = set.evaluate(&sub("REF-1234"));
    assert_eq!(v.hits[0].matcher, Matcher::CaseSensitivePattern);
}

#[test]
fn every_detector_fires_on_its_kind_of_text() {
    let table: &[(&str, &str, &str, Matcher)] = &[
        (
            "link",
            "see https://example.org/a",
            "https://example.org/a",
            Matcher::Link,
        ),
        ("link", "try example.com/x", "example.com/x", Matcher::Link),
        ("phone", "ring 07700 900123", "07700 900123", Matcher::Phone),
        (
            "phone",
            "ring +44 7700 900124",
            "+44 7700 900124",
            Matcher::Phone,
        ),
        (
            "phone",
            "call 020 7946 0123",
            "020 7946 0123",
            Matcher::Phone,
        ),
        (
            "phone",
            "0 7 7 0 0 9 0 0 1 2 5",
            "0 7 7 0 0 9 0 0 1 2 5",
            Matcher::Phone,
        ),
        (
            "email",
            "jan.moss@example.com",
            "jan.moss@example.com",
            Matcher::Email,
        ),
        (
            "email",
            "jan dot moss at gmail dot com",
            "jan dot moss at gmail dot com",
            Matcher::Email,
        ),
        ("postcode", "near CF10 3AT", "CF10 3AT", Matcher::Postcode),
        ("postcode", "near sw1a1aa", "sw1a1aa", Matcher::Postcode),
        (
            "address",
            "at 42 Acacia Avenue",
            "42 Acacia Avenue",
            Matcher::Address,
        ),
        (
            "address",
            "Flat 3, 12 Mill Lane",
            "Flat 3, 12 Mill Lane",
            Matcher::Address,
        ),
        (
            "full_name",
            "it was Emily Harrington",
            "Emily Harrington",
            Matcher::FullName,
        ),
        (
            "full_name",
            "his name is Gareth Pritchard",
            "Gareth Pritchard",
            Matcher::FullName,
        ),
        (
            "place",
            "at Cardiff Crown Court",
            "Cardiff Crown Court",
            Matcher::Place,
        ),
        (
            "place",
            "St Mary's Primary",
            "St Mary's Primary",
            Matcher::Place,
        ),
        (
            "social_media",
            "Instagram @jane_moss_70",
            "@jane_moss_70",
            Matcher::SocialMedia,
        ),
        (
            "social_media",
            "facebook.com/jan.moss",
            "facebook.com/jan.moss",
            Matcher::SocialMedia,
        ),
    ];
    for (detector, text, want, matcher) in table {
        let set = one_rule(&format!("detect = [\"{detector}\"]"));
        let v = set.evaluate(&sub(text));
        assert_eq!(v.outcome, Outcome::Hold, "{detector} on {text:?}");
        assert_eq!(v.hits[0].matched, *want, "{detector} on {text:?}");
        assert_eq!(v.hits[0].matcher, *matcher);
    }
}

#[test]
fn personal_data_false_positives_do_not_fire() {
    let set = one_rule(
        r#"detect = ["phone", "email", "postcode", "address", "full_name", "place", "social_media"]"#,
    );
    for text in [
        "We married on 12/03/2019 and I never saw this coming.",
        "We married on 12 03 2019 and I never saw this coming.",
        "2019-03-12 was the hearing",
        "It's 2 a.m. and I can't sleep again.",
        "at 10:30 or 07:45",
        "It cost £1,200.50 in legal fees",
        "He got 7 years in 2019, out in 2026.",
        "I scored 07 out of 10 on the quiz, ha.",
        "My son is 14 and doesn't know yet.",
        "Spring feels like a fresh start for us.",
        "Does anyone else find Sundays the hardest?",
        "The probation officer was kinder than I expected.",
        "I've been reading about Circles of Support and Accountability.",
        "I'm in Wales, is anyone else?",
        "I read 'Mary Shelley' on the train, it helped.",
        "The case went to the Crown Court and he was sentenced.",
        "It's a 15 minute walk to the prison.",
        "@sarah thank you, that helped",
        "Samaritans 116 123 were there for me",
        "Thanks Sarah. Hugs",
    ] {
        assert_eq!(matched(&set, text), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn everything_matches_any_text() {
    let set = one_rule("everything = true");
    let v = set.evaluate(&sub("hello"));
    assert_eq!(v.outcome, Outcome::Hold);
    assert_eq!(v.hits[0].matcher, Matcher::Everything);
    assert_eq!((v.hits[0].start, v.hits[0].end), (0, 0));
}

#[test]
fn author_conditions_new_members_and_staff() {
    let set = one_rule("everything = true\nuntil_approved_posts = 3");
    let with = |approved_posts, role| {
        set.evaluate(&Submission {
            author: AuthorFacts {
                approved_posts,
                role,
            },
            ..sub("hello")
        })
        .outcome
    };
    assert_eq!(with(0, Role::Member), Outcome::Hold);
    assert_eq!(with(2, Role::Member), Outcome::Hold);
    assert_eq!(with(3, Role::Member), Outcome::Publish);
    assert_eq!(with(0, Role::Moderator), Outcome::Publish);
    assert_eq!(with(0, Role::Admin), Outcome::Publish);
    // Callers count approved posts only when the answer could depend on it.
    assert!(set.needs_approved_posts(Role::Member));
    assert!(!set.needs_approved_posts(Role::Moderator));
    assert!(!set.needs_approved_posts(Role::Admin));
    assert!(!one_rule("everything = true").needs_approved_posts(Role::Member));

    // Other rules apply to staff too, unless they say skip_staff.
    let set = one_rule(r#"detect = ["phone"]"#);
    let staff = Submission {
        author: AuthorFacts {
            approved_posts: 0,
            role: Role::Moderator,
        },
        ..sub("07700 900123")
    };
    assert_eq!(set.evaluate(&staff).outcome, Outcome::Hold);
    let set = one_rule("detect = [\"phone\"]\nskip_staff = true");
    assert_eq!(set.evaluate(&staff).outcome, Outcome::Publish);
}

#[test]
fn board_and_kind_conditions() {
    let set = one_rule(
        r#"words = ["bad"]
boards = ["Chat Corner", "general"]
skip_kinds = ["handle"]"#,
    );
    let on = |board: Option<&'static str>, kind| {
        set.evaluate(&Submission {
            kind,
            board,
            ..sub("bad")
        })
        .outcome
    };
    assert_eq!(on(Some("general"), TextKind::Post), Outcome::Hold);
    assert_eq!(on(Some("chat corner"), TextKind::Post), Outcome::Hold);
    assert_eq!(on(Some("grief"), TextKind::Post), Outcome::Publish);
    assert_eq!(on(None, TextKind::Post), Outcome::Publish);
    assert_eq!(on(Some("general"), TextKind::Handle), Outcome::Publish);

    let set = one_rule(
        "words = [\"bad\"]\nskip_boards = [\"Venting\"]\nkinds = [\"chat\", \"thread_title\"]",
    );
    let on = |board: Option<&'static str>, kind| {
        set.evaluate(&Submission {
            kind,
            board,
            ..sub("bad")
        })
        .outcome
    };
    assert_eq!(on(None, TextKind::Chat), Outcome::Hold);
    assert_eq!(on(Some("general"), TextKind::ThreadTitle), Outcome::Hold);
    assert_eq!(on(Some("venting"), TextKind::ThreadTitle), Outcome::Publish);
    assert_eq!(on(Some("general"), TextKind::Post), Outcome::Publish);
    assert_eq!(on(None, TextKind::Profile), Outcome::Publish);
}

#[test]
fn except_and_allow_suppress_hits() {
    let set = rules(
        r#"allow = ["0808 1000 900", "Lucy Faithfull"]
[[rule]]
name = "phones"
action = "hold"
detect = ["phone", "full_name"]
except = ["020 7946 0123"]
"#,
    );
    assert_eq!(
        set.evaluate(&sub("call 020 7946 0123")).outcome,
        Outcome::Publish
    );
    assert_eq!(
        set.evaluate(&sub("call 0117 496 0123")).outcome,
        Outcome::Hold
    );
    assert_eq!(
        set.evaluate(&sub("the Lucy Faithfull Foundation")).outcome,
        Outcome::Publish
    );
    assert_eq!(set.evaluate(&sub("Lucy Harrington")).outcome, Outcome::Hold);
}

const COMBINED: &str = r#"
[signpost.samaritans]
title = "Samaritans"
text = "Call any time."
phone = "116 123"
url = "https://www.samaritans.org"

[signpost.shout]
title = "Shout"
text = "Text SHOUT to 85258."

[[rule]]
name = "crisis"
action = "flag"
words = ["end it all"]
signpost = ["samaritans", "shout"]
message = "We are here."

[[rule]]
name = "crisis again"
action = "flag"
words = ["tonight"]
signpost = ["samaritans"]
message = "We are here."

[[rule]]
name = "phones"
action = "hold"
detect = ["phone"]
message = "Held: contact details."
concern = true

[[rule]]
name = "abuse"
action = "reject"
words = ["idiot"]
message = "Be kind."

[[ready_reason]]
id = "kind"
text = "Please be kind."
"#;

#[test]
fn verdicts_combine_every_fired_rule() {
    let set = rules(COMBINED);
    let v = set.evaluate(&sub("I want to end it all tonight, ring 07700 900123"));
    assert_eq!(v.outcome, Outcome::Hold);
    assert!(v.concern);
    assert_eq!(v.rule_names(), ["crisis", "crisis again", "phones"]);
    assert_eq!(
        v.author_messages,
        ["Held: contact details.", "We are here."]
    );
    let names: Vec<&str> = v.signposts.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["samaritans", "shout"]);

    let v = set.evaluate(&sub("you idiot, I want to end it all"));
    assert_eq!(v.outcome, Outcome::Reject);
    assert!(!v.concern);
    assert_eq!(v.author_messages, ["Be kind.", "We are here."]);
    assert_eq!(v.outcome.status(), "rejected");
    // A hold's message does not accompany a rejection: the text is not kept to be read.
    let v = set.evaluate(&sub("you idiot, ring 07700 900123"));
    assert_eq!(v.outcome, Outcome::Reject);
    assert_eq!(v.author_messages, ["Be kind."]);

    let v = set.evaluate(&sub("just tonight"));
    assert_eq!(v.outcome, Outcome::PublishAndFlag);
    assert!(v.outcome.is_published());

    assert_eq!(set.evaluate(&sub("a calm day")), Verdict::publish());
    assert_eq!(
        set.ready_reasons(),
        [ReadyReason {
            id: "kind".into(),
            text: "Please be kind.".into()
        }]
    );
    assert_eq!(set.signposts().len(), 2);
}

#[test]
fn verdicts_and_summaries_serialise() {
    let set = rules(COMBINED);
    let v = set.evaluate(&sub("end it all, 07700 900123"));
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["outcome"], "hold");
    assert_eq!(json["hits"][0]["matcher"], "words");
    assert_eq!(json["hits"][1]["matcher"], "phone");
    assert_eq!(json["hits"][1]["action"], "hold");
    assert_eq!(json["signposts"][0]["phone"], "116 123");
    let back: Verdict = serde_json::from_value(json).unwrap();
    assert_eq!(back, v);
    assert_eq!(
        serde_json::to_value(Outcome::PublishAndFlag).unwrap(),
        "publish_and_flag"
    );

    let summary = serde_json::to_value(set.rules()).unwrap();
    assert_eq!(summary[0]["name"], "crisis");
    assert_eq!(summary[0]["words"][0], "end it all");
    assert_eq!(summary[2]["detect"][0], "phone");
    assert_eq!(summary[2]["line"], 26);
}

/// A rule file with one mistake of each kind, and the line each should be reported on.
const BROKEN: &str = r#"# line 1
[signpost.samaritans]
title = "Samaritans"
text = "Call any time."
colour = "green"

[[rule]]
name = "typo in action"
action = "holdd"
words = ["x"]

[[rule]]
name = "bad regex"
action = "flag"
patterns = ['(unclosed']

[[rule]]
name = "unknown key"
action = "flag"
wrods = ["x"]
words = ["y"]

[[rule]]
name = "undefined signpost"
action = "flag"
words = ["z"]
signpost = ["samartians"]

[[rule]]
name = "empty list"
action = "hold"
words = []

[[rule]]
name = "reject without message"
action = "reject"
detect = ["phone", "telephone"]
kinds = ["chat", "posts"]
until_approved_posts = 0

[[rule]]
name = "nothing to match"
action = "hold"

[[rule]]
name = "typo in action"
action = "flag"
words = ["!!!"]
"#;

#[test]
fn broken_files_report_every_problem_with_its_line() {
    let problems = RuleSet::parse(BROKEN).unwrap_err();
    let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expect: &[(usize, &str)] = &[
        (5, "unknown key \"colour\""),
        (
            9,
            "unknown action \"holdd\" (expected flag, hold or reject) (did you mean \"hold\"?)",
        ),
        (15, "bad pattern \"(unclosed\""),
        (
            20,
            "unknown key \"wrods\" in rule \"unknown key\" (did you mean \"words\"?)",
        ),
        (27, "signpost \"samartians\" is not defined"),
        (32, "\"words\" is empty"),
        (36, "rejects, so it needs a message"),
        (37, "unknown detector \"telephone\""),
        (38, "unknown kind of text \"posts\""),
        (
            39,
            "until_approved_posts must be a whole number of at least 1",
        ),
        (41, "matches nothing"),
        (46, "two rules are called \"typo in action\""),
        (48, "has no letters or digits"),
    ];
    for (line, text) in expect {
        assert!(
            problems
                .iter()
                .any(|p| p.line == Some(*line) && p.message.contains(text)),
            "expected line {line}: {text}\ngot:\n{}",
            got.join("\n")
        );
    }
    assert_eq!(problems.len(), expect.len(), "got:\n{}", got.join("\n"));
    // The format the admin page shows.
    assert!(got.contains(&"line 9: unknown action \"holdd\" (expected flag, hold or reject) (did you mean \"hold\"?)".to_string()));
}

#[test]
fn toml_syntax_and_type_errors_have_lines_too() {
    let problems =
        RuleSet::parse("[[rule]]\nname = \"a\"\naction = \"hold\nwords = [\"x\"]\n").unwrap_err();
    assert_eq!(problems[0].line, Some(3), "{problems:?}");

    let problems =
        RuleSet::parse("[[rule]]\nname = \"a\"\naction = \"hold\"\nwords = \"x\"\n").unwrap_err();
    assert_eq!(problems[0].line, Some(4), "{problems:?}");
    assert!(problems[0].message.contains("rule \"a\""), "{problems:?}");

    let problems = RuleSet::parse("[[rules]]\nname = \"a\"\n").unwrap_err();
    assert_eq!(problems[0].line, Some(1), "{problems:?}");
    assert!(
        problems[0].message.contains("did you mean \"rule\""),
        "{problems:?}"
    );

    let problems = RuleSet::parse("").unwrap_err();
    assert_eq!(problems[0].line, None);
    assert!(problems[0].message.contains("no rules"));
}

#[test]
fn the_shipped_rule_file_parses_and_lists_its_rules() {
    let set = RuleSet::parse(include_str!("../../../../moderation-rules.toml")).unwrap();
    assert!(set.rules().len() >= 8);
    assert!(set.ready_reasons().len() >= 5);
    assert!(
        set.signposts()
            .iter()
            .any(|s| s.phone.as_deref() == Some("116 123"))
    );
}

#[test]
fn the_shipped_rules_publish_ordinary_sharing() {
    let set = RuleSet::parse(include_str!("../../../../moderation-rules.toml")).unwrap();
    for text in [
        "He was arrested in March and the police took his laptop.",
        "He was convicted of viewing indecent images and sentenced to 18 months.",
        "The victim was a teenager and I think about her every day.",
        "I'm so angry with him. How could he do this to us?",
        "He is in prison now and I visit every other Sunday.",
        "He was sentenced at crown court last week; the abuse happened years ago.",
        "I still babysit my grandchildren on Fridays.",
        "He was never left alone with the kids, the social worker made sure.",
        "Our solicitor said the offence carries up to 5 years.",
        "People like you should know you are not alone here.",
        "You are not a monster for still loving him.",
        "Thank you, this group is my lifeline.",
        "My son is talking to girls at school now, normal teenage stuff.",
        "I can't go on holiday this year because of the court date.",
        "I just want my brain to shut up at night.",
        "The offence was in 2019, he got 3 years.",
        "Does anyone know what a SOPO / SHPO means for visits?",
        "I felt sick when the police came to the door.",
    ] {
        let v = set.evaluate(&sub(text));
        assert_eq!(v.outcome, Outcome::Publish, "{text:?} gave {:?}", v.hits);
    }
}

#[test]
fn never_panics_on_odd_input() {
    let set = RuleSet::parse(include_str!("../../../../moderation-rules.toml")).unwrap();
    let long = "a ".repeat(50_000);
    let digits = "0 ".repeat(10_000);
    let names = "Emily Harrington ".repeat(500);
    for text in [
        "",
        " ",
        "\u{0}",
        "\u{301}\u{301}",
        "🙂🙂🙂",
        "İstanbul ǅ ﬁ",
        "'",
        "@",
        "+44",
        "+",
        long.as_str(),
        digits.as_str(),
        names.as_str(),
    ] {
        let v = set.evaluate(&sub(text));
        assert!(v.hits.len() <= 100 * set.rules().len());
        for h in &v.hits {
            assert!(text.get(h.start..h.end).is_some());
        }
    }
}

fn shipped() -> RuleSet {
    RuleSet::parse(include_str!("../../../../moderation-rules.toml")).unwrap()
}

/// Markup, entities and invisible characters cannot hide anything: the rules read the text as
/// readers see it, and the hit is highlighted where the author typed it.
#[test]
fn the_rules_read_what_readers_see() {
    let set = shipped();
    let table: &[(&str, &str)] = &[
        ("&#48;7700 9001&#50;8", "&#48;7700 9001&#50;8"),
        ("It was &#69;mily Harrington", "&#69;mily Harrington"),
        (
            "mail jan.moss&#64;gmail&#46;com",
            "jan.moss&#64;gmail&#46;com",
        ),
        ("It was Emily\u{a0}Harrington", "Emily\u{a0}Harrington"),
        ("It was Emily\u{202f}Harrington", "Emily\u{202f}Harrington"),
        (
            "ring 077\u{200b}00 900\u{200d}123",
            "077\u{200b}00 900\u{200d}123",
        ),
        (
            "It was Em**ily** Harr*ington* again",
            "Em**ily** Harr*ington",
        ),
        ("It was _Emily_ Harrington", "Emily_ Harrington"),
        (
            "[click here](https://facebook.com/jan.moss)",
            "https://facebook.com/jan.moss",
        ),
        ("It was E\u{301}mily Harrington", "E\u{301}mily Harrington"),
    ];
    for (text, want) in table {
        let v = set.evaluate(&sub(text));
        assert_eq!(v.outcome, Outcome::Hold, "{text:?}: {:?}", v.hits);
        assert!(
            v.hits.iter().any(|h| h.matched == *want),
            "{text:?}: {:?}",
            v.hits
        );
    }
}

/// A handle is checked by the identifying-data rules, split into its words.
#[test]
fn handles_are_checked_for_identifying_details() {
    let set = shipped();
    let handle = |text: &str| {
        set.evaluate(&Submission {
            kind: TextKind::Handle,
            text,
            board: None,
            author: MEMBER,
        })
        .outcome
    };
    for text in [
        "Emily.Harrington",
        "emily_harrington",
        "EmilyHarrington",
        "HMP-Parc",
        "CF10-1AA",
        "sarah-jones-77",
    ] {
        assert_eq!(handle(text), Outcome::Hold, "{text:?}");
    }
    for text in [
        "hopeful_mum",
        "Tired-Dad-77",
        "northern_sky",
        "alice_new",
        "jo_member",
        "carol_regular",
        "Rose",
        "Hope",
        "Reading",
        "Bath",
        "quiet.river",
        "Tired-Gran",
    ] {
        assert_eq!(handle(text), Outcome::Publish, "{text:?}");
    }
}

/// A content warning is its own kind of text, and the identifying and crisis rules read it as
/// they read a post; the kind has a name in the rule file and on the wire.
#[test]
fn content_warnings_are_read_by_the_identifying_and_crisis_rules() {
    assert_eq!(
        TextKind::parse("content_warning"),
        Some(TextKind::ContentWarning)
    );
    assert!(TextKind::ALL.contains(&TextKind::ContentWarning));
    let set = shipped();
    let cw = |text: &str| {
        set.evaluate(&Submission {
            kind: TextKind::ContentWarning,
            text,
            board: Some("general"),
            author: MEMBER,
        })
    };
    for text in [
        "Emily Harrington, 07700 900127, 42 Acacia Avenue CF10 1AA",
        "mentions HMP Parc",
        "jan.moss@gmail.com",
    ] {
        assert_eq!(cw(text).outcome, Outcome::Hold, "{text:?}");
    }
    let crisis = cw("nobody would miss me if I was gone");
    assert_eq!(crisis.outcome, Outcome::PublishAndFlag);
    assert!(!crisis.signposts.is_empty());
    let plain = cw("talk of prison and court");
    assert_eq!(plain.outcome, Outcome::Publish, "{:?}", plain.hits);
    // A rule can be scoped to content warnings by name.
    let scoped = one_rule("words = [\"spoiler\"]\nkinds = [\"content_warning\"]");
    let on = |kind| {
        scoped
            .evaluate(&Submission {
                kind,
                text: "spoiler",
                board: None,
                author: MEMBER,
            })
            .outcome
    };
    assert_eq!(on(TextKind::ContentWarning), Outcome::Hold);
    assert_eq!(on(TextKind::Post), Outcome::Publish);
}

/// Texts shown as typed (chat, profile text, content warnings, titles) are read rendered too:
/// markup and entities hide nothing there either, and the hit is where the author typed it.
#[test]
fn texts_shown_as_typed_are_read_rendered_too() {
    let set = shipped();
    for kind in [
        TextKind::Chat,
        TextKind::Profile,
        TextKind::ContentWarning,
        TextKind::ThreadTitle,
    ] {
        for (text, want) in [
            ("Ring me on &#48;7700 9001&#50;8", "&#48;7700 9001&#50;8"),
            ("It was &#69;mily Harrington", "&#69;mily Harrington"),
            (
                "at jan.moss&#64;gmail&#46;com",
                "jan.moss&#64;gmail&#46;com",
            ),
            ("It was Em**ily** Harr*ington*", "Em**ily** Harr*ington"),
        ] {
            let v = set.evaluate(&Submission {
                kind,
                text,
                board: Some("general"),
                author: MEMBER,
            });
            assert_eq!(v.outcome, Outcome::Hold, "{kind:?} {text:?}");
            assert!(
                v.hits.iter().any(|h| h.matched == want),
                "{kind:?} {text:?}: {:?}",
                v.hits
            );
        }
        // Markup alone changes nothing.
        let v = set.evaluate(&Submission {
            kind,
            text: "I *really* needed this & more",
            board: Some("general"),
            author: MEMBER,
        });
        assert_eq!(v.outcome, Outcome::Publish, "{kind:?}: {:?}", v.hits);
    }
}

/// The pattern filter only skips patterns that cannot match: every verdict (outcome, every hit
/// with its span, messages, signposts, concern, urgency) is the same as running every pattern,
/// for the 420 shared cases and the variants, plain and dressed up (markup, entities, other
/// case, look-alike digits), under every kind of text and several authors.
#[test]
fn the_pattern_filter_never_changes_a_verdict() {
    let set = shipped();
    let all = set.without_filter();
    let shared = format!(
        "{}/../../testdata/shared-data/moderation/cases-v2.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let beside = format!(
        "{}/../../../shared/data/moderation/cases-v2.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let cases = std::fs::read_to_string(&beside)
        .or_else(|_| std::fs::read_to_string(&shared))
        .expect("the shared moderation cases");
    let variants = include_str!("../../tests/data/variants.jsonl");
    let mut texts: Vec<String> = Vec::new();
    for line in cases.lines().chain(variants.lines()) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(t) = v["text"].as_str()
        {
            texts.push(t.to_owned());
            texts.push(format!("**{t}**"));
            texts.push(t.to_uppercase());
            texts.push(t.replace('e', "&#101;").replace('0', "O"));
            texts.push(t.replace(' ', "\u{a0}"));
        }
    }
    assert!(texts.len() > 2000, "{} texts", texts.len());
    let kinds = TextKind::ALL;
    let mut compared = 0;
    for text in &texts {
        for kind in kinds {
            for (approved_posts, role) in
                [(0, Role::Member), (50, Role::Member), (0, Role::Moderator)]
            {
                let s = Submission {
                    kind,
                    text,
                    board: Some("general"),
                    author: AuthorFacts {
                        approved_posts,
                        role,
                    },
                };
                assert_eq!(set.evaluate(&s), all.evaluate(&s), "{kind:?} {text:?}");
                compared += 1;
            }
        }
    }
    assert!(compared > 30_000);
}
