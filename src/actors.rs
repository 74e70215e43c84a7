//! Actors and their mentions: the registry read from `actors.toml`, and the matcher that finds
//! every mention of every actor in a text, with offsets.
//!
//! Matching is case-aware: an alias matches as written ("US" never matches "us"), and an alias
//! that starts with "the " also matches with "The ". A match must stand as a whole word or
//! phrase (no letter or digit on either side), so possessives ("Russia's", "Russia’s") and
//! hyphenated forms ("pro-Russian") count. Where aliases overlap, the leftmost and then the
//! longest wins ("Palestinian Authority" over "Palestinian").

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
}

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
}

impl Registry {
    /// Builds a registry; fails if two actors share a name, or one alias names two actors.
    pub fn new(actors: Vec<Actor>) -> Result<Registry> {
        Self::build(actors).map_err(|p| Error::Actors(p.message))
    }

    fn build(actors: Vec<Actor>) -> std::result::Result<Registry, Problem> {
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
            let names = std::iter::once(&a.name).chain(a.aliases.iter());
            for (n, alias) in names.enumerate() {
                let alias = alias.trim();
                if alias.is_empty() {
                    return Err(problem(
                        i,
                        Some(n),
                        format!("actor \"{}\" has an empty alias", a.name),
                    ));
                }
                let mut variants = vec![alias.to_string()];
                if let Some(rest) = alias.strip_prefix("the ") {
                    variants.push(format!("The {rest}"));
                }
                for v in variants {
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
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| Problem {
                actor: 0,
                name: None,
                message: format!("cannot build the alias matcher: {e}"),
            })?;
        Ok(Registry {
            actors,
            by_name,
            matcher,
            pattern_actor,
        })
    }

    /// Reads an actors file (TOML, `[[actor]]` blocks with `name`, `aliases`, `kind`).
    pub fn from_toml_file(path: &Path) -> Result<Registry> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
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
        // Where each name stands: per actor, its name then its aliases.
        let places: Vec<Vec<usize>> = file
            .actor
            .iter()
            .map(|a| {
                std::iter::once(a.name.span().start)
                    .chain(a.aliases.iter().map(|x| x.span().start))
                    .collect()
            })
            .collect();
        let actors = file
            .actor
            .into_iter()
            .map(|a| Actor {
                name: a.name.into_inner(),
                kind: a.kind,
                aliases: a.aliases.into_iter().map(|x| x.into_inner()).collect(),
            })
            .collect();
        Registry::build(actors).map_err(|p| {
            let at = p
                .name
                .and_then(|n| places.get(p.actor).and_then(|v| v.get(n)))
                .or_else(|| places.get(p.actor).and_then(|v| v.first()));
            match at {
                Some(&b) => Error::Actors(format!("line {}: {}", line_of(b), p.message)),
                None => Error::Actors(p.message),
            }
        })
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
                });
                added = true;
            }
        }
        if added {
            Registry::new(actors)
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
    fn with_names_adds_unknown_actors_matched_by_name() {
        let r = reg().with_names(["Hamas", "Russia"]).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(
            found(&r, "Hamas said"),
            vec![("Hamas".into(), "Hamas".into())]
        );
    }
}
