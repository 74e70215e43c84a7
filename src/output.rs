//! Writing files safely, the one way every verb writes one.
//!
//! - [`Output`] writes a file whole or not at all: into an unnamed temporary file beside the
//!   target (Linux `O_TMPFILE`, so a killed process leaves nothing behind; elsewhere a hidden
//!   `.stance-*` file), given the target's name by a rename only when [`Output::commit`] is
//!   called. An error, a panic or a kill before that leaves the previous file as it was.
//! - Targets are resolved first ([`check_target`]): a symbolic link is written through (its
//!   target is replaced, the link stays), a folder, socket or block device is refused, and so
//!   are a FIFO and a character device unless the output may be a stream ([`Target`]), in
//!   which case they are written straight into (`/dev/stdout`, a named pipe).
//! - [`check_distinct`] compares the identities (device and inode) of every input and output
//!   before anything is opened for writing, so no verb ever writes over what it reads, through
//!   another name, a hard link or a symbolic link; and no two outputs share a file.
//!
//! Write errors name the file once (`out.jsonl: No space left on device`), and keep their
//! kind, so a closed pipe is still told apart.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What an output may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Only a regular file (a model file): anything else is refused.
    File,
    /// A regular file, or a stream named on purpose (a FIFO, or a character device such as
    /// `/dev/stdout` or `/dev/null`), which is written straight into.
    FileOrStream,
}

/// Where an output goes, symbolic links followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file (which may not exist yet) at this path, links resolved.
    File(PathBuf),
    /// A FIFO or character device, opened by the path as given.
    Stream(PathBuf),
}

/// What kind of thing a non-regular file is, in words.
pub(crate) fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn is_stream(ft: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        ft.is_fifo() || ft.is_char_device()
    }
    #[cfg(not(unix))]
    {
        let _ = ft;
        false
    }
}

/// Where `path` leads once symbolic links are followed, and whether an output of kind
/// `target` may go there. A dangling link leads to the file it names (to be created).
pub fn check_target(path: &Path, target: Target) -> Result<Resolved> {
    let refuse = |ft: &std::fs::FileType| {
        let what = kind_of(ft);
        let only = match target {
            Target::File => {
                "this output is written only to a regular file (replaced whole by a rename)"
            }
            Target::FileOrStream => {
                "this output is written to a regular file, a FIFO or a character device"
            }
        };
        Error::Config(format!(
            "{}: not a regular file ({what}); {only}; name another path",
            path.display()
        ))
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(Resolved::File(
            std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?,
        )),
        Ok(m) if target == Target::FileOrStream && is_stream(&m.file_type()) => {
            Ok(Resolved::Stream(path.to_path_buf()))
        }
        Ok(m) => Err(refuse(&m.file_type())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A new file, or a dangling symbolic link: follow the links to the name to create.
            let mut p = path.to_path_buf();
            for _ in 0..40 {
                match std::fs::symlink_metadata(&p) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let to = std::fs::read_link(&p).map_err(|e| Error::io(path, e))?;
                        p = match p.parent() {
                            Some(d) => d.join(to),
                            None => to,
                        };
                    }
                    _ => return Ok(Resolved::File(p)),
                }
            }
            Err(Error::Config(format!(
                "{}: too many levels of symbolic links",
                path.display()
            )))
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Device and inode.
type Identity = (u64, u64);

/// A file read, with its identity.
type Identified = (Identity, PathBuf);

/// A file's identity: device and inode (regular files only: two names of one device or
/// pipe are not a conflict).
#[cfg(unix)]
fn identity_of(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    m.is_file().then(|| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity_of(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The metadata of standard input (`input`) or standard output.
#[cfg(unix)]
fn std_metadata(input: bool) -> Option<std::fs::Metadata> {
    use std::os::fd::AsFd;
    let fd = if input {
        io::stdin().as_fd().try_clone_to_owned()
    } else {
        io::stdout().as_fd().try_clone_to_owned()
    };
    File::from(fd.ok()?).metadata().ok()
}

#[cfg(not(unix))]
fn std_metadata(_: bool) -> Option<std::fs::Metadata> {
    None
}

/// The identities of an input: its file, every file of a folder (one level, as the readers
/// read them), or standard input for `-`.
fn input_identities(path: &Path) -> Vec<((u64, u64), PathBuf)> {
    if path.as_os_str() == "-" {
        return std_metadata(true)
            .and_then(|m| identity_of(&m))
            .map(|id| vec![(id, path.to_path_buf())])
            .unwrap_or_default();
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let p = e.path();
                let id = identity_of(&std::fs::metadata(&p).ok()?)?;
                Some((id, p))
            })
            .collect(),
        Ok(m) => identity_of(&m)
            .map(|id| vec![(id, path.to_path_buf())])
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The path an output would be written to, for comparing outputs that do not exist yet.
fn output_place(path: &Path) -> Option<PathBuf> {
    match check_target(path, Target::FileOrStream).ok()? {
        Resolved::File(p) => {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
        }
        Resolved::Stream(_) => None,
    }
}

/// Refuses outputs that are one of the inputs, or one another: compared by file identity
/// (device and inode), so another name, a hard link or a symbolic link is seen through. Each
/// path comes with the flag (or role) that named it, for the message; `-` is standard input
/// among the inputs and standard output among the outputs. Call it before opening anything
/// for writing.
pub fn check_distinct(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let ins: Vec<(&str, &Path, Vec<Identified>)> = inputs
        .iter()
        .map(|&(role, p)| (role, p, input_identities(p)))
        .collect();
    // Each output so far: its flag, path, identity and where it would be written.
    let mut seen: Vec<(&str, &Path, Option<Identity>, Option<PathBuf>)> = Vec::new();
    for &(role, out) in outputs {
        let id = if out.as_os_str() == "-" {
            std_metadata(false).and_then(|m| identity_of(&m))
        } else {
            std::fs::metadata(out).ok().and_then(|m| identity_of(&m))
        };
        if let Some(id) = id {
            for (in_role, input, ids) in &ins {
                if let Some((_, file)) = ids.iter().find(|(i, _)| *i == id) {
                    let what = if out.as_os_str() == "-" {
                        "standard output".to_string()
                    } else {
                        format!("{role} {}", out.display())
                    };
                    let within = if file.as_path() == *input {
                        String::new()
                    } else {
                        format!(" ({} in it)", file.display())
                    };
                    return Err(Error::Config(format!(
                        "{what} is the same file as {in_role} {}{within}: writing it would destroy what is read; write to another file",
                        input.display()
                    )));
                }
            }
        }
        let place = if out.as_os_str() == "-" {
            None
        } else {
            output_place(out)
        };
        for (other_role, other, other_id, other_place) in &seen {
            let same =
                (id.is_some() && id == *other_id) || (place.is_some() && place == *other_place);
            if same {
                return Err(Error::Config(format!(
                    "{other_role} {} and {role} {} are the same file: two writers would interleave; give them different files",
                    other.display(),
                    out.display()
                )));
            }
        }
        seen.push((role, out, id, place));
    }
    Ok(())
}

/// An output file being written: whole on [`Output::commit`], or not at all.
pub struct Output {
    /// The path as given, for messages.
    name: PathBuf,
    state: State,
}

enum State {
    /// A temporary file, renamed to `target` on commit.
    Temp {
        w: BufWriter<File>,
        temp: Temp,
        target: PathBuf,
    },
    /// A FIFO or character device, written straight into.
    Stream(BufWriter<File>),
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
}

enum Temp {
    /// An unnamed file (`O_TMPFILE`): nothing to clean up, ever.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Anonymous(PathBuf),
    /// A hidden named file, removed on drop unless persisted.
    Named(tempfile::TempPath),
}

const BUFFER: usize = 1 << 16;

impl Output {
    /// Opens `path` for writing as an output of kind `target` (see [`check_target`]); `-`
    /// is standard output. A missing folder on the way is created.
    pub fn create(path: &Path, target: Target) -> Result<Output> {
        if path.as_os_str() == "-" {
            return Ok(Output::stdout());
        }
        let state = match check_target(path, target)? {
            Resolved::Stream(p) => State::Stream(BufWriter::with_capacity(
                BUFFER,
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .map_err(|e| Error::io(path, e))?,
            )),
            Resolved::File(target) => {
                let dir = match target.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                let (file, temp) = temp_in(&dir).map_err(|e| Error::io(&dir, e))?;
                if let Ok(m) = std::fs::metadata(&target) {
                    // A replaced file keeps its permissions.
                    let _ = file.set_permissions(m.permissions());
                }
                State::Temp {
                    w: BufWriter::with_capacity(BUFFER, file),
                    temp,
                    target,
                }
            }
        };
        Ok(Output {
            name: path.to_path_buf(),
            state,
        })
    }

    /// Standard output, as an output.
    pub fn stdout() -> Output {
        Output {
            name: PathBuf::from("<stdout>"),
            state: State::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())),
        }
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.name
    }

    /// Finishes the file: flushed, synced and renamed over the target (or flushed, for a
    /// stream). Without this call, nothing is left under the target's name.
    pub fn commit(self) -> Result<()> {
        let name = self.name;
        match self.state {
            State::Stdout(mut w) => w.flush().map_err(|e| Error::io(&name, e)),
            State::Stream(mut w) => w.flush().map_err(|e| Error::io(&name, e)),
            State::Temp { w, temp, target } => {
                let file = w
                    .into_inner()
                    .map_err(|e| Error::io(&name, e.into_error()))?;
                file.sync_all().map_err(|e| Error::io(&name, e))?;
                match temp {
                    Temp::Named(t) => t.persist(&target).map_err(|e| Error::io(&name, e.error))?,
                    Temp::Anonymous(dir) => {
                        link_anonymous(&file, &dir, &target).map_err(|e| Error::io(&name, e))?
                    }
                }
                // The rename itself is durable once the folder is synced.
                if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if let Ok(d) = File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
                Ok(())
            }
        }
    }

    /// Writes without adding the file's name to an error (for callers that name it).
    fn write_all_raw(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.state {
            State::Temp { w, .. } | State::Stream(w) => w.write_all(buf),
            State::Stdout(w) => w.write_all(buf),
        }
    }

    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.name.display()))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = match &mut self.state {
            State::Temp { w, .. } | State::Stream(w) => w.write(buf),
            State::Stdout(w) => w.write(buf),
        };
        r.map_err(|e| self.named(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let r = match &mut self.state {
            State::Temp { w, .. } | State::Stream(w) => w.write_all(buf),
            State::Stdout(w) => w.write_all(buf),
        };
        r.map_err(|e| self.named(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = match &mut self.state {
            State::Temp { w, .. } | State::Stream(w) => w.flush(),
            State::Stdout(w) => w.flush(),
        };
        r.map_err(|e| self.named(e))
    }
}

/// Writes `bytes` to `path` whole, or not at all (see [`Output`]).
pub fn write_atomic(path: &Path, bytes: &[u8], target: Target) -> Result<()> {
    let mut out = Output::create(path, target)?;
    out.write_all_raw(bytes).map_err(|e| Error::io(path, e))?;
    out.commit()
}

/// Makes `path` with `write`, a function that writes a file at the path it is given (for
/// writers that take a path, such as a PNG encoder): it writes a temporary file beside the
/// target (with the target's extension), which then replaces the target whole; or, for a
/// stream, is copied into it.
pub fn write_with(
    path: &Path,
    target: Target,
    write: impl FnOnce(&Path) -> std::result::Result<(), String>,
) -> Result<()> {
    let resolved = check_target(path, target)?;
    let (dir, dest) = match &resolved {
        Resolved::File(t) => (
            match t.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            },
            t.clone(),
        ),
        Resolved::Stream(s) => (std::env::temp_dir(), s.clone()),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(".stance-")
        .suffix(&suffix)
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .into_temp_path();
    write(&temp).map_err(|m| Error::Config(format!("{}: {m}", path.display())))?;
    match resolved {
        Resolved::File(_) => {
            if let Ok(m) = std::fs::metadata(&dest) {
                let _ = std::fs::set_permissions(&temp, m.permissions());
            } else {
                set_new_file_mode(&temp);
            }
            temp.persist(&dest).map_err(|e| Error::io(path, e.error))
        }
        Resolved::Stream(_) => {
            let bytes = std::fs::read(&temp).map_err(|e| Error::io(path, e))?;
            let mut out = Output::create(path, target)?;
            out.write_all_raw(&bytes).map_err(|e| Error::io(path, e))?;
            out.commit()
        }
    }
}

/// A named temporary file gets the mode a new file would (rw-r--r-- under the usual umask),
/// not the owner-only mode of temporary files.
fn set_new_file_mode(p: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = p;
}

/// A temporary file in `dir`: unnamed where the system allows it, else hidden and named.
fn temp_in(dir: &Path) -> io::Result<(File, Temp)> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(f) = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .mode(0o666)
            .open(dir)
        {
            return Ok((f, Temp::Anonymous(dir.to_path_buf())));
        }
    }
    let (file, path) = tempfile::Builder::new()
        .prefix(".stance-")
        .tempfile_in(dir)?
        .into_parts();
    set_new_file_mode(&path);
    Ok((file, Temp::Named(path)))
}

/// Gives the unnamed file `file` (made in `dir`) the name `target`: linked under a fresh
/// hidden name, then renamed over the target (a rename replaces atomically; a link does not).
#[cfg(target_os = "linux")]
fn link_anonymous(file: &File, dir: &Path, target: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let fd = file.as_raw_fd();
    let proc_path = CString::new(format!("/proc/self/fd/{fd}")).expect("no NUL");
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(
            ".stance-{}-{}-{attempt}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        let c_tmp = CString::new(tmp.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the path"))?;
        // SAFETY: both paths are valid NUL-terminated strings; fd is open for this call.
        let mut r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                proc_path.as_ptr(),
                libc::AT_FDCWD,
                c_tmp.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT) {
            // No /proc: link the descriptor itself.
            let empty = CString::new("").expect("no NUL");
            // SAFETY: as above.
            r = unsafe {
                libc::linkat(
                    fd,
                    empty.as_ptr(),
                    libc::AT_FDCWD,
                    c_tmp.as_ptr(),
                    libc::AT_EMPTY_PATH,
                )
            };
        }
        if r != 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::AlreadyExists {
                continue;
            }
            return Err(e);
        }
        return std::fs::rename(&tmp, target).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        });
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name",
    ))
}

#[cfg(not(target_os = "linux"))]
fn link_anonymous(_: &File, _: &Path, _: &Path) -> io::Result<()> {
    unreachable!("unnamed temporary files are made on Linux only")
}

/// Whether `c` may not be shown as it is: a control character (C0, DEL, C1), or one that
/// reorders or hides text (bidirectional overrides and isolates, zero-width joiners aside).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn escaped<'a>(s: &'a str, keep: &[char]) -> std::borrow::Cow<'a, str> {
    if !s.chars().any(|c| unsafe_char(c) && !keep.contains(&c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) && !keep.contains(&c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text from the input made safe to print on a terminal: control characters (an escape
/// sequence could clear the screen, retitle the window or hide what follows) and
/// bidirectional overrides are shown as `\u{1b}`; line ends and tabs stay.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    escaped(s, &['\n', '\t'])
}

/// [`printable`] for one line, a table cell or a chart label: line ends and tabs are shown
/// as escapes too (an SVG or XML text may hold no other control character).
pub fn printable_line(s: &str) -> std::borrow::Cow<'_, str> {
    escaped(s, &[])
}

/// A text cell for CSV that a spreadsheet will not run as a formula: a cell opening with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front (and so does one that
/// opens with `'`, so that [`from_csv_text`] gives every cell back exactly).
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'') => {
            std::borrow::Cow::Owned(format!("'{s}"))
        }
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// The text of a cell written by [`csv_text`].
pub fn from_csv_text(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncommitted_output_leaves_nothing_and_a_committed_one_replaces_whole() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        std::fs::write(&p, "old").unwrap();
        {
            let mut o = Output::create(&p, Target::File).unwrap();
            o.write_all(b"new, half").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        let mut o = Output::create(&p, Target::File).unwrap();
        o.write_all(b"new").unwrap();
        o.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.txt"]);
    }

    #[test]
    fn outputs_that_are_inputs_or_each_other_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.jsonl");
        std::fs::write(&a, "x").unwrap();
        let link = d.path().join("b.jsonl");
        std::fs::hard_link(&a, &link).unwrap();
        let e = check_distinct(&[("the input", &a)], &[("--out", &link)]).unwrap_err();
        assert!(e.to_string().contains("same file as the input"), "{e}");
        let new = d.path().join("new.jsonl");
        let e = check_distinct(&[], &[("--out", &new), ("--errors", &new)]).unwrap_err();
        assert!(e.to_string().contains("--out"), "{e}");
        assert!(check_distinct(&[("the input", &a)], &[("--out", &new)]).is_ok());
        // Inside a folder that is read.
        let e = check_distinct(&[("the input", d.path())], &[("--out", &a)]).unwrap_err();
        assert!(e.to_string().contains("in it"), "{e}");
    }

    #[test]
    fn control_characters_are_shown_escaped_and_formulas_neutralised() {
        assert_eq!(printable("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\nc");
        assert_eq!(printable_line("a\nb\u{202e}"), "a\\u{a}b\\u{202e}");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
        for s in ["=1+1", "+cmd", "-2", "@SUM(1)", "'x", "plain", ""] {
            assert_eq!(from_csv_text(&csv_text(s)), s);
        }
        assert_eq!(csv_text("=1+1"), "'=1+1");
        assert_eq!(csv_text("Alpha"), "Alpha");
    }
}
