//! Actors and their mentions: the registry read from `actors.toml`, and the matcher that finds
//! every mention of every actor in a text, with offsets.
//!
//! Matching is case-aware: an alias matches as written ("US" never matches "us"), and an alias
//! that starts with a lower-case letter also matches with it capitalised, as at the start of a
//! sentence ("the Kremlin" and "The Kremlin", "russische" and "Russische"). A match must stand
//! as a whole word or phrase (no letter or digit on either side), so possessives ("Russia's",
//! "Russia’s"), elisions ("l'Iran") and hyphenated forms ("pro-Russian", "EU-Kommission")
//! count. Where aliases overlap, the leftmost and then the longest wins ("Palestinian
//! Authority" over "Palestinian").
//!
//! **Automatic name forms.** Besides the names and aliases as written, a registry matches the
//! forms a text names an actor by (unless built with [`Registry::with_name_forms`]`(false)`,
//! `--verbatim-names`):
//!
//! - an alias "the X" (or "The X") also matches "X" alone, where X is one word that starts
//!   with a capital or a digit and has at least three letters or digits: "the Kremlin" gives
//!   "Kremlin", so "Kremlin spokesman", "pro-Kremlin", "anti-Kremlin" and "Kremlin-backed"
//!   match (a hyphen is a word boundary); "the PA" gives nothing (too short), "the government"
//!   nothing (not a name), "the Security Council" nothing (a phrase of several words is often
//!   the tail of another name: "Israel's National Security Council");
//! - for an actor of `kind = "person"`, each name of two or more words gives its surname (the
//!   last word, with a lower-case particle before it: "de Blasio", "von der Leyen"; a suffix
//!   such as "Jr." is skipped) and the surname after "Mr.", "Ms.", "Mrs.", "Dr." (with or
//!   without the full stop): "Benjamin Netanyahu" gives "Netanyahu", "Mr. Netanyahu", ….
//!
//! A form is ambiguous when it is the name or alias of another actor as written (the file's
//! word wins), or the form of two actors ("Brown" of both "Michael Brown" and "Chris Brown"):
//! an ambiguous form is dropped, for every actor that would have it, with its honorific forms
//! ("Mr. Brown"). Write it as an alias of the actor you mean to give it to.
//!
//! An actors file may give aliases per language (`[actor.languages]`, keyed by ISO 639-1 code:
//! `de = ["Russland", "Moskau"]`). A registry matches the names and aliases, plus the aliases
//! of one language: that of the model's stemmer (`--language german` → `de`), so an English
//! model never matches German words that happen to look like an alias.

use crate::error::{Error, Result};
use crate::text::Span;
use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// One actor: a country, group, person or institution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The name actors are known by (in labels and scores).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// What kind of actor: country, group, person, institution.
    pub kind: Option<String>,
    #[serde(default)]
    /// Other names it goes by: demonyms, capitals as metonyms, short forms.
    pub aliases: Vec<String>,
    /// Aliases in other languages, by ISO 639-1 code.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub languages: std::collections::BTreeMap<String, Vec<String>>,
}

/// The longest alias accepted, in bytes: longer names are almost certainly a mistake, and the
/// matcher's cost grows with them.
pub const MAX_ALIAS_BYTES: usize = 200;

/// The most bytes an actors file may have.
pub const MAX_ACTORS_FILE_BYTES: u64 = 64 << 20;

/// The actors file as written, with the place of every name, so that a problem found while
/// building the registry is reported at its line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorsFile {
    #[serde(default)]
    actor: Vec<ActorEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorEntry {
    name: toml::Spanned<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    aliases: Vec<toml::Spanned<String>>,
    #[serde(default)]
    languages: std::collections::BTreeMap<String, Vec<toml::Spanned<String>>>,
}

/// A problem with one actor: which actor, which of its names (0 = the name, i = alias i − 1)
/// if a name is at fault, and what.
struct Problem {
    actor: usize,
    name: Option<usize>,
    message: String,
}

/// A mention of an actor in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    /// Index of the actor in the registry.
    pub actor: usize,
    /// Where in the text (byte offsets).
    pub span: Span,
    /// Which spelling matched: an index for [`Registry::alias`].
    pub alias: u32,
}

/// The set of actors the tool looks for, and a compiled matcher over all their names.
#[derive(Debug, Clone)]
pub struct Registry {
    actors: Vec<Actor>,
    by_name: HashMap<String, usize>,
    matcher: AhoCorasick,
    /// The actor of each pattern of `matcher`.
    pattern_actor: Vec<usize>,
    /// The language whose aliases are matched too (ISO 639-1 code).
    language: Option<String>,
    /// Whether the automatic name forms are matched.
    name_forms: bool,
    /// Every spelling `matcher` looks for, in pattern order: the names and aliases as written
    /// (and capitalised), then, from `explicit` on, the automatic name forms.
    patterns: Vec<String>,
    /// The number of patterns written in the actors file (the rest are automatic forms).
    explicit: usize,
}

/// The honorifics a person's surname is also matched after.
const HONORIFICS: [&str; 8] = ["Mr.", "Ms.", "Mrs.", "Dr.", "Mr", "Ms", "Mrs", "Dr"];

/// Words after a surname that are not the surname.
const SUFFIXES: [&str; 8] = ["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV", "Jnr"];

/// Whether an actor's kind is a person.
fn is_person(actor: &Actor) -> bool {
    actor
        .kind
        .as_deref()
        .is_some_and(|k| k.trim().eq_ignore_ascii_case("person"))
}

/// The automatic forms of one of an actor's names, each with its key (what decides whether it
/// is ambiguous: the X of "the X", the surname of a person).
fn automatic_forms(name: &str, person: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for article in ["the ", "The "] {
        if let Some(rest) = name.strip_prefix(article) {
            let rest = rest.trim_start();
            let starts_as_name = rest
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
            let one_word = !rest.contains(char::is_whitespace);
            if starts_as_name
                && one_word
                && rest.chars().filter(|c| c.is_alphanumeric()).count() >= 3
            {
                out.push((rest.to_string(), rest.to_string()));
            }
        }
    }
    if person {
        if let Some(surname) = surname(name) {
            out.push((surname.clone(), surname.clone()));
            for h in HONORIFICS {
                out.push((format!("{h} {surname}"), surname.clone()));
            }
        }
    }
    out
}

/// The surname of a person's name of two or more words: the last word (not a suffix such as
/// "Jr."), with the lower-case particles before it ("de Blasio"); None if the name is one
/// word, or the last word does not start with a capital.
fn surname(name: &str) -> Option<String> {
    let mut words: Vec<&str> = name
        .split_whitespace()
        .map(|w| w.trim_end_matches(','))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    while words.len() > 2 && words.last().is_some_and(|w| SUFFIXES.contains(w)) {
        words.pop();
    }
    if words.len() < 2 {
        return None;
    }
    let last = words.len() - 1;
    let capital = words[last].chars().next().is_some_and(char::is_uppercase);
    if !capital || words[last].chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    let mut first = last;
    while first > 1
        && words[first - 1]
            .chars()
            .next()
            .is_some_and(char::is_lowercase)
    {
        first -= 1;
    }
    Some(words[first..].join(" "))
}

/// An alias (trimmed) must not be empty nor longer than [`MAX_ALIAS_BYTES`].
fn check_alias(actor: &str, alias: &str) -> std::result::Result<(), String> {
    if alias.is_empty() {
        return Err(format!("actor \"{actor}\" has an empty alias"));
    }
    if alias.len() > MAX_ALIAS_BYTES {
        return Err(format!(
            "actor \"{actor}\" has an alias of {} bytes, longer than the {MAX_ALIAS_BYTES} an alias may have (\"{}…\")",
            alias.len(),
            alias.chars().take(40).collect::<String>()
        ));
    }
    Ok(())
}

/// The spellings an alias matches: itself, and capitalised when it starts in lower case.
fn alias_variants(alias: &str) -> Vec<String> {
    let mut variants = vec![alias.to_string()];
    let mut chars = alias.chars();
    if let Some(first) = chars.next().filter(|c| c.is_lowercase()) {
        variants.push(first.to_uppercase().chain(chars).collect());
    }
    variants
}

/// The matcher of every alias spelling. A DFA is fastest to search but costs time and memory
/// to build that grow with the patterns; past a few thousand of them a contiguous NFA is built
/// in linear time and searches almost as fast.
fn alias_matcher(patterns: &[String]) -> std::result::Result<AhoCorasick, Problem> {
    let bytes: usize = patterns.iter().map(String::len).sum();
    // (Left to itself the builder picks a DFA only up to 100 patterns; the shipped actors
    // with their variants and automatic name forms are a few hundred.)
    let kind = if patterns.len() > 2_000 || bytes > 50_000 {
        aho_corasick::AhoCorasickKind::ContiguousNFA
    } else {
        aho_corasick::AhoCorasickKind::DFA
    };
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(patterns)
        .map_err(|e| Problem {
            actor: 0,
            name: None,
            message: format!("cannot build the alias matcher: {e}"),
        })
}

impl Registry {
    /// Builds a registry; fails if two actors share a name, or one alias names two actors.
    pub fn new(actors: Vec<Actor>) -> Result<Registry> {
        Self::for_language(actors, None)
    }

    /// A registry that also matches the aliases of `language` (ISO 639-1 code).
    pub fn for_language(actors: Vec<Actor>, language: Option<&str>) -> Result<Registry> {
        Self::with_options(actors, language, true)
    }

    /// A registry matching the aliases of `language` too, and the automatic name forms if
    /// `name_forms` (see the module documentation).
    pub fn with_options(
        actors: Vec<Actor>,
        language: Option<&str>,
        name_forms: bool,
    ) -> Result<Registry> {
        Self::build(actors, language, name_forms).map_err(|p| Error::Actors(p.message))
    }

    /// The same actors, matching the aliases of `language` (None: names and aliases only).
    pub fn with_language(&self, language: Option<&str>) -> Result<Registry> {
        if self.language.as_deref() == language {
            return Ok(self.clone());
        }
        Self::with_options(self.actors.clone(), language, self.name_forms)
    }

    /// The same actors, with the automatic name forms matched or not.
    pub fn with_name_forms(&self, name_forms: bool) -> Result<Registry> {
        if self.name_forms == name_forms {
            return Ok(self.clone());
        }
        Self::with_options(self.actors.clone(), self.language.as_deref(), name_forms)
    }

    /// Whether the automatic name forms are matched.
    pub fn name_forms(&self) -> bool {
        self.name_forms
    }

    /// The spelling a mention matched ([`Mention::alias`]) and whether it is an automatic name
    /// form rather than a name or alias of the actors file.
    pub fn alias(&self, alias: u32) -> Option<(&str, bool)> {
        let i = alias as usize;
        self.patterns
            .get(i)
            .map(|p| (p.as_str(), i >= self.explicit))
    }

    /// The automatic name forms matched, with their actors, in pattern order.
    pub fn automatic_forms(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.patterns[self.explicit..]
            .iter()
            .zip(&self.pattern_actor[self.explicit..])
            .map(|(p, &a)| (p.as_str(), a))
    }

    /// These actors with those of `extra` added: an actor of both gets `extra`'s aliases (and
    /// language aliases) beside its own, an actor only in `extra` is added after the others
    /// (so the indices of these actors do not change). The language and the name forms stay
    /// these. Fails where an alias would name two actors.
    pub fn merged(&self, extra: &Registry) -> Result<Registry> {
        let mut actors = self.actors.clone();
        for a in &extra.actors {
            match actors.iter_mut().find(|x| x.name == a.name) {
                Some(x) => {
                    for alias in &a.aliases {
                        if !x.aliases.contains(alias) {
                            x.aliases.push(alias.clone());
                        }
                    }
                    for (l, v) in &a.languages {
                        let own = x.languages.entry(l.clone()).or_default();
                        for alias in v {
                            if !own.contains(alias) {
                                own.push(alias.clone());
                            }
                        }
                    }
                    if x.kind.is_none() {
                        x.kind.clone_from(&a.kind);
                    }
                }
                None => actors.push(a.clone()),
            }
        }
        Self::with_options(actors, self.language.as_deref(), self.name_forms)
    }

    /// The language whose aliases are matched, if any.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// Every language the actors have aliases in.
    pub fn languages(&self) -> std::collections::BTreeSet<&str> {
        self.actors
            .iter()
            .flat_map(|a| a.languages.keys().map(String::as_str))
            .collect()
    }

    fn build(
        actors: Vec<Actor>,
        language: Option<&str>,
        name_forms: bool,
    ) -> std::result::Result<Registry, Problem> {
        let problem = |actor: usize, name: Option<usize>, message: String| Problem {
            actor,
            name,
            message,
        };
        let mut by_name = HashMap::new();
        let mut alias_owner: HashMap<String, usize> = HashMap::new();
        let mut patterns = Vec::new();
        let mut pattern_actor = Vec::new();
        for (i, a) in actors.iter().enumerate() {
            if a.name.trim().is_empty() {
                return Err(problem(
                    i,
                    Some(0),
                    format!("actor #{} has an empty name", i + 1),
                ));
            }
            if by_name.insert(a.name.clone(), i).is_some() {
                return Err(problem(
                    i,
                    Some(0),
                    format!("actor \"{}\" is defined twice", a.name),
                ));
            }
            let own = language.and_then(|l| a.languages.get(l));
            let names = std::iter::once(&a.name)
                .chain(a.aliases.iter())
                .chain(own.into_iter().flatten());
            for (n, alias) in names.enumerate() {
                let alias = alias.trim();
                check_alias(&a.name, alias).map_err(|m| problem(i, Some(n), m))?;
                for v in alias_variants(alias) {
                    match alias_owner.get(&v) {
                        Some(&j) if j != i => {
                            return Err(problem(
                                i,
                                Some(n),
                                format!(
                                    "alias \"{}\" belongs to both \"{}\" and \"{}\"",
                                    v, actors[j].name, a.name
                                ),
                            ))
                        }
                        Some(_) => continue, // the same alias twice for one actor: harmless
                        None => {
                            alias_owner.insert(v.clone(), i);
                            patterns.push(v);
                            pattern_actor.push(i);
                        }
                    }
                }
            }
        }
        let explicit = patterns.len();
        if name_forms {
            for (form, actor) in Self::unambiguous_forms(&actors, language, &alias_owner) {
                for v in alias_variants(&form) {
                    if let std::collections::hash_map::Entry::Vacant(e) = alias_owner.entry(v) {
                        patterns.push(e.key().clone());
                        pattern_actor.push(actor);
                        e.insert(actor);
                    }
                }
            }
        }
        let matcher = alias_matcher(&patterns)?;
        Ok(Registry {
            actors,
            by_name,
            matcher,
            pattern_actor,
            language: language.map(str::to_string),
            name_forms,
            patterns,
            explicit,
        })
    }

    /// The automatic forms of every actor's names that are not ambiguous (see the module
    /// documentation), with their actor, in actor order; `written` holds every spelling of the
    /// actors file and its actor.
    fn unambiguous_forms(
        actors: &[Actor],
        language: Option<&str>,
        written: &HashMap<String, usize>,
    ) -> Vec<(String, usize)> {
        let mut forms: Vec<(String, String, usize)> = Vec::new();
        let mut claimed: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, a) in actors.iter().enumerate() {
            let person = is_person(a);
            let own = language.and_then(|l| a.languages.get(l));
            let names = std::iter::once(&a.name)
                .chain(a.aliases.iter())
                .chain(own.into_iter().flatten());
            for name in names {
                for (form, key) in automatic_forms(name.trim(), person) {
                    let owners = claimed.entry(key.clone()).or_default();
                    if !owners.contains(&i) {
                        owners.push(i);
                    }
                    forms.push((form, key, i));
                }
            }
        }
        // A key is ambiguous if two actors claim it, or a spelling of one of its forms is
        // written for another actor.
        let mut ambiguous: std::collections::HashSet<&str> = claimed
            .iter()
            .filter(|(_, owners)| owners.len() > 1)
            .map(|(k, _)| k.as_str())
            .collect();
        for (form, key, i) in &forms {
            let elsewhere = alias_variants(form)
                .iter()
                .any(|v| written.get(v).is_some_and(|j| j != i));
            if elsewhere {
                ambiguous.insert(key.as_str());
            }
        }
        forms
            .iter()
            .filter(|(_, key, _)| !ambiguous.contains(key.as_str()))
            .map(|(form, _, i)| (form.clone(), *i))
            .collect()
    }

    /// Reads an actors file (TOML, `[[actor]]` blocks with `name`, `aliases`, `kind`).
    pub fn from_toml_file(path: &Path) -> Result<Registry> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_ACTORS_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_ACTORS_FILE_BYTES {
            return Err(Error::Actors(format!(
                "{}: larger than {MAX_ACTORS_FILE_BYTES} bytes, the most an actors file may be",
                path.display()
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
            Error::Actors(format!(
                "{}: line {line}: invalid UTF-8 (byte {at}; an actors file is UTF-8 TOML)",
                path.display()
            ))
        })?;
        Self::from_toml_str(&text).map_err(|e| match e {
            Error::Actors(m) => Error::Actors(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Reads actors from TOML text; an error names the line it is about.
    pub fn from_toml_str(text: &str) -> Result<Registry> {
        let line_of = |byte: usize| {
            text.as_bytes()[..byte.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        };
        let file: ActorsFile = toml::from_str(text).map_err(|e| match e.span() {
            Some(s) => Error::Actors(format!("line {}: {}", line_of(s.start), e.message())),
            None => Error::Actors(e.message().to_string()),
        })?;
        // Where each name stands: per actor, its name, its aliases, then those of `language`.
        let places = |language: Option<&str>| -> Vec<Vec<usize>> {
            file.actor
                .iter()
                .map(|a| {
                    let own = language.and_then(|l| a.languages.get(l));
                    std::iter::once(a.name.span().start)
                        .chain(a.aliases.iter().map(|x| x.span().start))
                        .chain(own.into_iter().flatten().map(|x| x.span().start))
                        .collect()
                })
                .collect()
        };
        let actors: Vec<Actor> = file
            .actor
            .iter()
            .map(|a| Actor {
                name: a.name.get_ref().clone(),
                kind: a.kind.clone(),
                aliases: a.aliases.iter().map(|x| x.get_ref().clone()).collect(),
                languages: a
                    .languages
                    .iter()
                    .map(|(l, v)| (l.clone(), v.iter().map(|x| x.get_ref().clone()).collect()))
                    .collect(),
            })
            .collect();
        let located = |p: Problem, language: Option<&str>| {
            let places = places(language);
            let at = p
                .name
                .and_then(|n| places.get(p.actor).and_then(|v| v.get(n)))
                .or_else(|| places.get(p.actor).and_then(|v| v.first()));
            match at {
                Some(&b) => {
                    let field = match (p.name, file.actor.get(p.actor)) {
                        (Some(0), _) => "name".to_string(),
                        (Some(n), Some(a)) if n <= a.aliases.len() => "aliases".to_string(),
                        (Some(_), _) => format!("languages.{}", language.unwrap_or("?")),
                        (None, _) => "name".to_string(),
                    };
                    Error::Actors(format!(
                        "line {}: field \"{field}\": {}",
                        line_of(b),
                        p.message
                    ))
                }
                None => Error::Actors(p.message),
            }
        };
        // Every language's aliases are checked now, where their lines are known.
        let languages: std::collections::BTreeSet<String> = actors
            .iter()
            .flat_map(|a| a.languages.keys().cloned())
            .collect();
        for l in &languages {
            if l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()) {
                return Err(Error::Actors(format!(
                    "language \"{l}\": name languages by their two-letter ISO 639-1 code (de, fr, es, …)"
                )));
            }
            Registry::build(actors.clone(), Some(l), true).map_err(|p| located(p, Some(l)))?;
        }
        Registry::build(actors, None, true).map_err(|p| located(p, None))
    }

    /// An empty registry.
    pub fn empty() -> Registry {
        Registry::new(Vec::new()).expect("an empty registry is valid")
    }

    /// Returns a registry that also holds each of `names` not yet known, matched by its own
    /// name (so a public dataset works without an actors file).
    pub fn with_names<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<Registry> {
        let mut actors = self.actors.clone();
        let mut added = false;
        for n in names {
            if !self.by_name.contains_key(n) && !actors.iter().any(|a| a.name == n) {
                actors.push(Actor {
                    name: n.to_string(),
                    kind: None,
                    aliases: Vec::new(),
                    languages: Default::default(),
                });
                added = true;
            }
        }
        if added {
            Registry::with_options(actors, self.language.as_deref(), self.name_forms)
        } else {
            Ok(self.clone())
        }
    }

    /// The actors, in registry order.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    /// The number of actors.
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// An actor's index by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// An actor's name by index.
    pub fn name(&self, actor: usize) -> &str {
        &self.actors[actor].name
    }

    /// Every mention of every actor, in text order, not overlapping.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        let mut found: Vec<Mention> = Vec::new();
        for m in self.matcher.find_overlapping_iter(text) {
            let span = Span {
                start: m.start(),
                end: m.end(),
            };
            if is_whole(text, span) {
                found.push(Mention {
                    actor: self.pattern_actor[m.pattern().as_usize()],
                    span,
                    alias: m.pattern().as_u32(),
                });
            }
        }
        // Leftmost first, then longest; then drop what overlaps an earlier pick.
        found.sort_by(|a, b| {
            a.span
                .start
                .cmp(&b.span.start)
                .then(b.span.end.cmp(&a.span.end))
        });
        let mut out: Vec<Mention> = Vec::with_capacity(found.len());
        for m in found {
            if out.last().is_none_or(|last| m.span.start >= last.span.end) {
                out.push(m);
            }
        }
        out
    }
}

fn is_whole(text: &str, span: Span) -> bool {
    let before = text[..span.start].chars().next_back();
    let after = text[span.end..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        Registry::from_toml_str(
            r#"
[[actor]]
name = "Russia"
aliases = ["Russian", "the Kremlin", "Moscow"]
[[actor]]
name = "United States"
aliases = ["US", "U.S."]
[[actor]]
name = "Palestinians"
aliases = ["Palestinian", "Palestinian Authority"]
"#,
        )
        .unwrap()
    }

    fn found(r: &Registry, t: &str) -> Vec<(String, String)> {
        r.mentions(t)
            .iter()
            .map(|m| {
                (
                    r.name(m.actor).to_string(),
                    t[m.span.start..m.span.end].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn finds_aliases_possessives_and_the_variant() {
        let r = reg();
        let t = "The Kremlin said Russia’s and Russia's allies, pro-Russian, met the Kremlin.";
        assert_eq!(
            found(&r, t),
            vec![
                ("Russia".into(), "The Kremlin".into()),
                ("Russia".into(), "Russia".into()),
                ("Russia".into(), "Russia".into()),
                ("Russia".into(), "Russian".into()),
                ("Russia".into(), "the Kremlin".into()),
            ]
        );
    }

    #[test]
    fn case_and_word_boundaries() {
        let r = reg();
        assert!(found(&r, "let us go; Russians? USAID, Moscows").is_empty());
        assert_eq!(
            found(&r, "the U.S. and US."),
            vec![
                ("United States".into(), "U.S.".into()),
                ("United States".into(), "US".into())
            ]
        );
    }

    #[test]
    fn longest_wins() {
        let r = reg();
        assert_eq!(
            found(&r, "the Palestinian Authority and Palestinian flags"),
            vec![
                ("Palestinians".into(), "Palestinian Authority".into()),
                ("Palestinians".into(), "Palestinian".into())
            ]
        );
    }

    #[test]
    fn duplicate_alias_across_actors_is_an_error() {
        let e = Registry::from_toml_str(
            "[[actor]]\nname = \"A\"\naliases = [\"X\"]\n[[actor]]\nname = \"B\"\naliases = [\"X\"]\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "actors file: line 6: field \"aliases\": alias \"X\" belongs to both \"A\" and \"B\""
        );
    }

    #[test]
    fn registry_errors_name_the_line_of_the_name_at_fault() {
        let twice = "[[actor]]\nname = \"A\"\n\n[[actor]]\nname = \"A\"\n";
        assert_eq!(
            Registry::from_toml_str(twice).unwrap_err().to_string(),
            "actors file: line 5: field \"name\": actor \"A\" is defined twice"
        );
        // The alias on line 4 is empty; a quoted "X" elsewhere in the file does not mislead.
        let empty =
            "[[actor]]\nname = \"X\"\n[[actor]]\nname = \"B\"\naliases = [\"Bee\",\n  \" \"]\n";
        assert_eq!(
            Registry::from_toml_str(empty).unwrap_err().to_string(),
            "actors file: line 6: field \"aliases\": actor \"B\" has an empty alias"
        );
    }

    #[test]
    fn toml_error_names_the_line() {
        let e = Registry::from_toml_str("[[actor]]\nname = \"A\"\naliases = 3\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn aliases_of_the_chosen_language_only_and_capitalised_variants() {
        let text = r#"
[[actor]]
name = "Russia"
aliases = ["the Kremlin"]
[actor.languages]
de = ["Russland", "russische", "Kreml"]
fr = ["Russie"]
"#;
        let en = Registry::from_toml_str(text).unwrap();
        let t = "Russische Truppen, der Kreml und die russische Armee; la Russie. The Kremlin.";
        assert_eq!(found(&en, t), vec![("Russia".into(), "The Kremlin".into())]);
        let de = en.with_language(Some("de")).unwrap();
        assert_eq!(de.language(), Some("de"));
        let got: Vec<String> = found(&de, t).into_iter().map(|(_, s)| s).collect();
        assert_eq!(got, ["Russische", "Kreml", "russische", "The Kremlin"]);
        assert_eq!(en.languages().into_iter().collect::<Vec<_>>(), ["de", "fr"]);
        // Adding actors keeps the language.
        assert_eq!(de.with_names(["Hamas"]).unwrap().language(), Some("de"));
    }

    #[test]
    fn language_alias_problems_name_their_line() {
        let clash = "[[actor]]\nname = \"A\"\n[actor.languages]\nde = [\"X\"]\n[[actor]]\nname = \"B\"\n[actor.languages]\nde = [\"X\"]\n";
        assert_eq!(
            Registry::from_toml_str(clash).unwrap_err().to_string(),
            "actors file: line 8: field \"languages.de\": alias \"X\" belongs to both \"A\" and \"B\""
        );
        let bad = "[[actor]]\nname = \"A\"\n[actor.languages]\ngerman = [\"X\"]\n";
        assert!(Registry::from_toml_str(bad)
            .unwrap_err()
            .to_string()
            .contains("ISO 639-1"));
    }

    #[test]
    fn aliases_are_bounded_and_many_aliases_still_build() {
        let long = format!(
            "[[actor]]\nname = \"A\"\naliases = [\"{}\"]\n",
            "x".repeat(5000)
        );
        let e = Registry::from_toml_str(&long).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("5000 bytes"), "{e}");
        // 100,000 aliases: the matcher is an NFA, built in linear time.
        let actors: Vec<Actor> = (0..1000)
            .map(|i| Actor {
                name: format!("Actor{i}"),
                kind: None,
                aliases: (0..100).map(|j| format!("Alias{i}x{j}")).collect(),
                languages: Default::default(),
            })
            .collect();
        let r = Registry::new(actors).unwrap();
        assert_eq!(found(&r, "Alias7x99 met Actor3.").len(), 2);
    }

    fn persons() -> Registry {
        Registry::from_toml_str(
            r#"
[[actor]]
name = "Russia"
aliases = ["the Kremlin", "the PA", "the government"]
[[actor]]
name = "Benjamin Netanyahu"
kind = "person"
[[actor]]
name = "Michael Brown"
kind = "person"
[[actor]]
name = "Chris Brown"
kind = "Person"
[[actor]]
name = "Bill de Blasio"
kind = "person"
[[actor]]
name = "Martin Luther King Jr."
kind = "person"
[[actor]]
name = "Donald Trump"
kind = "person"
[[actor]]
name = "Trump"
[[actor]]
name = "Ivanka Trump"
kind = "person"
[[actor]]
name = "Joe Biden"
"#,
        )
        .unwrap()
    }

    #[test]
    fn the_x_gives_x_and_its_hyphenated_forms() {
        let r = reg();
        let t = "A Kremlin spokesman, pro-Kremlin and anti-Kremlin media, Kremlin-backed groups; the Kremlin's.";
        let got: Vec<String> = found(&r, t).into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            got,
            ["Kremlin", "Kremlin", "Kremlin", "Kremlin", "the Kremlin"]
        );
        let spans: Vec<usize> = r.mentions(t).iter().map(|m| m.span.start).collect();
        assert_eq!(spans, [2, 25, 42, 57, 80]);
        // "the PA" is too short to stand alone, "the government" is not a name, "the Security
        // Council" is several words (and the tail of "National Security Council").
        let p = persons();
        assert!(found(&p, "PA and government.").is_empty());
        assert_eq!(found(&p, "the PA").len(), 1);
        let un = Registry::from_toml_str(
            "[[actor]]\nname = \"United Nations\"\naliases = [\"the Security Council\"]\n",
        )
        .unwrap();
        assert!(found(&un, "Israel's National Security Council").is_empty());
        assert_eq!(found(&un, "the Security Council").len(), 1);
    }

    #[test]
    fn a_persons_surname_and_honorifics_unless_ambiguous() {
        let r = persons();
        let t = "Netanyahu met Mr. Netanyahu's aide, Mr Netanyahu and Dr. de Blasio; de Blasio and King spoke.";
        assert_eq!(
            found(&r, t),
            vec![
                ("Benjamin Netanyahu".into(), "Netanyahu".into()),
                ("Benjamin Netanyahu".into(), "Mr. Netanyahu".into()),
                ("Benjamin Netanyahu".into(), "Mr Netanyahu".into()),
                ("Bill de Blasio".into(), "Dr. de Blasio".into()),
                ("Bill de Blasio".into(), "de Blasio".into()),
                ("Martin Luther King Jr.".into(), "King".into()),
            ]
        );
        // "Brown" is the surname of two persons: dropped for both, "Mr. Brown" too; their
        // full names still match. "Trump" is written as an actor of its own: the file's word
        // wins, and the surname form of Donald and Ivanka Trump is dropped. Joe Biden has no
        // kind, so no surname form.
        let t = "Brown and Ms. Brown; Michael Brown; Mr. Trump and Trump; Ivanka Trump; Biden.";
        assert_eq!(
            found(&r, t),
            vec![
                ("Michael Brown".into(), "Michael Brown".into()),
                ("Trump".into(), "Trump".into()),
                ("Trump".into(), "Trump".into()),
                ("Ivanka Trump".into(), "Ivanka Trump".into()),
            ]
        );
        let forms: Vec<&str> = r.automatic_forms().map(|(f, _)| f).collect();
        assert!(forms.contains(&"Mrs. Netanyahu") && forms.contains(&"De Blasio"));
        assert!(!forms
            .iter()
            .any(|f| f.contains("Brown") || f.contains("Trump")));
        // The matched spelling, and whether it is automatic, for auditing.
        let m = r.mentions("Mr. Netanyahu and Benjamin Netanyahu");
        assert_eq!(r.alias(m[0].alias), Some(("Mr. Netanyahu", true)));
        assert_eq!(r.alias(m[1].alias), Some(("Benjamin Netanyahu", false)));
    }

    #[test]
    fn verbatim_names_match_as_written_only() {
        let r = persons().with_name_forms(false).unwrap();
        assert!(!r.name_forms());
        assert_eq!(r.automatic_forms().count(), 0);
        assert!(found(&r, "Netanyahu, Mr. Netanyahu, pro-Kremlin").is_empty());
        // Adding actors keeps the setting, both ways.
        assert!(!r.with_names(["Iran"]).unwrap().name_forms());
        let on = r.with_name_forms(true).unwrap();
        assert_eq!(found(&on, "pro-Kremlin").len(), 1);
        assert!(on.with_language(Some("de")).unwrap().name_forms());
    }

    #[test]
    fn merged_adds_actors_and_aliases_keeping_indices() {
        let base = reg();
        let extra = Registry::from_toml_str(
            "[[actor]]\nname = \"Russia\"\naliases = [\"Muscovy\"]\n[[actor]]\nname = \"Avigdor Lieberman\"\nkind = \"person\"\n",
        )
        .unwrap();
        let m = base.merged(&extra).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m.index("Palestinians"), base.index("Palestinians"));
        assert_eq!(
            found(&m, "Muscovy and Lieberman"),
            vec![
                ("Russia".into(), "Muscovy".into()),
                ("Avigdor Lieberman".into(), "Lieberman".into())
            ]
        );
        let clash = Registry::from_toml_str("[[actor]]\nname = \"Iran\"\naliases = [\"Moscow\"]\n")
            .unwrap();
        let e = base.merged(&clash).unwrap_err().to_string();
        assert!(e.contains("\"Moscow\"") && e.contains("\"Iran\""), "{e}");
    }

    #[test]
    fn with_names_adds_unknown_actors_matched_by_name() {
        let r = reg().with_names(["Hamas", "Russia"]).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(
            found(&r, "Hamas said"),
            vec![("Hamas".into(), "Hamas".into())]
        );
    }
}
