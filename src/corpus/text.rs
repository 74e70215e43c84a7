//! Plain-text articles, one per file, and folders of them (the seed format): optional leading
//! white space, an optional `date YYYY-MM-DD` opening, then the body. The id is the file's
//! stem; the source is `--source`, or else the folder's name.

use super::date::is_date;
use super::{open_reader, Article, LabeledArticle, Origin, ReadOptions, Record, RecordIter};
use crate::error::{Error, Result};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The one record of a text file `path`, read from `reader`; `file` names it in messages.
pub(crate) fn open_file(
    path: &Path,
    file: String,
    reader: Box<dyn BufRead + Send>,
    opts: &ReadOptions,
) -> Record {
    let source = opts.source.clone().or_else(|| folder_name(path));
    read_text_record(file, reader, text_id(path), source, opts.max_bytes)
}

/// The text files of a folder, in name order (hidden files left out), one record each. An
/// entry that is not a readable file (a subfolder, a FIFO, a device, a broken symbolic link)
/// is an error record naming it, not skipped without a word (and a FIFO is never opened).
pub(crate) fn open_dir(dir: &Path, opts: &ReadOptions) -> Result<RecordIter> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    let source = opts.source.clone().or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().and_then(|n| n.to_str()).map(str::to_string))
    });
    let max = opts.max_bytes;
    Ok(Box::new(files.into_iter().map(move |p| {
        let name = p.display().to_string();
        if let Some(why) = not_a_file(&p) {
            return Record {
                line: 1,
                id: Some(text_id(&p)),
                item: Err(Error::input(&name, Some(1), None, why)),
                file: name,
            };
        }
        match open_reader(&name) {
            Ok(r) => read_text_record(name, r, text_id(&p), source.clone(), max),
            Err(e) => Record {
                file: name,
                line: 1,
                id: Some(text_id(&p)),
                item: Err(e),
            },
        }
    })))
}

/// Why a folder's entry `p` is not read as an article, if it is not a regular file.
fn not_a_file(p: &Path) -> Option<String> {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some(
            "a folder inside the input folder: stance reads the files of a folder, not its subfolders; name it as an input of its own".into(),
        ),
        Ok(m) => Some(format!(
            "not a regular file ({}); not read",
            crate::output::kind_of(&m.file_type())
        )),
        Err(e) => Some(match std::fs::read_link(p) {
            Ok(to) => format!(
                "a broken symbolic link (to {}, which cannot be read: {e})",
                to.display()
            ),
            Err(_) => format!("cannot be read: {e}"),
        }),
    }
}

fn folder_name(p: &Path) -> Option<String> {
    p.parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .map(str::to_string)
}

/// A text file's id: its name without `.gz` and without its extension.
fn text_id(p: &Path) -> String {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("stdin");
    let name = name.strip_suffix(".gz").unwrap_or(name);
    Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name)
        .to_string()
}

/// Reads a text file in the seed format: optional leading white space, an optional
/// `date YYYY-MM-DD` opening, then the body.
fn read_text_record(
    file: String,
    mut reader: Box<dyn BufRead + Send>,
    id: String,
    source: Option<String>,
    max_bytes: usize,
) -> Record {
    let mut bytes = Vec::new();
    let limit = (max_bytes as u64).saturating_add(1);
    let item = match reader.by_ref().take(limit).read_to_end(&mut bytes) {
        Err(e) => Err(Error::io(Path::new(&file), e)),
        Ok(_) if bytes.len() > max_bytes => Err(Error::input(
            &file,
            Some(1),
            Some("text"),
            format!("the article is longer than --max-bytes ({max_bytes} bytes)"),
        )),
        Ok(_) => match String::from_utf8(strip_bom(bytes)) {
            Err(e) => Err(Error::input(
                &file,
                Some(1 + line_of(e.as_bytes(), e.utf8_error().valid_up_to())),
                Some("text"),
                format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )),
            Ok(s) => text_article(&s, &file, &id, source),
        },
    };
    Record {
        file,
        line: 1,
        id: Some(id),
        item,
    }
}

/// The article of a text file's contents `s`.
fn text_article(s: &str, file: &str, id: &str, source: Option<String>) -> Result<LabeledArticle> {
    let (date, body) = split_date_opening(s);
    if body.trim().is_empty() {
        return Err(Error::input(
            file,
            Some(1),
            Some("text"),
            "the text is empty",
        ));
    }
    Ok(LabeledArticle {
        article: Article {
            id: id.to_string(),
            source,
            date,
            title: None,
            text: body.to_string(),
            url: None,
        },
        origin: Origin::new(file, 1),
        ..LabeledArticle::default()
    })
}

/// The number of line ends in `bytes` before `at`.
fn line_of(bytes: &[u8], at: usize) -> u64 {
    bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

fn strip_bom(mut b: Vec<u8>) -> Vec<u8> {
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        b.drain(..3);
    }
    b
}

/// Splits the `date YYYY-MM-DD` opening of the seed format (after any leading white space)
/// from the body: the date, when the text opens with a valid one, and the body with its
/// leading white space trimmed.
pub fn split_date_opening(s: &str) -> (Option<String>, &str) {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix("date ") {
        let rest = rest.trim_start();
        if let Some(d) = rest.get(..10).filter(|d| is_date(d)) {
            return (Some(d.to_string()), rest[10..].trim_start());
        }
    }
    (None, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_opening_of_the_seed_format() {
        let (d, body) = split_date_opening(" date 2023-10-29 Hamas called Russia");
        assert_eq!(d.as_deref(), Some("2023-10-29"));
        assert_eq!(body, "Hamas called Russia");
        let (d, body) = split_date_opening("dated text");
        assert_eq!(d, None);
        assert_eq!(body, "dated text");
        // A multi-byte character where the date would end is no date, and no panic.
        let (d, _) = split_date_opening("date 2023-10-2é rest");
        assert_eq!(d, None);
    }

    #[test]
    fn text_file_id_is_its_stem_without_gz() {
        assert_eq!(text_id(Path::new("seeds/000_abc.txt.gz")), "000_abc");
        assert_eq!(text_id(Path::new("a/b.txt")), "b");
        assert_eq!(
            folder_name(Path::new("seeds/a.txt")).as_deref(),
            Some("seeds")
        );
    }
}
