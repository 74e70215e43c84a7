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
    let kind = if patterns.len() > 2_000 || bytes > 50_000 {
        Some(aho_corasick::AhoCorasickKind::ContiguousNFA)
    } else {
        None
    };
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(kind)
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
        Self::build(actors, language).map_err(|p| Error::Actors(p.message))
    }

    /// The same actors, matching the aliases of `language` (None: names and aliases only).
    pub fn with_language(&self, language: Option<&str>) -> Result<Registry> {
        if self.language.as_deref() == language {
            return Ok(self.clone());
        }
        Self::for_language(self.actors.clone(), language)
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

    fn build(actors: Vec<Actor>, language: Option<&str>) -> std::result::Result<Registry, Problem> {
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
        let matcher = alias_matcher(&patterns)?;
        Ok(Registry {
            actors,
            by_name,
            matcher,
            pattern_actor,
            language: language.map(str::to_string),
        })
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
                Some(&b) => Error::Actors(format!("line {}: {}", line_of(b), p.message)),
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
            Registry::build(actors.clone(), Some(l)).map_err(|p| located(p, Some(l)))?;
        }
        Registry::build(actors, None).map_err(|p| located(p, None))
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
            Registry::for_language(actors, self.language.as_deref())
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
            "actors file: line 6: alias \"X\" belongs to both \"A\" and \"B\""
        );
    }

    #[test]
    fn registry_errors_name_the_line_of_the_name_at_fault() {
        let twice = "[[actor]]\nname = \"A\"\n\n[[actor]]\nname = \"A\"\n";
        assert_eq!(
            Registry::from_toml_str(twice).unwrap_err().to_string(),
            "actors file: line 5: actor \"A\" is defined twice"
        );
        // The alias on line 4 is empty; a quoted "X" elsewhere in the file does not mislead.
        let empty =
            "[[actor]]\nname = \"X\"\n[[actor]]\nname = \"B\"\naliases = [\"Bee\",\n  \" \"]\n";
        assert_eq!(
            Registry::from_toml_str(empty).unwrap_err().to_string(),
            "actors file: line 6: actor \"B\" has an empty alias"
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
            "actors file: line 8: alias \"X\" belongs to both \"A\" and \"B\""
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
