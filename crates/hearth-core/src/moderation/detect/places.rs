//! Named institutions (`Cardiff Crown Court`, `St Mary's Primary`, `HMP Parc`, `Little Acorns
//! nursery`, `St Cuthbert's`, `Hartley Rovers`, `Rampton`): courts, prisons, schools, nurseries,
//! colleges, hospitals, churches, clubs and employers. They can identify a case, a child or a
//! family.
//!
//! Four shapes: a proper name before the kind of place; `HMP`/`HMYOI` before a name; a
//! saint's name with `'s` (`St Anselm's`, a church or school); a prison or secure hospital
//! known by its name alone, when the sentence is about custody (`moved to Whatton`,
//! `Wandsworth have lost his property`); and an employer after `works for`/`a driver for`.
//!
//! A place needs a capitalised name before the kind of place; generic words (`the`, `my`,
//! `local`, `Open`, days of the week) are not names, so "the Crown Court" and "my Primary School"
//! pass. Places a pattern cannot know (a town's only school, a local landmark) belong in a
//! rule's `words` list.

use regex::Regex;

/// Capitalised words that do not name a place on their own.
const NOT_PLACE_NAMES: &[&str] = &[
    "the",
    "a",
    "an",
    "at",
    "in",
    "on",
    "to",
    "from",
    "by",
    "near",
    "our",
    "my",
    "his",
    "her",
    "their",
    "your",
    "its",
    "local",
    "old",
    "new",
    "open",
    "closed",
    "category",
    "cat",
    "sixth",
    "form",
    "women's",
    "womens",
    "women’s",
    "men's",
    "mens",
    "men’s",
    "female",
    "male",
    "private",
    "state",
    "public",
    "this",
    "that",
    "which",
    "same",
    "different",
    "big",
    "little",
    "nearest",
    "nearby",
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "primary",
    "secondary",
    "junior",
    "infant",
    "infants",
    "high",
    "catholic",
    "church",
    "crown",
    "magistrates",
    "magistrates'",
    "magistrates’",
    "county",
    "family",
    "youth",
    "and",
    "or",
    "but",
    "i",
    "when",
    "after",
    "before",
    "then",
    "so",
    "if",
    "he",
    "she",
    "they",
    "we",
    "you",
    "it",
    "is",
    "was",
    "every",
    "any",
    "some",
    "no",
    "one",
    "first",
    "last",
    "next",
    "main",
    "dear",
    "hi",
    "at",
    "went",
    "go",
    "goes",
    "until",
    "while",
    "since",
    "because",
    "both",
    "day",
    "boarding",
    "special",
    "grammar",
    "comprehensive",
    "community",
];

/// Prisons, young offender institutions and secure hospitals in the UK that people name without
/// saying what they are (`he's in Whatton`). Names that are also big towns or cities (`Leeds`,
/// `Durham`) are left out: with `HMP` or `Prison` the other shapes catch them.
const CUSTODY_NAMES: &str = "Altcourse|Ashfield|Askham Grange|Belmarsh|Berwyn|Brinsford|Brixton|\
Bronzefield|Buckley Hall|Bullingdon|Channings Wood|Coldingley|Cookham Wood|Dartmoor|Deerbolt|\
Dovegate|Downview|Drake Hall|East Sutton Park|Eastwood Park|Elmley|Erlestoke|Featherstone|\
Feltham|Five Wells|Forest Bank|Foston Hall|Frankland|Full Sutton|Gartree|Grendon|Guys Marsh|\
Haverigg|Hewell|High Down|Highpoint|Hindley|Hollesley Bay|Holme House|Huntercombe|\
Kirklevington Grange|Lancaster Farms|Leyhill|Lindholme|Littlehey|Long Lartin|Low Newton|\
Lowdham Grange|Moorland|Morton Hall|New Hall|North Sea Camp|Oakwood|Onley|Parc|Pentonville|\
Prescoed|Ranby|Risley|Rye Hill|Standford Hill|Stocken|Stoke Heath|Styal|Swaleside|Swinfen Hall|\
Thameside|Thorn Cross|Wandsworth|Warren Hill|Wayland|Wealstun|Whatton|Whitemoor|Woodhill|\
Wormwood Scrubs|Wymott|Fosse Way|Millsike|Barlinnie|Addiewell|Saughton|Glenochil|Low Moss|\
Shotts|Polmont|Castle Huntly|Cornton Vale|Maghaberry|Magilligan|Hydebank Wood|Rampton|\
Broadmoor|Ashworth|Carstairs";

/// Words that make a sentence about custody, so a prison's bare name in it means the prison.
const CUSTODY_WORDS: &str = r"remanded|sectioned|\
visit|visits|visiting|visited|property|wing|cell|landing|inmates?|prisoners?|officers|governor|\
canteen|offenders|recall(?:ed)?|locked up|banged up|inside|release[ds]?|parole|lost his|lost her";

/// Words that, right before a prison's bare name, mean the prison (`moved to Whatton`); on
/// their own elsewhere in the sentence they do not (`grew up in Wandsworth but we moved north`).
const CUSTODY_MOVES: &str = r"(?i:moved|transferred|sent|shipped|taken|remanded|sectioned|ghosted|\
recalled|back)(?:\s+(?:back|over|up|down))?\s+(?:to|into|in|at)\s+$|(?i:\b(?:he|hes|he's|he is|she|shes|she's|\
she is|they're|theyre|son|husband|partner|dad|brother)\s+(?:is\s+|was\s+|now\s+|still\s+)*(?:in|at)\s+$)";

/// The compiled place patterns.
#[derive(Debug, Clone)]
pub(crate) struct PlaceDetector {
    named: Regex,
    hmp: Regex,
    saint: Regex,
    custody_name: Regex,
    custody_context: Regex,
    custody_move: Regex,
    employer: Regex,
}

impl PlaceDetector {
    /// Compiles the patterns (fixed strings: tested below, so this does not fail in practice).
    pub fn new() -> Result<PlaceDetector, regex::Error> {
        let name = r"(?:\p{Lu}[\p{L}'’.-]*\s+){1,4}";
        let kinds = concat!(
            r"(?:(?:Crown|Magistrates['’]?|County|Family|Youth|Combined|Coroner['’]?s|Sheriff|Civil\s+Justice|Law)\s+Courts?",
            r"|Magistrates['’]?|Court\s+Centre|Justice\s+Centre",
            r"|(?:Primary|Secondary|Junior|Infants?|Nursery|High|Grammar|Comprehensive|Community|Church|Catholic|Middle|Upper|Prep|Preparatory)(?:\s+(?:School|Academy|College))?",
            r"|School|Academy|College|Sixth\s+Form|University",
            r"|(?i:nursery|pre-?school|playgroup|day\s+nursery|creche|childminders?)",
            r"|Prison|Young\s+Offenders['’]?\s+Institution|YOI|Secure\s+(?:Hospital|Unit)",
            r"|Police\s+Station",
            r"|Hospital|Infirmary|Hospice|Medical\s+Centre|Health\s+Centre|Surgery|Clinic",
            r"|Church|Chapel|Cathedral|Mosque|Synagogue|Temple|Gurdwara|Kingdom\s+Hall|Parish",
            r"|Rovers|Wanderers|Athletic|Harriers|Juniors|Colts|F\.?C|A\.?F\.?C|R\.?F\.?C|J\.?F\.?C|(?:Football|Rugby|Cricket|Boxing|Youth|Sailing|Golf|Tennis|Swimming)\s+Club|Scouts|Brownies|Guides|Cubs|Beavers",
            r")",
        );
        Ok(PlaceDetector {
            named: Regex::new(&format!(r"\b({name}){kinds}\b"))?,
            hmp: Regex::new(
                r"\b(?:HMP(?:\s*/?\s*YOI)?|HM\s+Prison|HMYOI|(?i:hmp))\s+\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)?",
            )?,
            saint: Regex::new(r"\b(?:St|St\.|Saint)\s+\p{Lu}\p{Ll}+(?:['’]s)\b")?,
            custody_name: Regex::new(&format!(r"\b(?:{CUSTODY_NAMES})\b"))?,
            custody_context: Regex::new(&format!(r"(?i)\b(?:{CUSTODY_WORDS})\b"))?,
            custody_move: Regex::new(CUSTODY_MOVES)?,
            employer: Regex::new(
                r"\b(?i:works|worked|working|work|job|employed|driver|manager|cleaner|volunteers?|volunteering|volunteered|shifts?|warehouse|apprentice|apprenticeship)\s+(?i:at|for|with)\s+(\p{Lu}[\p{L}&'’-]+(?:\s+\p{Lu}[\p{L}&'’-]+){0,2})",
            )?,
        })
    }

    /// Byte ranges of named places in `text`.
    pub fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for c in self.named.captures_iter(text) {
            let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
                continue;
            };
            // Skip generic leading words; what is left must still name something.
            let mut start = None;
            for w in name.as_str().split_whitespace() {
                let offset = w.as_ptr() as usize - name.as_str().as_ptr() as usize;
                let k = w.to_lowercase();
                let k = k.trim_end_matches('.');
                if start.is_none() && !NOT_PLACE_NAMES.contains(&k) && k != "st" && k != "saint" {
                    start = Some(name.start() + offset);
                } else if start.is_none() && (k == "st" || k == "saint") {
                    // "St Mary's": keep the St with the saint's name that follows.
                    start = Some(name.start() + offset);
                }
            }
            if let Some(s) = start {
                let leading = &text[s..name.end()];
                let only_saint = leading
                    .split_whitespace()
                    .all(|w| matches!(w.to_lowercase().trim_end_matches('.'), "st" | "saint"));
                if !only_saint {
                    out.push((s, all.end()));
                }
            }
        }
        let mut extra: Vec<(usize, usize)> = self
            .hmp
            .find_iter(text)
            .chain(self.saint.find_iter(text))
            .map(|m| (m.start(), m.end()))
            .collect();
        for m in self.custody_name.find_iter(text) {
            let sentence = sentence_around(text, m.start(), m.end());
            let mut from = m.start().saturating_sub(40);
            while !text.is_char_boundary(from) {
                from += 1;
            }
            let before = &text[from..m.start()];
            if self.custody_context.is_match(sentence) || self.custody_move.is_match(before) {
                extra.push((m.start(), m.end()));
            }
        }
        for c in self.employer.captures_iter(text) {
            if let Some(m) = c.get(1) {
                let first = m.as_str().split_whitespace().next().unwrap_or("");
                let k = first.to_lowercase();
                if !NOT_PLACE_NAMES.contains(&k.as_str()) && !NOT_EMPLOYERS.contains(&k.as_str()) {
                    extra.push((m.start(), m.end()));
                }
            }
        }
        extra.sort_unstable();
        super::links::merge_spans(out, extra)
    }
}

/// Capitalised words after "works for" that are not an employer's name.
const NOT_EMPLOYERS: &[&str] = &[
    "christmas",
    "easter",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "years",
    "ages",
    "months",
    "weeks",
    "nhs",
    "council",
    "probation",
    "god",
    "me",
    "us",
    "him",
    "her",
    "them",
];

/// The sentence (up to 200 bytes either side) around `start..end`.
fn sentence_around(text: &str, start: usize, end: usize) -> &str {
    let mut from = start.saturating_sub(200);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (end + 200).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let before = &text[from..start];
    let s = before
        .rfind(['.', '!', '?', '\n'])
        .map_or(from, |i| from + i + 1);
    let after = &text[end..to];
    let e = after.find(['.', '!', '?', '\n']).map_or(to, |i| end + i);
    &text[s..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places() {
        let d = PlaceDetector::new().unwrap();
        let table: &[(&str, &[&str])] = &[
            (
                "My husband's case is at Cardiff Crown Court next month.",
                &["Cardiff Crown Court"],
            ),
            (
                "She goes to St Mary's Primary and the police came there.",
                &["St Mary's Primary"],
            ),
            ("Hillside Primary School", &["Hillside Primary School"]),
            (
                "The Newport Magistrates' Court",
                &["Newport Magistrates' Court"],
            ),
            ("Bridgend Police Station", &["Bridgend Police Station"]),
            ("he is in HMP Parc now", &["HMP Parc"]),
            ("Moved to Prescoed Prison", &["Prescoed Prison"]),
            ("Ysgol Gyfun Academy", &["Ysgol Gyfun Academy"]),
            ("the case went to the Crown Court", &[]),
            ("The Crown Court was awful", &[]),
            ("At Crown Court he pleaded guilty", &[]),
            ("my Primary School days", &[]),
            ("he is in prison and I visit", &[]),
            ("He's in an Open Prison now", &[]),
            ("Sunday School was his thing", &[]),
            ("The probation officer was kinder than I expected.", &[]),
            ("I'm in Wales, is anyone else?", &[]),
            ("Swansea Magistrates on the 3rd", &["Swansea Magistrates"]),
            ("Little Acorns nursery asked", &["Acorns nursery"]),
            (
                "We've stopped going to St Cuthbert's because",
                &["St Cuthbert's"],
            ),
            ("the lads at Hartley Rovers have", &["Hartley Rovers"]),
            ("He's been moved to Whatton now", &["Whatton"]),
            ("Belmarsh lost his property again", &["Belmarsh"]),
            ("I grew up in Wandsworth but we left", &[]),
            ("He was a driver for Parcelwise in Crewe", &["Parcelwise"]),
            ("She works for the NHS", &[]),
            ("He worked for years as a plumber", &[]),
            ("Royal Infirmary staff were kind", &["Royal Infirmary"]),
            ("hmp-parc", &[]),
            ("HMP Parc", &["HMP Parc"]),
            ("He's in a Cat C now, 40 minutes away", &[]),
            ("Church used to be my comfort", &[]),
            ("My faith has taken a battering. Church used to help", &[]),
        ];
        for (text, want) in table {
            let got: Vec<&str> = d.find(text).into_iter().map(|(s, e)| &text[s..e]).collect();
            assert_eq!(got, *want, "{text:?}");
        }
    }
}
