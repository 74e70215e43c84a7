//! Documentation points at things that exist: every `*.md` file a source comment names is in
//! the repository.

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn markdown_files_named_in_source_comments_exist() {
    let mut files = Vec::new();
    sources(Path::new("src"), &mut files);
    let mut dangling = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let Some(c) = line.find("//") else { continue };
            for word in line[c..].split(|ch: char| ch.is_whitespace() || "()`,;".contains(ch)) {
                let word = word.trim_end_matches(['.', ':']);
                if word.ends_with(".md") {
                    let found = Path::new(word).exists()
                        || Path::new("data").join(word).exists()
                        || Path::new("bench").join(word).exists();
                    if !found {
                        dangling.push(format!("{}:{}: {word}", f.display(), i + 1));
                    }
                }
            }
        }
    }
    assert!(
        dangling.is_empty(),
        "comments name files the repository does not have: {dangling:?}"
    );
}
