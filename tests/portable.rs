//! A portable scoring binary, built and run in a minimal environment.
//!
//! `--no-default-features` leaves out the charts (SVG only, so they link nothing either; only the
//! `png` feature links fontconfig and freetype), for the smallest scoring binary, which needs
//! nothing but the C library. Two ways to a binary that runs on any x86_64
//! Linux, tried in this order (or as `STANCE_PORTABLE=musl|zig|skip` says):
//!
//! - **musl** (when the target `x86_64-unknown-linux-musl` is installed): a static binary. Run
//!   in an empty chroot holding only the binary, a model and the input.
//! - **zig** (cargo-zigbuild with the ziglang package, both from PyPI, in `target/zig-venv`):
//!   a glibc binary for glibc 2.17 and later (`--target x86_64-unknown-linux-gnu.2.17`; the
//!   newest GLIBC_ symbol version it asks for is checked). Run in a chroot holding the binary,
//!   the libraries `ldd` names, a model and the input.
//!
//! Either way the output, on `data/articles.jsonl` (JSONL and CSV, from a file and from standard
//! input), must equal the normal build's byte for byte. Without root (no chroot) the binary
//! runs with an empty environment in an empty folder instead. Skipped, saying why, only when
//! neither toolchain can be had; `STANCE_REQUIRE_PORTABLE=1` makes that a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const MUSL: &str = "x86_64-unknown-linux-musl";
const OLD_GLIBC: &str = "x86_64-unknown-linux-gnu.2.17";
/// Pinned, like the Python test requirements.
const ZIG_REQUIREMENTS: &[&str] = &["ziglang==0.15.2", "cargo-zigbuild==0.24.1"];

fn say(msg: &str) {
    let mut e = std::io::stderr();
    let _ = writeln!(e, "portable: {msg}");
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn quiet(cmd: &mut Command) -> std::io::Result<std::process::Output> {
    cmd.stdin(Stdio::null()).output()
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}

fn skip(why: &str) {
    assert!(
        std::env::var("STANCE_REQUIRE_PORTABLE").map_or(true, |v| v != "1"),
        "STANCE_REQUIRE_PORTABLE=1, but {why}"
    );
    say(&format!("SKIPPED: {why}"));
}

fn musl_installed() -> bool {
    quiet(Command::new("rustc").args(["--print", "target-libdir", "--target", MUSL]))
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|d| d.is_dir())
}

/// The environment for a portable build: no debug info, stripped (the workspace's release
/// profile keeps line tables for profiling).
fn build_env(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .current_dir(root())
}

/// Builds for musl; the binary's path.
fn build_musl(target_dir: &Path) -> PathBuf {
    let o = quiet(
        build_env(&mut Command::new(env!("CARGO")))
            .args([
                "build",
                "--release",
                "--quiet",
                "--no-default-features",
                "--bin",
                "stance",
            ])
            .args(["--target", MUSL, "--target-dir"])
            .arg(target_dir),
    )
    .expect("run cargo");
    assert!(
        o.status.success(),
        "musl build failed:\n{}",
        tail(&o.stderr)
    );
    target_dir.join(MUSL).join("release").join("stance")
}

/// Builds for glibc 2.17 with cargo-zigbuild; the binary's path, or None (skipped) when the
/// tools cannot be installed.
fn build_zig(target_dir: &Path) -> Option<PathBuf> {
    let venv = root().join("target").join("zig-venv");
    let py = venv.join("bin").join("python");
    let stamp = venv.join(".stance-requirements");
    let want = ZIG_REQUIREMENTS.join(" ");
    if !(py.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == want)) {
        let t = Instant::now();
        let _ = std::fs::remove_dir_all(&venv);
        let python = std::env::var("STANCE_PYTHON").unwrap_or_else(|_| "python3".into());
        if !quiet(Command::new(&python).args(["-m", "venv"]).arg(&venv))
            .is_ok_and(|o| o.status.success())
        {
            skip("no musl target, and no `python3 -m venv` for the zig route");
            return None;
        }
        let o = quiet(
            Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "--disable-pip-version-check",
                    "--no-input",
                    "install",
                    "--quiet",
                ])
                .args(ZIG_REQUIREMENTS),
        );
        match o {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                skip(&format!(
                    "no musl target, and pip could not install {want}:\n{}",
                    tail(&o.stderr)
                ));
                return None;
            }
            Err(e) => {
                skip(&format!("no musl target, and pip did not run: {e}"));
                return None;
            }
        }
        std::fs::write(&stamp, &want).expect("write the stamp");
        say(&format!(
            "installed {want} in {:.1} s",
            t.elapsed().as_secs_f64()
        ));
    }
    let bin = venv.join("bin");
    let mut path = std::ffi::OsString::from(&bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let o = quiet(
        build_env(&mut Command::new(bin.join("cargo-zigbuild")))
            .args([
                "zigbuild",
                "--release",
                "--quiet",
                "--no-default-features",
                "--bin",
                "stance",
            ])
            .args(["--target", OLD_GLIBC, "--target-dir"])
            .arg(target_dir)
            .env("PATH", path),
    )
    .expect("run cargo-zigbuild");
    assert!(
        o.status.success(),
        "cargo zigbuild failed:\n{}",
        tail(&o.stderr)
    );
    Some(
        target_dir
            .join("x86_64-unknown-linux-gnu")
            .join("release")
            .join("stance"),
    )
}

/// Program header types of an ELF64 little-endian file.
fn program_headers(elf: &[u8]) -> Vec<u32> {
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    assert!(
        elf.len() > 64 && &elf[..4] == b"\x7fELF" && elf[4] == 2,
        "not an ELF64 file"
    );
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (size, n) = (u16_at(0x36), u16_at(0x38));
    (0..n)
        .map(|i| {
            let o = phoff + i * size;
            u32::from_le_bytes(elf[o..o + 4].try_into().unwrap())
        })
        .collect()
}

const PT_INTERP: u32 = 3;

/// The newest `GLIBC_2.N` version named in the binary (its symbol version requirements).
fn newest_glibc(elf: &[u8]) -> Option<(u32, u32)> {
    let pat = b"GLIBC_2.";
    let mut best = None;
    let mut i = 0;
    while let Some(p) = elf[i..].windows(pat.len()).position(|w| w == pat) {
        let start = i + p + pat.len();
        let digits: Vec<u8> = elf[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .copied()
            .collect();
        let s = String::from_utf8_lossy(&digits);
        let minor: u32 = s
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        best = best.max(Some((2, minor)));
        i = start;
    }
    best
}

fn is_root() -> bool {
    quiet(Command::new("id").arg("-u"))
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Copies the shared libraries `ldd` names (and the loader) into `dir` at their own paths.
fn copy_libraries(bin: &Path, dir: &Path) -> Vec<String> {
    let o = quiet(Command::new("ldd").arg(bin)).expect("run ldd");
    let mut copied = Vec::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let path = match line.split("=>").nth(1) {
            Some(rhs) => rhs.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        let Some(p) = path.filter(|p| p.starts_with('/')) else {
            continue;
        };
        let dst = dir.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(p, &dst).unwrap_or_else(|e| panic!("copy {p}: {e}"));
        copied.push(p.to_string());
    }
    copied
}

struct Run {
    args: Vec<&'static str>,
    stdin: bool,
}

fn runs() -> Vec<Run> {
    vec![
        Run {
            args: vec![
                "score",
                "IN",
                "--model",
                "MODEL",
                "--quiet",
                "--threads",
                "2",
            ],
            stdin: false,
        },
        Run {
            args: vec![
                "score", "-", "--model", "MODEL", "--quiet", "--format", "csv",
            ],
            stdin: true,
        },
        Run {
            args: vec![
                "score",
                "-",
                "--model",
                "MODEL",
                "--quiet",
                "--evidence",
                "0",
                "--threads",
                "1",
            ],
            stdin: true,
        },
    ]
}

fn output(mut cmd: Command, stdin: Option<&[u8]>) -> Vec<u8> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start stance");
    if let Some(bytes) = stdin {
        let mut s = child.stdin.take().unwrap();
        s.write_all(bytes).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn a_portable_binary_scores_like_the_normal_build() {
    let mode = std::env::var("STANCE_PORTABLE").unwrap_or_else(|_| "auto".into());
    if mode == "skip" {
        skip("STANCE_PORTABLE=skip");
        return;
    }
    let target_dir = root().join("target").join("portable");
    let t = Instant::now();
    let (route, bin) = match mode.as_str() {
        "musl" => ("musl", build_musl(&target_dir)),
        "zig" => match build_zig(&target_dir) {
            Some(b) => ("zig", b),
            None => return,
        },
        _ if musl_installed() => ("musl", build_musl(&target_dir)),
        _ => match build_zig(&target_dir) {
            Some(b) => ("zig", b),
            None => return,
        },
    };
    let elf = std::fs::read(&bin).expect("the portable binary");
    let headers = program_headers(&elf);
    let glibc = newest_glibc(&elf);
    let facts = match route {
        "musl" => {
            assert!(
                !headers.contains(&PT_INTERP),
                "the musl binary asks for a dynamic loader"
            );
            assert_eq!(glibc, None, "the musl binary names glibc versions");
            "static (musl), no glibc needed".to_string()
        }
        _ => {
            let (maj, min) = glibc.expect("a glibc binary names GLIBC_ versions");
            assert!(
                min <= 17,
                "the binary needs GLIBC_{maj}.{min}, newer than 2.17"
            );
            format!("dynamic, needs glibc >= {maj}.{min}")
        }
    };
    say(&format!(
        "built the {route} binary in {:.1} s: {:.1} MB, {facts}",
        t.elapsed().as_secs_f64(),
        elf.len() as f64 / 1e6
    ));

    // The minimal environment.
    let data = std::fs::read(root().join("data/articles.jsonl")).unwrap();
    let jail = tempfile::tempdir().unwrap();
    let dir = jail.path();
    std::fs::copy(&bin, dir.join("stance")).unwrap();
    std::fs::copy(root().join("models/default.json"), dir.join("model.json")).unwrap();
    std::fs::write(dir.join("in.jsonl"), &data).unwrap();
    let chroot = is_root()
        && quiet(Command::new("chroot").arg("--version")).is_ok_and(|o| o.status.success());
    let libs = if chroot && route != "musl" {
        copy_libraries(&bin, dir)
    } else {
        Vec::new()
    };
    let entries: Vec<String> = walk(dir);
    let t = Instant::now();
    for r in runs() {
        let mut normal = Command::new(env!("CARGO_BIN_EXE_stance"));
        normal
            .current_dir(root())
            .args(r.args.iter().map(|a| match *a {
                "IN" => "data/articles.jsonl",
                "MODEL" => "models/default.json",
                a => a,
            }));
        let want = output(normal, r.stdin.then_some(&data[..]));
        let (exe, model, input) = if chroot {
            (
                "/stance".to_string(),
                "/model.json".to_string(),
                "/in.jsonl".to_string(),
            )
        } else {
            let d = dir.display();
            (
                format!("{d}/stance"),
                format!("{d}/model.json"),
                format!("{d}/in.jsonl"),
            )
        };
        let args: Vec<String> = r
            .args
            .iter()
            .map(|a| match *a {
                "IN" => input.clone(),
                "MODEL" => model.clone(),
                a => a.to_string(),
            })
            .collect();
        let mut cmd = if chroot {
            // By its full path: the child's environment is empty, PATH included.
            let mut c = Command::new(in_path("chroot").expect("chroot on the PATH"));
            c.arg(dir).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(&args).env_clear().current_dir(dir);
        let got = output(cmd, r.stdin.then_some(&data[..]));
        assert!(
            got == want,
            "the {route} binary's output differs from the normal build's for {:?}",
            r.args
        );
    }
    say(&format!(
        "{} runs in {} ({}) equal the normal build's, in {:.1} s",
        runs().len(),
        if chroot {
            "a chroot holding only"
        } else {
            "an empty environment (env -i; not root, so no chroot) beside"
        },
        if libs.is_empty() {
            entries.join(", ")
        } else {
            format!(
                "{} and the libraries {}",
                entries.join(", "),
                libs.join(", ")
            )
        },
        t.elapsed().as_secs_f64()
    ));
}

/// A program's full path, found on this process's PATH.
fn in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The files in `dir` (relative), for the report.
fn walk(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    out.sort();
    out
}
