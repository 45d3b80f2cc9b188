//! Reading `moderation-rules.toml` into compiled rules, collecting every problem with its line.
//!
//! The file is edited by moderators, not programmers, so a mistake should come back as a list
//! of plain sentences with line numbers, all at once, rather than one cryptic error at a time.
//! We parse the TOML keeping spans (`toml::de::DeTable`), then check each table on its own:
//! unknown keys first (every one of them, with a "did you mean"), then the fields, then what the
//! fields mean (actions, regexes, signpost names, kinds).

use std::collections::BTreeMap;
use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::detect::Detector;
use super::engine::CompiledRule;
use super::types::{Action, ReadyReason, RuleSummary, Signpost, TextKind};
use super::words::{WordError, WordList};

/// One thing wrong with a rule file, with the line it is on when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleProblem {
    /// 1-based line number in the TOML file.
    pub line: Option<usize>,
    /// What is wrong, as a sentence for the person editing the file.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RuleProblem {}

/// Keys a rule may have, in the order the file documents them.
const RULE_KEYS: &[&str] = &[
    "name",
    "description",
    "action",
    "words",
    "patterns",
    "case_sensitive_patterns",
    "detect",
    "everything",
    "except",
    "kinds",
    "skip_kinds",
    "boards",
    "skip_boards",
    "until_approved_posts",
    "skip_staff",
    "message",
    "signpost",
    "concern",
    "urgent",
];
const SIGNPOST_KEYS: &[&str] = &["title", "text", "phone", "url"];
const READY_REASON_KEYS: &[&str] = &["id", "text"];
const TOP_KEYS: &[&str] = &["allow", "signpost", "rule", "ready_reason"];

/// Compiled regexes may not grow past this (a guard against huge patterns, not a tuning knob).
const PATTERN_SIZE_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<Spanned<String>>,
    description: Option<String>,
    action: Option<Spanned<String>>,
    words: Option<Spanned<Vec<Spanned<String>>>>,
    patterns: Option<Spanned<Vec<Spanned<String>>>>,
    case_sensitive_patterns: Option<Spanned<Vec<Spanned<String>>>>,
    detect: Option<Spanned<Vec<Spanned<String>>>>,
    everything: Option<bool>,
    except: Option<Spanned<Vec<Spanned<String>>>>,
    kinds: Option<Vec<Spanned<String>>>,
    skip_kinds: Option<Vec<Spanned<String>>>,
    boards: Option<Vec<Spanned<String>>>,
    skip_boards: Option<Vec<Spanned<String>>>,
    until_approved_posts: Option<Spanned<i64>>,
    skip_staff: Option<bool>,
    message: Option<Spanned<String>>,
    signpost: Option<Vec<Spanned<String>>>,
    concern: Option<bool>,
    urgent: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignpost {
    title: Option<String>,
    text: Option<String>,
    phone: Option<String>,
    url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReadyReason {
    id: Option<Spanned<String>>,
    text: Option<String>,
}

/// Everything a valid file yields; `RuleSet::parse` adds the detectors.
pub(crate) struct Parsed {
    pub rules: Vec<CompiledRule>,
    pub summaries: Vec<RuleSummary>,
    pub signposts: Vec<Signpost>,
    pub ready_reasons: Vec<ReadyReason>,
    pub allow: Option<WordList>,
}

/// Collects problems and turns byte offsets into line numbers.
struct Problems<'a> {
    text: &'a str,
    list: Vec<RuleProblem>,
}

impl Problems<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = Some(self.line_of(offset));
        self.list.push(RuleProblem {
            line,
            message: message.into(),
        });
    }

    fn toml(&mut self, e: &toml::de::Error, context: &str) {
        let line = e.span().map(|s| self.line_of(s.start));
        let message = e.message().trim().to_string();
        let message = if context.is_empty() {
            message
        } else {
            format!("{context}: {message}")
        };
        self.list.push(RuleProblem { line, message });
    }
}

/// Edit distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn did_you_mean<'k>(word: &str, options: impl IntoIterator<Item = &'k str>) -> String {
    let best = options
        .into_iter()
        .map(|o| (distance(word, o), o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 3))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, o)) => format!(" (did you mean \"{o}\"?)"),
        None => String::new(),
    }
}

fn quoted_list(options: &[&str]) -> String {
    options.join(", ")
}

/// Reports unknown keys of `table` and returns a copy without them, so the rest can still be
/// checked.
fn known_keys<'i>(
    table: &DeTable<'i>,
    allowed: &[&str],
    what: &str,
    problems: &mut Problems<'_>,
) -> DeTable<'i> {
    let mut kept = table.clone();
    for key in table.keys() {
        let k: &str = key.get_ref();
        if !allowed.contains(&k) {
            problems.at(
                key.span().start,
                format!(
                    "unknown key \"{k}\" in {what}{}",
                    did_you_mean(k, allowed.iter().copied())
                ),
            );
            kept.remove(k);
        }
    }
    kept
}

fn table_value<'i>(span: std::ops::Range<usize>, table: DeTable<'i>) -> Spanned<DeValue<'i>> {
    Spanned::new(span, DeValue::Table(table))
}

fn regex_message(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error:").map(str::trim))
            .unwrap_or("not a valid pattern")
            .to_string(),
        regex::Error::CompiledTooBig(_) => "the pattern is too big".to_string(),
        _ => e.to_string(),
    }
}

fn compile_patterns(
    list: &Option<Spanned<Vec<Spanned<String>>>>,
    key: &str,
    case_insensitive: bool,
    problems: &mut Problems<'_>,
) -> (Vec<Regex>, Vec<String>) {
    let mut out = Vec::new();
    let mut sources = Vec::new();
    let Some(list) = list else {
        return (out, sources);
    };
    if list.get_ref().is_empty() {
        problems.at(
            list.span().start,
            format!("\"{key}\" is empty: add a pattern or remove the line"),
        );
    }
    for p in list.get_ref() {
        if p.get_ref().is_empty() {
            problems.at(
                p.span().start,
                format!("an empty pattern in \"{key}\" would match everything"),
            );
            continue;
        }
        match RegexBuilder::new(p.get_ref())
            .case_insensitive(case_insensitive)
            .size_limit(PATTERN_SIZE_LIMIT)
            .nest_limit(64)
            .build()
        {
            Ok(r) => {
                if r.is_match("") {
                    problems.at(
                        p.span().start,
                        format!("the pattern {:?} in \"{key}\" matches empty text, so it would match everything", p.get_ref()),
                    );
                } else {
                    out.push(r);
                    sources.push(p.get_ref().clone());
                }
            }
            Err(e) => problems.at(
                p.span().start,
                format!(
                    "bad pattern {:?} in \"{key}\": {}",
                    p.get_ref(),
                    regex_message(&e)
                ),
            ),
        }
    }
    (out, sources)
}

fn compile_words(
    list: &Option<Spanned<Vec<Spanned<String>>>>,
    key: &str,
    problems: &mut Problems<'_>,
) -> (Option<WordList>, Vec<String>) {
    let Some(list) = list else {
        return (None, Vec::new());
    };
    let entries: Vec<&str> = list
        .get_ref()
        .iter()
        .map(|s| s.get_ref().as_str())
        .collect();
    if entries.is_empty() {
        problems.at(
            list.span().start,
            format!("\"{key}\" is empty: add words or remove the line"),
        );
        return (None, Vec::new());
    }
    let sources = entries.iter().map(|s| s.to_string()).collect();
    match WordList::compile(&entries) {
        Ok(w) => (Some(w), sources),
        Err(errors) => {
            for (i, e) in errors {
                let span = list.get_ref().get(i).map_or(list.span(), |s| s.span());
                match e {
                    WordError::Empty => problems.at(
                        span.start,
                        format!(
                            "an entry in \"{key}\" has no letters or digits: {:?}",
                            entries.get(i).unwrap_or(&"")
                        ),
                    ),
                    WordError::TooBig(m) => {
                        problems.at(span.start, format!("\"{key}\" is too big to use: {m}"))
                    }
                }
            }
            (None, Vec::new())
        }
    }
}

fn parse_kinds(list: &Option<Vec<Spanned<String>>>, problems: &mut Problems<'_>) -> Vec<TextKind> {
    let names: Vec<&str> = TextKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut out = Vec::new();
    for k in list.iter().flatten() {
        match TextKind::parse(k.get_ref()) {
            Some(kind) => out.push(kind),
            None => problems.at(
                k.span().start,
                format!(
                    "unknown kind of text \"{}\"{} (expected {})",
                    k.get_ref(),
                    did_you_mean(k.get_ref(), names.iter().copied()),
                    quoted_list(&names)
                ),
            ),
        }
    }
    out
}

fn boards(list: &Option<Vec<Spanned<String>>>, problems: &mut Problems<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for b in list.iter().flatten() {
        let name = b.get_ref().trim().to_lowercase();
        if name.is_empty() {
            problems.at(b.span().start, "an empty board name");
        } else {
            out.push(name);
        }
    }
    out
}

fn parse_signposts(value: &Spanned<DeValue<'_>>, problems: &mut Problems<'_>) -> Vec<Signpost> {
    let mut out = Vec::new();
    let Some(table) = value.get_ref().as_table() else {
        problems.at(
            value.span().start,
            "\"signpost\" must be a set of [signpost.NAME] tables",
        );
        return out;
    };
    for (key, entry) in table.iter() {
        let name: &str = key.get_ref();
        let what = format!("signpost \"{name}\"");
        let Some(t) = entry.get_ref().as_table() else {
            problems.at(
                key.span().start,
                format!("{what} must be a table: write it as [signpost.{name}]"),
            );
            continue;
        };
        let kept = known_keys(t, SIGNPOST_KEYS, &what, problems);
        let raw = match RawSignpost::deserialize(ValueDeserializer::from(table_value(
            entry.span(),
            kept,
        ))) {
            Ok(r) => r,
            Err(e) => {
                problems.toml(&e, &what);
                continue;
            }
        };
        let line_at = key.span().start;
        let title = raw.title.unwrap_or_default();
        let text = raw.text.unwrap_or_default();
        if title.trim().is_empty() {
            problems.at(line_at, format!("{what} needs a title"));
        }
        if text.trim().is_empty() {
            problems.at(line_at, format!("{what} needs a text"));
        }
        if let Some(url) = &raw.url {
            let u = url.get_ref();
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                problems.at(
                    url.span().start,
                    format!("the url of {what} must start with https://"),
                );
            }
        }
        out.push(Signpost {
            name: name.to_string(),
            title,
            text,
            phone: raw.phone,
            url: raw.url.map(Spanned::into_inner),
        });
    }
    out
}

fn parse_ready_reasons(
    value: &Spanned<DeValue<'_>>,
    problems: &mut Problems<'_>,
) -> Vec<ReadyReason> {
    let mut out: Vec<ReadyReason> = Vec::new();
    let Some(array) = value.get_ref().as_array() else {
        problems.at(
            value.span().start,
            "\"ready_reason\" must be written as [[ready_reason]] blocks",
        );
        return out;
    };
    for entry in array.iter() {
        let Some(t) = entry.get_ref().as_table() else {
            problems.at(
                entry.span().start,
                "each ready reason must be a [[ready_reason]] block",
            );
            continue;
        };
        let kept = known_keys(t, READY_REASON_KEYS, "a ready reason", problems);
        let raw = match RawReadyReason::deserialize(ValueDeserializer::from(table_value(
            entry.span(),
            kept,
        ))) {
            Ok(r) => r,
            Err(e) => {
                problems.toml(&e, "ready reason");
                continue;
            }
        };
        let Some(id) = raw.id else {
            problems.at(entry.span().start, "a ready reason needs an id");
            continue;
        };
        let text = raw.text.unwrap_or_default();
        if id.get_ref().trim().is_empty() {
            problems.at(id.span().start, "a ready reason's id is empty");
        }
        if text.trim().is_empty() {
            problems.at(
                id.span().start,
                format!("ready reason \"{}\" needs a text", id.get_ref()),
            );
        }
        if out.iter().any(|r| r.id == *id.get_ref()) {
            problems.at(
                id.span().start,
                format!("ready reason \"{}\" is defined twice", id.get_ref()),
            );
        }
        out.push(ReadyReason {
            id: id.into_inner(),
            text,
        });
    }
    out
}

fn parse_rule(
    entry: &Spanned<DeValue<'_>>,
    index: usize,
    signposts: &[Signpost],
    seen_names: &mut Vec<String>,
    problems: &mut Problems<'_>,
) -> Option<(CompiledRule, RuleSummary)> {
    let rule_at = entry.span().start;
    let Some(t) = entry.get_ref().as_table() else {
        problems.at(rule_at, "each rule must be a [[rule]] block");
        return None;
    };
    let label = t
        .get("name")
        .and_then(|v| v.get_ref().as_str())
        .map_or_else(
            || format!("rule {}", index + 1),
            |n| format!("rule \"{n}\""),
        );
    let kept = known_keys(t, RULE_KEYS, &label, problems);
    let raw = match RawRule::deserialize(ValueDeserializer::from(table_value(entry.span(), kept))) {
        Ok(r) => r,
        Err(e) => {
            problems.toml(&e, &label);
            return None;
        }
    };
    let before = problems.list.len();

    let name = match &raw.name {
        Some(n) if !n.get_ref().trim().is_empty() => {
            let name = n.get_ref().trim().to_string();
            if seen_names.contains(&name) {
                problems.at(
                    n.span().start,
                    format!("two rules are called \"{name}\": give each rule its own name"),
                );
            }
            seen_names.push(name.clone());
            name
        }
        Some(n) => {
            problems.at(n.span().start, format!("{label} has an empty name"));
            String::new()
        }
        None => {
            problems.at(rule_at, format!("{label} needs a name"));
            String::new()
        }
    };

    let action = match &raw.action {
        Some(a) => match Action::parse(a.get_ref()) {
            Some(action) => Some(action),
            None => {
                problems.at(
                    a.span().start,
                    format!(
                        "unknown action \"{}\" (expected flag, hold or reject){}",
                        a.get_ref(),
                        did_you_mean(a.get_ref(), ["flag", "hold", "reject"])
                    ),
                );
                None
            }
        },
        None => {
            problems.at(
                rule_at,
                format!("{label} needs an action: flag, hold or reject"),
            );
            None
        }
    };

    let (words, word_sources) = compile_words(&raw.words, "words", problems);
    let (patterns, pattern_sources) = compile_patterns(&raw.patterns, "patterns", true, problems);
    let (cs_patterns, cs_sources) = compile_patterns(
        &raw.case_sensitive_patterns,
        "case_sensitive_patterns",
        false,
        problems,
    );
    let (except, except_sources) = compile_words(&raw.except, "except", problems);

    let mut detect = Vec::new();
    if let Some(list) = &raw.detect {
        if list.get_ref().is_empty() {
            problems.at(
                list.span().start,
                "\"detect\" is empty: name a detector or remove the line",
            );
        }
        let names: Vec<&str> = Detector::ALL.iter().map(|d| d.as_str()).collect();
        for d in list.get_ref() {
            match Detector::parse(d.get_ref()) {
                Some(det) if !detect.contains(&det) => detect.push(det),
                Some(_) => {}
                None => problems.at(
                    d.span().start,
                    format!(
                        "unknown detector \"{}\"{} (expected {})",
                        d.get_ref(),
                        did_you_mean(d.get_ref(), names.iter().copied()),
                        quoted_list(&names)
                    ),
                ),
            }
        }
    }
    let everything = raw.everything.unwrap_or(false);
    let has_matcher = raw.words.is_some()
        || raw.patterns.is_some()
        || raw.case_sensitive_patterns.is_some()
        || raw.detect.is_some()
        || everything;
    if !has_matcher {
        problems.at(
            rule_at,
            format!("{label} matches nothing: give it words, patterns, case_sensitive_patterns, detect, or everything = true"),
        );
    }

    let kinds = parse_kinds(&raw.kinds, problems);
    let skip_kinds = parse_kinds(&raw.skip_kinds, problems);
    let boards_only = boards(&raw.boards, problems);
    let skip_boards = boards(&raw.skip_boards, problems);

    let until_approved_posts = match &raw.until_approved_posts {
        Some(n) => match u32::try_from(*n.get_ref()) {
            Ok(v) if v >= 1 => Some(v),
            _ => {
                problems.at(
                    n.span().start,
                    "until_approved_posts must be a whole number of at least 1",
                );
                None
            }
        },
        None => None,
    };

    let message = raw.message.as_ref().map(|m| m.get_ref().trim().to_string());
    if action == Some(Action::Reject) && message.as_deref().is_none_or(str::is_empty) {
        problems.at(
            raw.action.as_ref().map_or(rule_at, |a| a.span().start),
            format!("{label} rejects, so it needs a message telling the author why"),
        );
    }

    let mut signpost_idx = Vec::new();
    let mut signpost_names = Vec::new();
    for s in raw.signpost.iter().flatten() {
        match signposts.iter().position(|sp| sp.name == *s.get_ref()) {
            Some(i) => {
                signpost_idx.push(i);
                signpost_names.push(s.get_ref().clone());
            }
            None => problems.at(
                s.span().start,
                format!(
                    "signpost \"{}\" is not defined: add a [signpost.{}] section{}",
                    s.get_ref(),
                    s.get_ref(),
                    did_you_mean(s.get_ref(), signposts.iter().map(|sp| sp.name.as_str()))
                ),
            ),
        }
    }

    if problems.list.len() > before {
        return None;
    }
    let action = action?;
    let concern = raw.concern.unwrap_or(false);
    let urgent = raw.urgent.unwrap_or(false);
    let skip_staff = raw.skip_staff.unwrap_or(false);
    let summary = RuleSummary {
        name: name.clone(),
        description: raw.description.clone(),
        action,
        words: word_sources,
        patterns: pattern_sources,
        case_sensitive_patterns: cs_sources,
        detect: detect.clone(),
        everything,
        except: except_sources,
        kinds: kinds.clone(),
        skip_kinds: skip_kinds.clone(),
        boards: boards_only.clone(),
        skip_boards: skip_boards.clone(),
        until_approved_posts,
        skip_staff,
        message: message.clone(),
        signpost: signpost_names,
        concern,
        urgent,
        line: problems.line_of(rule_at),
    };
    let rule = CompiledRule {
        name,
        action,
        words,
        patterns,
        pattern_ids: Vec::new(),
        case_sensitive_patterns: cs_patterns,
        detect,
        everything,
        except,
        kinds,
        skip_kinds,
        boards: boards_only,
        skip_boards,
        until_approved_posts,
        skip_staff,
        message,
        signposts: signpost_idx,
        concern,
        urgent,
    };
    Some((rule, summary))
}

/// Parses and checks a whole rule file.
pub(crate) fn parse(text: &str) -> Result<Parsed, Vec<RuleProblem>> {
    let mut problems = Problems {
        text,
        list: Vec::new(),
    };
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in &errors {
            problems.toml(e, "");
        }
        return Err(problems.list);
    }
    let root = doc.get_ref();
    let mut sections: BTreeMap<&str, &Spanned<DeValue<'_>>> = BTreeMap::new();
    for (key, value) in root.iter() {
        let k: &str = key.get_ref();
        if TOP_KEYS.contains(&k) {
            sections.insert(k, value);
        } else {
            problems.at(
                key.span().start,
                format!(
                    "unknown section \"{k}\"{} (expected [[rule]], [signpost.NAME], [[ready_reason]] or allow)",
                    did_you_mean(k, TOP_KEYS.iter().copied())
                ),
            );
        }
    }

    let signposts = sections
        .get("signpost")
        .map(|v| parse_signposts(v, &mut problems))
        .unwrap_or_default();
    let ready_reasons = sections
        .get("ready_reason")
        .map(|v| parse_ready_reasons(v, &mut problems))
        .unwrap_or_default();

    let mut allow = None;
    if let Some(v) = sections.get("allow") {
        match Vec::<Spanned<String>>::deserialize(ValueDeserializer::from((*v).clone())) {
            Ok(list) => {
                let spanned = Some(Spanned::new(v.span(), list));
                allow = compile_words(&spanned, "allow", &mut problems).0;
            }
            Err(e) => problems.toml(&e, "allow"),
        }
    }

    let mut rules = Vec::new();
    let mut summaries = Vec::new();
    match sections.get("rule") {
        None => problems.list.push(RuleProblem {
            line: None,
            message: "the file has no rules: add at least one [[rule]] block".to_string(),
        }),
        Some(v) => match v.get_ref().as_array() {
            None => problems.at(v.span().start, "rules must be written as [[rule]] blocks"),
            Some(array) => {
                let mut seen = Vec::new();
                for (i, entry) in array.iter().enumerate() {
                    if let Some((rule, summary)) =
                        parse_rule(entry, i, &signposts, &mut seen, &mut problems)
                    {
                        rules.push(rule);
                        summaries.push(summary);
                    }
                }
            }
        },
    }

    if problems.list.is_empty() {
        Ok(Parsed {
            rules,
            summaries,
            signposts,
            ready_reasons,
            allow,
        })
    } else {
        problems.list.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(problems.list)
    }
}
