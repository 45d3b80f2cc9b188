//! Text that looks like a person's full name.
//!
//! Two capitalised words where the first is a known forename (`Emily Harrington`), or capitalised
//! words right after a cue (`his name is ...`, `a man called ...`). Names in quotes are taken as
//! titles of books or films (`'Mary Shelley'`) unless a cue comes before them. Lower-case names
//! are not caught: that would flag half of every sentence.

use std::collections::HashSet;

use regex::Regex;

/// Forenames common in the UK across generations and communities (English, Welsh, Scottish, Irish,
/// Polish, South Asian, African, Caribbean). Lower case, accents dropped.
const FORENAMES: &str = "\
aamir aarav aaron abbie abby abdi abdul abdullah abena abigail adaeze adam adele adrian \
agata agnes agnieszka ahmad ahmed aidan aiden aileen aisha ajay alan alana alasdair \
alastair albert aled aleksandra alex alexander alexandra alfie alice alison alistair allan \
amanda amelia amina amir amira amit amrit amy anand andrea andrei andrew andrzej andy \
aneurin angela angharad angus anil anjali ann anna annabel anne annette annie anthony \
antony aoife archie arjun arlo arthur arun aryan ashleigh ashley ashok asif audrey austin \
ava ayesha baljit barbara barry bartosz beata beatrice becky bella ben benjamin bernadette \
bernard beth bethan bethany betty beverley bilal billy bobby bogdan bola bradley brandon \
brenda brendan brian bridget brooke bryn cai callum calum cameron caoimhe carl carla carly \
carmen carol carole caroline carwyn carys cassie catherine cathy catrin catriona cerys \
charlene charles charlie charlotte chelsea cheryl chidi chinedu chioma chloe chris \
christian christina christine christopher cian ciara ciaran claire clara clare claudia \
clive colin colleen connie connor courtney craig cynthia dafydd dai daisy dale damian \
damien daniel danielle danny darcy dariusz darren darryl dave david dean debbie deborah \
debra declan deepak dele delroy denise dennis derek desmond dewi diane dinesh divya dmitri \
dominic donna doreen doris dorota dorothy dougie douglas duncan dyfed dylan eddie edith \
edward edwin efa eileen eilidh elaine eleanor elena eleri elin eliot elis elise eliza \
elizabeth ella ellie elliot elliott elsa elsie emeka emilia emily emma emmanuel emyr eoin \
eric erin errol esme esther ethan eurig eva evan eve evie ewa ewan faisal farah farhan \
fatima fay felicity felix femi fergus ffion filip finley finn fiona florence folake \
francesca fraser freddie freddy freya funmi gabriel gabrielle gail gareth gary gavin gemma \
geoff geoffrey george georgia georgina geraint gerald gerry gethin gillian gina gita glenn \
glenys gloria glyn gordon graham greg gregory gruffydd grzegorz gurdeep gurpreet gwen gwion \
gwyneth hamish hamza hannah harjit harley harpreet harriet harrison harry harvey hassan \
hayley hazel heather hedd heidi helen henry heulwen hilary hina hodan hollie howard hugh \
hugo hussain hussein huw iain ian ibrahim idris ieuan ifan ifeoma igor imran iolo ionut \
irina isaac isabel isabella isabelle ishaan isla isobel ivan iwan iwona jack jackie jacob \
jacqueline jade jake jakub james jamie jane janet janice janine jasbir jasmine jason \
jaswinder javed jayden jean jeanette jeff jemma jenna jennifer jenny jeremy jesse jessica \
jill jim jimmy jo joan joanna joanne jodie joe joel john johnny jolanta jon jonathan jonny \
jordan joseph josh joshua josie joyce jude judith julia julian julie justin justyna kacper \
kai kamil kamran karan karen karl karolina katarzyna kate kath kathleen kathryn katie kayla \
kayleigh keira keith kelly kemi ken kenneth kenny kerry kevin khadija khalid kieran kim \
kirsty kofi kris krzysztof kuldeep kwame kyle lachlan lakshmi lara larry laura lauren \
laurence layla leah leanne lee leila lena lenny leo leon leonard leroy lesley leslie lewis \
lexi liam lily linda lindsay lindsey lisa lloyd llyr logan lois lorna lorraine lottie louis \
louise lowri lucas lucia lucy lukasz luke lydia lynda lynn lynne macsen maddie madison \
magdalena mahesh mairi maisie maja malcolm malgorzata mali malik manpreet marcia marcus \
mared marek margaret margot maria marian marie marion marjorie marley marta martha martin \
martyn mary maryam mason mateusz matt matthew maureen maxine meena megan mel melanie meleri \
melissa mererid mia michael michaela michal michelle mihai mike milena millie miriam \
mitchell mohammad mohammed moira mollie molly monica monika morag muhammad mustafa nadeem \
nadia nancy naomi nasreen natalia natalie nathan nathaniel navdeep naveed neha neil neville \
ngozi nia niall niamh nicholas nick nicky nicola nicole nigel nikhil nina nkechi noah noel \
norma norman obinna oisin olga olive oliver olivia ollie oluwaseun omar orla oscar osian \
oskar owen padraig paige pamela parveen patricia patrick paul paula pauline pawel percy \
peter phil philip phillip phoebe phyllis piers piotr polly pooja poppy prakash priya rabia \
rachael rachel rahul rajesh rajinder ralph ramesh ranjit rashid ravi raymond rebecca reece \
reggie rehana rekha rhian rhiannon rhodri rhona rhydian rhys richard ricky rita riya rob \
robbie robert rodney roger rohit roisin ronald ronnie rory rosemary rosie ross rowan roy \
ruby rukhsana rupert ruth ryan sadia sadie saima sajid sally sam samantha samina samira \
samuel sana sandra sanjay sara sarah sasha satnam scarlett scott seamus sean seb sebastian \
segun seren sergei shabana shahid shane shannon shanti sharon shaun sheila shelley shirley \
shreya sian sid sienna simon simran sinead siobhan sioned sonia sophia sophie stacey stan \
stanley stella stephanie stephen steve steven stevie stuart sue sukhwinder sunil sunita \
suresh susan susie suzanne svetlana sylvia szymon tanvi tanya tara tariq tasha tayo tegan \
terence teresa terry tess thea theo theresa thomas tim timothy tina tobias toby tom tomasz \
tommy tomos tony tracey tracy trevor tunde tyler uche una usha usman valerie vanessa varun \
vasile vicky victoria vijay vikram vince vincent violet vivienne walter wayne wendy \
weronika wiktor wilf wilfred william winston wojciech yasmin yemi yusuf yvonne zac zach \
zachary zainab zak zara zoe zofia zubair";

/// Forenames that are also everyday words (`Rose`, `Will`, `Mark`, `Grace`): a name only with a
/// known surname after them or a cue around them, never on their own.
const AMBIGUOUS_FORENAMES: &str = "\
mark will bill rose holly grace hope faith joy dawn june april summer amber pat ivy iris \
sky frank max ray guy cliff sandy sunny angel crystal heath miles penny august robin";

/// Common UK surnames (and some from the communities above), so that an ambiguous forename before
/// one (`Mark Jenkins`, `Holly Green`) reads as a name.
const SURNAMES: &str = "\
adams adeyemi ahmed akhtar ali allen anderson andrews armstrong atkinson bailey baker ball \
barker barnes barrett bates baxter begum bell bennett berry bird bishop booth bowen bradley \
brooks brown burgess burke burns burton butler byrne campbell carr carter chambers chapman \
chaudhary chen choudhury clark clarke cole coleman collins cook cooke cooper cox cross \
curtis dabrowski davies davis dawson day dean dhillon dixon doherty doyle dunn edwards \
elliott ellis evans fisher fletcher ford foster fox francis fraser freeman frost gallagher \
gardner george gibson gilbert gill gordon grabowski graham grant gray green gregory grey \
griffin griffiths hall hamilton hammond harding hardy harper harris harrison hart harvey \
hawkins hayes henderson higgins hill hodgson holland holmes hopkins howard howells hudson \
hughes hunt hunter hussain hutchinson iqbal islam jackson james jankowski jenkin jenkins \
jenkinson johnson johnston jones jordan kaminski kaur kelly kemp kennedy khan king knight \
kowalski kozlowski krawczyk kwiatkowski lamb lane lawrence lee lewandowski lewis li liu \
llewellyn lloyd llywelyn long lowe lynch macdonald mackenzie maclean mahmood malik mann \
marsh marshall martin mason matthews may mazur mccarthy mcdonald mclaughlin mensah meredith \
michalski miller mills mitchell moore morgan morris moss murphy murray newman newton nguyen \
nicholls nicholson nowak obrien oconnor okafor okonkwo oliver oneill osborne owen page \
palmer parker parry parsons patel pawlowski payne pearce pearson perry phillips piotrowski \
porter potter powell preece price pritchard probert prosser pugh quinn qureshi rahman read \
reed rees reid reynolds richards richardson riley roberts robertson robinson robson rogers \
rose ross rowe rowlands russell ryan sandhu saunders scott shah sharp shaw shepherd \
siddiqui sidhu simpson singh smith spencer stevens stewart stone sutton taylor thomas \
thompson turner vaughan walker wallace walsh walton wang ward warren watkins watson watts \
webb webster wells west wheeler white whitehead wilkinson williams williamson willis wilson \
wisniewski wojcik wood woods wright yates young zhang zielinski";

/// Capitalised words that do not make the second half of a name: sentence starters, days,
/// months, family words, places' generic words.
const NOT_SURNAMES: &[&str] = &[
    "i",
    "im",
    "ive",
    "id",
    "ill",
    "a",
    "an",
    "the",
    "and",
    "but",
    "or",
    "so",
    "if",
    "then",
    "when",
    "what",
    "why",
    "how",
    "who",
    "where",
    "which",
    "yes",
    "no",
    "not",
    "thanks",
    "thank",
    "thankyou",
    "sorry",
    "please",
    "hi",
    "hello",
    "hey",
    "dear",
    "love",
    "hugs",
    "xx",
    "x",
    "ok",
    "okay",
    "just",
    "also",
    "he",
    "she",
    "they",
    "we",
    "you",
    "it",
    "his",
    "her",
    "my",
    "our",
    "your",
    "their",
    "this",
    "that",
    "there",
    "here",
    "is",
    "was",
    "are",
    "has",
    "had",
    "have",
    "did",
    "does",
    "do",
    "will",
    "would",
    "can",
    "could",
    "should",
    "may",
    "might",
    "must",
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
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "christmas",
    "easter",
    "god",
    "jesus",
    "mum",
    "mam",
    "mom",
    "dad",
    "nan",
    "nana",
    "gran",
    "grandad",
    "grandma",
    "granddad",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "court",
    "school",
    "street",
    "road",
    "avenue",
    "lane",
    "crown",
    "primary",
    "police",
    "prison",
    "hmp",
    "samaritans",
    "mind",
    "nhs",
    "uk",
    "england",
    "wales",
    "scotland",
    "ireland",
    "british",
    "english",
    "welsh",
    "scottish",
    "irish",
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "after",
    "before",
    "because",
    "though",
    "although",
    "still",
    "even",
    "again",
    "now",
    "every",
    "all",
    "some",
    "any",
    "one",
    "two",
    "three",
    "everyone",
    "anyone",
    "someone",
    "nobody",
    "none",
    "bless",
    "take",
    "hope",
    "lol",
    "re",
    "victim",
    "support",
    "foundation",
    "trust",
    "centre",
    "council",
    "probation",
    "social",
    "services",
    "radio",
    "home",
    "secretary",
    "office",
    "daddy",
    "mummy",
    "poor",
    "little",
    "our",
    "great",
    "expectations",
    "college",
    "hospital",
    "church",
    "university",
    "magistrates",
    "family",
    "county",
    "youth",
    "station",
    "road",
    "close",
    "way",
    "crescent",
    "drive",
    "terrace",
    "gardens",
    "park",
    "square",
    "facebook",
    "instagram",
    "whatsapp",
    "snapchat",
    "tiktok",
    "twitter",
    "google",
    "christ",
    "lord",
    "allah",
    "cps",
    "ok",
    "oh",
    "omg",
    "tbh",
    "xx",
    "xxx",
];

/// People and relations whose name a member might give next to the word (`my cousin`, `the
/// family liaison officer`, `was the girl`): a cue that the words beside them are a name.
const ROLES: &str = "girl|boy|man|woman|lad|lass|guy|bloke|lady|victim|teacher|coach|officer|\
neighbour|neighbor|friend|cousin|uncle|aunt|auntie|brother|sister|son|daughter|stepdad|stepmum|\
stepfather|stepmother|stepson|stepdaughter|dad|mum|mam|father|mother|husband|wife|partner|ex|\
boyfriend|girlfriend|fiance|fiancee|grandson|granddaughter|grandad|grandma|nan|nephew|niece|\
colleague|boss|manager|worker|solicitor|barrister|detective|dc|ds|pc|sergeant|inspector|\
headteacher|head|vicar|priest|doctor|nurse|child|kid|landlord|landlady|lodger|babysitter|\
childminder|carer|tutor|instructor|leader|mate|pal|brother-in-law|sister-in-law|son-in-law|\
daughter-in-law|father-in-law|mother-in-law|in-law|in-laws";

/// Words after a child's name that make it identifying: an age, a school year, a town.
const CHILD_AGES: &str = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\
thirteen|fourteen|fifteen|sixteen|seventeen";

/// Compiled name patterns and word lists.
#[derive(Debug, Clone)]
pub(crate) struct NameDetector {
    forenames: HashSet<&'static str>,
    ambiguous: HashSet<&'static str>,
    surnames: HashSet<&'static str>,
    not_surnames: HashSet<&'static str>,
    word: Regex,
    cue: Regex,
    role_before: Regex,
    role_after: Regex,
    not_person_before: Regex,
    not_person_after: Regex,
    child_before: Regex,
    child_after: Regex,
    locative: Regex,
}

fn is_quote(c: Option<char>) -> bool {
    matches!(c, Some('\'' | '"' | '‘' | '’' | '“' | '”' | '«' | '»'))
}

/// The last `max` bytes (or a little more, to land on a character boundary) before `at`.
fn tail(text: &str, at: usize, max: usize) -> &str {
    let mut from = at.saturating_sub(max);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    &text[from..at]
}

/// The first `max` bytes (or a little less, to land on a character boundary) from `at`.
fn head(text: &str, at: usize, max: usize) -> &str {
    let mut to = (at + max).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    &text[at..to]
}

/// A word as the lists hold it: lower case, accents and punctuation gone (`Siân` -> `sian`).
fn key(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Most words are ASCII, where NFKD changes nothing: skip the decomposition (same result).
    if word.is_ascii() {
        return word
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    word.nfkd()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The last word of every phrase the `cue` pattern ends with (`his name is`, `named`, `known
/// as`, `search for`, `a girl called` ...), before its closing spaces or quotes.
const CUE_ENDS: &[&str] = &[
    "is", "s", "was", "names", "named", "as", "by", "google", "googled", "for", "search", "up",
    "in", "called",
];

/// Whether the `cue` pattern can match `before` at all: it needs closing spaces or quotes
/// preceded by one of [`CUE_ENDS`]. A cheap test run before the regex for every word of a
/// text; it never says no where the regex would say yes (anything not plain ASCII is left to
/// the regex, which folds case the Unicode way).
fn cue_possible(before: &str) -> bool {
    let trimmed =
        before.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '‘' | '“'));
    if trimmed.len() == before.len() {
        return false;
    }
    let start = trimmed
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || c == '_')
        .last()
        .map_or(trimmed.len(), |(i, _)| i);
    let last = &trimmed[start..];
    !last.is_ascii() || CUE_ENDS.iter().any(|w| last.eq_ignore_ascii_case(w))
}

fn capitalised(word: &str) -> bool {
    let mut cs = word.chars();
    cs.next().is_some_and(char::is_uppercase)
        && cs
            .next()
            .is_some_and(|c| c.is_lowercase() || c == '\'' || c == '’')
}

/// Surname shapes that do not need a list: Polish, Slavic and Scandinavian endings.
fn surname_shape(k: &str) -> bool {
    [
        "ski", "ska", "wicz", "czyk", "enko", "ovic", "ova", "sson", "ington",
    ]
    .iter()
    .any(|end| k.len() > end.len() + 2 && k.ends_with(end))
}

/// Whether `word` (any case) is a forename or surname the lists know, or has a surname's shape.
/// A handle is read split into words, and only such words are given a capital there: a handle
/// has no sentences, so `emily_harrington` names someone as much as `Emily_Harrington`, while
/// `alice_new` or `jo_member` is a first name and an everyday word, which identifies nobody.
pub(crate) fn is_name_word(word: &str) -> bool {
    static KNOWN: std::sync::LazyLock<HashSet<&'static str>> = std::sync::LazyLock::new(|| {
        FORENAMES
            .split_whitespace()
            .chain(AMBIGUOUS_FORENAMES.split_whitespace())
            .chain(SURNAMES.split_whitespace())
            .collect()
    });
    let k = key(word);
    KNOWN.contains(k.as_str()) || surname_shape(&k)
}

impl NameDetector {
    /// Compiles the patterns (fixed strings: tested below, so this does not fail in practice).
    pub fn new() -> Result<NameDetector, regex::Error> {
        Ok(NameDetector {
            forenames: FORENAMES.split_whitespace().collect(),
            ambiguous: AMBIGUOUS_FORENAMES.split_whitespace().collect(),
            surnames: SURNAMES.split_whitespace().collect(),
            not_surnames: NOT_SURNAMES.iter().copied().collect(),
            // A word: `Harrington`, `O'Brien`, `Harper-Lowe`, `Siân`.
            word: Regex::new(r"\p{L}[\p{L}\p{M}'’-]*\p{L}|\p{L}")?,
            cue: Regex::new(
                r#"(?i)\b(?:(?:his|her|their|my|the) (?:real |full )?name(?: is|'s|’s| was)|(?:his|her|their|my) names|named|known as|goes by|(?:google|googled|search for|search|look up|type in)|(?:someone|somebody|man|woman|girl|boy|lad|guy|bloke|lady|person|kid|child|friend|teacher|officer|neighbour|neighbor|victim) called)[\s'"‘“]+$"#,
            )?,
            role_before: Regex::new(&format!(
                r"(?i)\b(?:my|our|his|her|their|the|your)\s+(?:[\p{{L}}-]+\s+){{0,2}}?(?:{ROLES})s?\s*,?\s+$"
            ))?,
            role_after: Regex::new(&format!(
                r"^(?:\s*,\s*(?i:my|our|his|her|their|the|a|an)\s+(?:[\p{{L}}'’-]+\s+){{0,3}}?(?i:{ROLES})\b|\s+(?i:was|is|is now|has been|became)\s+(?i:the|a|an|my|our|his|her|their)\s+(?:[\p{{L}}'’-]+\s+){{0,3}}?(?i:{ROLES})\b|\s+(?i:from|at)\s+(?:(?i:work)\b|(?i:the\s+)?\p{{Lu}})|['’]s\s+(?i:case|trial|family|mum|dad|house|home|kids|children|son|daughter|wife|husband|partner|sentencing|hearing)\b|\s+(?i:got|was sentenced|was charged|was arrested|was convicted|pleaded|admitted|has been charged|is charged|is being charged)\b)"
            ))?,
            not_person_before: Regex::new(
                r"(?i)\b(?:by|author|authors|writer|novelist|poet|professor|prof|presenter|broadcaster|journalist|columnist|mp|minister|president|king|queen|prince|princess|saint|st|actor|actress|singer|comedian|footballer|psychologist|psychiatrist|researcher|theorist|philosopher|reading|read|books? by|works? of)\s+$",
            )?,
            not_person_after: Regex::new(
                r"^(?:\s+(?:Foundation|Trust|Centre|Center|Institute|Charity|Fund|Society|Hospital|School|College|Academy|University|Court|Prison|Street|Road|Lane|Avenue|House|Hall|Park|Award|Prize|Lecture|Library|Ward|Unit|Clinic|Group|Programme|Project|Ltd|Limited)\b|['’]s\s+(?:[\p{Ll}-]+\s+){0,2}(?:theory|theories|book|books|novel|novels|work|works|research|model|approach|method|ideas|podcast|talk|lecture|study|studies|writing|poem|poems|song|songs|film|films|album|paper|classic|attachment)\b)",
            )?,
            child_before: Regex::new(
                r"(?i)\b(?:our|little|poor little|(?:my|our|his|her|their) (?:little |youngest |eldest |oldest |middle )?(?:son|daughter|grandson|granddaughter|niece|nephew|boy|girl|child|kid|baby|stepson|stepdaughter|grandchild|grandkid|little one))\s+$",
            )?,
            locative: Regex::new(
                r"(?i)\b(?:to|in|at|near|from|around|up|down|through|via|towards|past|on|over)\s+$",
            )?,
            child_after: Regex::new(&format!(
                r"^[^.!?\n]{{0,60}}?\b(?:(?i:is|was|turned|turns|turning|aged|age|just|only|now)\s+(?:(?i:only|just|now|nearly|almost)\s+)?(\d{{1,2}}|(?i:{CHILD_AGES}))\b([^.!?\n]{{0,12}})|\d{{1,2}}\s*(?i:years? old|yrs? old|yo)\b|(?i:year|yr)\s+\d{{1,2}}\b|(?i:reception|nursery|primary school|sixth form)\b|(?i:in)\s+(\p{{Lu}}[\p{{L}}'’-]+))"
            ))?,
        })
    }

    fn is_stop(&self, word: &str) -> bool {
        self.not_surnames.contains(key(word).as_str())
    }

    /// Byte ranges of likely names in `text`: full names in many sentence shapes, and a
    /// child's first name given with an age, a school year or a town.
    pub fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let words: Vec<(usize, usize)> = self
            .word
            .find_iter(text)
            .map(|m| {
                // A possessive is not part of the name: `Rahman's family`.
                let w = m.as_str();
                let cut = if w.ends_with("'s") && w.len() > 3 {
                    2
                } else if w.ends_with("’s") && w.len() > 5 {
                    4
                } else {
                    0
                };
                (m.start(), m.end() - cut)
            })
            .collect();
        // Each word's list key, worked out once (the checks below ask for it several times).
        let keys: Vec<String> = words.iter().map(|&(s, e)| key(&text[s..e])).collect();
        let stop = |j: usize| self.not_surnames.contains(keys[j].as_str());
        // `is_surname` for word `j`, with its key already known.
        let surname_at = |j: usize| {
            let w = &text[words[j].0..words[j].1];
            let k = &keys[j];
            k.chars().count() >= 2
                && !self.not_surnames.contains(k.as_str())
                && (capitalised(w) || (w.chars().count() >= 3 && w.chars().all(char::is_uppercase)))
        };
        // Whether word `i` is followed by word `i + 1` with only a space or two between.
        let joined = |i: usize| {
            words.get(i + 1).is_some_and(|&(ns, _)| {
                let gap = &text[words[i].1..ns];
                !gap.is_empty() && gap.len() <= 2 && gap.chars().all(|c| c == ' ')
            })
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let (s, e) = words[i];
            let word = &text[s..e];
            let k = keys[i].as_str();
            let before = tail(text, s, 48);
            if cue_possible(before) && self.cue.is_match(before) {
                // A cue: the next one or two capitalised words, whatever they are.
                if stop(i) || !word.chars().next().is_some_and(char::is_uppercase) {
                    i += 1;
                    continue;
                }
                let end = if joined(i) && surname_at(i + 1) {
                    words[i + 1].1
                } else {
                    e
                };
                out.push((s, end));
                i += if end == e { 1 } else { 2 };
                continue;
            }
            if joined(i) {
                let (ns, ne) = words[i + 1];
                let second = &text[ns..ne];
                let k2 = keys[i + 1].as_str();
                let listed = self.forenames.contains(k);
                let ambiguous = self.ambiguous.contains(k);
                let cap_pair = capitalised(word) && surname_at(i + 1);
                let lower_pair = word.chars().all(char::is_lowercase)
                    && second.chars().all(|c| c.is_lowercase() || c == '-')
                    && !stop(i + 1)
                    && (listed || ambiguous);
                let quoted =
                    is_quote(text[..s].chars().next_back()) && is_quote(text[ne..].chars().next());
                // Only a capitalised pair or a lower-case pair starting with a forename can be
                // a name: most word pairs stop here, before any of the context patterns run.
                if (cap_pair || lower_pair) && !quoted && (!stop(i) || ambiguous) {
                    // A third part: `Harpreet Kaur Sandhu`.
                    let end = if joined(i + 1) && surname_at(i + 2) && capitalised(second) {
                        words[i + 2].1
                    } else {
                        ne
                    };
                    let after = head(text, end, 80);
                    let public = self.not_person_before.is_match(before)
                        || self.not_person_after.is_match(after)
                        || (after.starts_with("'s ") || after.starts_with("’s "))
                            && after[3..].chars().next().is_some_and(char::is_uppercase)
                            && !self.is_stop(after[3..].split_whitespace().next().unwrap_or(""));
                    let context =
                        self.role_before.is_match(before) || self.role_after.is_match(after);
                    // "We went to Rose Hill": after a preposition of place, an everyday-word
                    // name is a place.
                    let locative = self.locative.is_match(before);
                    let known_surname = self.surnames.contains(k2) || surname_shape(k2);
                    let name = !public
                        && ((cap_pair && listed)
                            || (cap_pair
                                && ambiguous
                                && (context || (known_surname && !locative)))
                            || (cap_pair && context && !stop(i + 1))
                            || (lower_pair && context && (known_surname || second.contains('-')))
                            || (lower_pair && self.role_after.is_match(after)));
                    if name {
                        out.push((s, end));
                        i += if end == ne { 2 } else { 3 };
                        continue;
                    }
                }
            }
            // `Kowalski, Piotr.`: a surname, a comma, then a forename ending the phrase.
            if capitalised(word)
                && (self.surnames.contains(k) || surname_shape(k))
                && let Some(&(ns, ne)) = words.get(i + 1)
                && matches!(&text[e..ns], ", " | ",")
                && self.forenames.contains(keys[i + 1].as_str())
                && capitalised(&text[ns..ne])
                && text[ne..]
                    .chars()
                    .next()
                    .is_none_or(|c| matches!(c, '.' | ',' | ';' | '!' | '?' | ')' | '\n'))
            {
                out.push((s, ne));
                i += 2;
                continue;
            }
            // A child's first name with an age, school year or town.
            if capitalised(word)
                && !stop(i)
                && (self.forenames.contains(k) || self.child_before.is_match(before))
                && self.is_child_detail(head(text, e, 90))
            {
                out.push((s, e));
            }
            i += 1;
        }
        out
    }

    /// Whether the rest of the sentence gives a child's age, school year or town.
    fn is_child_detail(&self, after: &str) -> bool {
        let Some(c) = self.child_after.captures(after) else {
            return false;
        };
        if let Some(n) = c.get(1) {
            // An age under 18, not "is 7 weeks pregnant" or "was 2 hours late".
            let young = n.as_str().parse::<u32>().map_or(true, |v| v < 18);
            let unit = c
                .get(2)
                .map_or("", |m| m.as_str())
                .trim_start()
                .to_lowercase();
            let measure = [
                "minute", "min", "hour", "hr", "day", "week", "month", "year", "am", "pm", "%",
                "stone", "kg", "lb", "mile", "time", "o'clock", "quid", "pound",
            ]
            .iter()
            .any(|u| unit.starts_with(u));
            return young && !measure;
        }
        if let Some(town) = c.get(3) {
            return !self.is_stop(town.as_str());
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names() {
        let d = NameDetector::new().unwrap();
        let table: &[(&str, &[&str])] = &[
            (
                "My stepdaughter Emily Harrington was the one he hurt.",
                &["Emily Harrington"],
            ),
            (
                "His name is Gareth Pritchard and it was in the papers.",
                &["Gareth Pritchard"],
            ),
            ("her name is Xanthe", &["Xanthe"]),
            ("a man called Dai Bach Jones", &["Dai Bach"]),
            ("Sarah O'Brien said", &["Sarah O'Brien"]),
            ("Sarah McDonald-Smith said", &["Sarah McDonald-Smith"]),
            ("EMILY HARRINGTON", &[]),
            ("Emily HARRINGTON", &["Emily HARRINGTON"]),
            ("I read 'Mary Shelley' on the train, it helped.", &[]),
            ("I read “Mary Shelley” on the train", &[]),
            ("Spring feels like a fresh start for us.", &[]),
            ("Does anyone else find Sundays the hardest?", &[]),
            ("Thanks Sarah. Hope you're ok", &[]),
            ("Hi Sarah Thank you", &[]),
            ("I called Samaritans last night", &[]),
            (
                "I've been reading about Circles of Support and Accountability.",
                &[],
            ),
            ("Scunthorpe was where we used to live years ago.", &[]),
            ("I'm in Wales, is anyone else?", &[]),
            ("Sarah, I feel the same", &[]),
            ("Emily and I went", &[]),
            // Sentence shapes around names.
            ("Will Pemberton got two years", &["Will Pemberton"]),
            ("Grace Turner was the teacher", &["Grace Turner"]),
            ("our neighbour, Ivy Castle, told everyone", &["Ivy Castle"]),
            ("Xanthe Moorcroft, my cousin, knows", &["Xanthe Moorcroft"]),
            ("my ex sean doherty told them", &["sean doherty"]),
            ("olga petrenko, our old neighbour, said", &["olga petrenko"]),
            ("Nowak, Zofia. That was on the list", &["Nowak, Zofia"]),
            ("Aisha Begum Rahman's family", &["Aisha Begum Rahman"]),
            ("just search 'Gary Lomax Bolton'", &["Gary Lomax"]),
            // Children with an age, a year or a town.
            ("Our Tilly is only 6 and asks", &["Tilly"]),
            ("my granddaughter Bronwen started year 2", &["Bronwen"]),
            ("little Oscar is still in Rotherham with", &["Oscar"]),
            ("Freya turned 9 on Sunday", &["Freya"]),
            // Not people: authors, books, organisations, adults' first names, idle words.
            ("a book by Judith Herman about trauma", &[]),
            ("Judith Herman's Trauma and Recovery", &[]),
            ("Carl Rogers's theory of the self", &[]),
            ("the Anna Freud Centre has a page", &[]),
            ("My husband Dave has been out three months", &[]),
            ("Dave is 45 and still in denial", &[]),
            ("Emma is 12 weeks pregnant", &[]),
            ("Rose and Holly came round", &[]),
            ("my son tom said it was fine", &[]),
            ("We walked up Rose Hill Road", &[]),
            ("We went to Rose Hill for a walk", &[]),
            ("Rose Hill was the girl involved", &["Rose Hill"]),
        ];
        for (text, want) in table {
            let got: Vec<&str> = d.find(text).into_iter().map(|(s, e)| &text[s..e]).collect();
            assert_eq!(got, *want, "{text:?}");
        }
    }
}
