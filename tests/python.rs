//! The Python package (`python/`), end to end, from a plain `cargo test --release`:
//!
//! 1. a virtual environment under `target/python-venv` (kept between runs, remade when
//!    `python/requirements-test.txt` changes), with the pinned test requirements (maturin,
//!    pytest, pandas, pyarrow, pyspark) installed by pip;
//! 2. the wheel built by `maturin build --release` into `target/wheels` and pip-installed;
//! 3. Java for the Spark tests: `java` on the PATH, else Debian's `openjdk-17-jre-headless`
//!    installed with apt-get when running as root;
//! 4. `pytest python/tests`: the package against this build's `stance` binary, Spark's
//!    DataFrame route (mapInArrow) and the RDD.pipe route.
//!
//! Each step's time goes to stderr (seen in the CI log). The test skips, saying why, only where
//! an install cannot work: no `python3` with `venv`, or pip cannot reach the package index (the
//! Spark tests alone skip when Java cannot be had). `STANCE_REQUIRE_PYTHON=1` makes every such
//! skip a failure; `STANCE_PYTHON` names the interpreter (default `python3`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Written straight to the process's stderr, past the test harness's capture, so that it shows
/// in `cargo test`'s output even when the test passes.
fn say(msg: &str) {
    let mut e = std::io::stderr();
    let _ = writeln!(e, "python: {msg}");
}

fn require() -> bool {
    std::env::var("STANCE_REQUIRE_PYTHON").is_ok_and(|v| v == "1")
}

/// Skips the test (or fails it under STANCE_REQUIRE_PYTHON=1).
fn skip(why: &str) {
    assert!(!require(), "STANCE_REQUIRE_PYTHON=1, but {why}");
    say(&format!("SKIPPED: {why}"));
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> std::io::Result<std::process::Output> {
    cmd.stdin(Stdio::null()).output()
}

fn ok(cmd: &mut Command) -> bool {
    run(cmd).is_ok_and(|o| o.status.success())
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A digest of the requirements, to tell when the environment must be remade.
fn stamp_of(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The environment with the test requirements, or None (skipped) when it cannot be made.
fn venv(dir: &Path) -> Option<PathBuf> {
    let python = std::env::var("STANCE_PYTHON").unwrap_or_else(|_| "python3".into());
    let py = dir.join("bin").join("python");
    let reqs_path = root().join("python/requirements-test.txt");
    let reqs = std::fs::read_to_string(&reqs_path).expect("python/requirements-test.txt");
    let stamp_path = dir.join(".stance-requirements");
    let want = stamp_of(&reqs);
    if py.exists() && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s.trim() == want) {
        say(&format!(
            "reusing {} (requirements unchanged)",
            dir.display()
        ));
        return Some(py);
    }
    let t = Instant::now();
    let _ = std::fs::remove_dir_all(dir);
    match run(Command::new(&python).args(["-m", "venv"]).arg(dir)) {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            skip(&format!(
                "`{python} -m venv` failed (is the venv module installed?): {}",
                tail(&o.stderr)
            ));
            return None;
        }
        Err(e) => {
            skip(&format!("no Python interpreter `{python}`: {e}"));
            return None;
        }
    }
    let out = run(Command::new(&py)
        .args([
            "-m",
            "pip",
            "--disable-pip-version-check",
            "--no-input",
            "install",
            "--quiet",
            "-r",
        ])
        .arg(&reqs_path));
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            skip(&format!(
                "pip could not install the test requirements (no access to the package index?):\n{}",
                tail(&o.stderr)
            ));
            return None;
        }
        Err(e) => {
            skip(&format!("pip did not run: {e}"));
            return None;
        }
    }
    std::fs::write(&stamp_path, &want).expect("write the requirements stamp");
    say(&format!(
        "made {} and installed python/requirements-test.txt in {:.1} s",
        dir.display(),
        t.elapsed().as_secs_f64()
    ));
    Some(py)
}

/// Java for pyspark: on the PATH, or installed from Debian's packages when we are root.
fn java() -> bool {
    if ok(Command::new("java").arg("-version")) {
        return true;
    }
    let is_root = run(Command::new("id").arg("-u"))
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root || !ok(Command::new("apt-get").arg("--version")) {
        say("no java, and no apt-get as root to install it: the Spark tests will skip");
        return false;
    }
    let t = Instant::now();
    let install = || {
        ok(Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "openjdk-17-jre-headless",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    let done = install() || (ok(Command::new("apt-get").args(["update", "-q"])) && install());
    say(&format!(
        "apt-get install openjdk-17-jre-headless: {} in {:.1} s",
        if done { "done" } else { "FAILED" },
        t.elapsed().as_secs_f64()
    ));
    done && ok(Command::new("java").arg("-version"))
}

#[test]
fn python_package_and_spark() {
    let target = root().join("target");
    let Some(py) = venv(&target.join("python-venv")) else {
        return;
    };
    let bin_dir = py.parent().expect("venv bin").to_path_buf();

    // The wheel.
    let t = Instant::now();
    let wheels = target.join("wheels");
    let _ = std::fs::remove_dir_all(&wheels);
    let out = run(Command::new(bin_dir.join("maturin"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-m",
            "python/Cargo.toml",
            "--out",
        ])
        .arg(&wheels)
        .arg("-i")
        .arg(&py)
        .current_dir(root()))
    .expect("run maturin");
    assert!(
        out.status.success(),
        "maturin build failed:\n{}\n{}",
        tail(&out.stdout),
        tail(&out.stderr)
    );
    let wheel = std::fs::read_dir(&wheels)
        .expect("target/wheels")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("maturin wrote a wheel");
    let size = std::fs::metadata(&wheel).map_or(0, |m| m.len());
    say(&format!(
        "built {} ({:.1} MB) in {:.1} s",
        wheel.file_name().unwrap_or_default().to_string_lossy(),
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let out = run(Command::new(&py)
        .args([
            "-m",
            "pip",
            "--disable-pip-version-check",
            "install",
            "--quiet",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(&wheel))
    .expect("run pip");
    assert!(
        out.status.success(),
        "pip install of the wheel failed:\n{}",
        tail(&out.stderr)
    );
    say(&format!(
        "installed the wheel in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    let has_java = java();

    // The tests.
    let t = Instant::now();
    let mut cmd = Command::new(&py);
    cmd.args([
        "-m",
        "pytest",
        "python/tests",
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
    ])
    .current_dir(root())
    .env("STANCE_BIN", env!("CARGO_BIN_EXE_stance"))
    .env("STANCE_REPO", root())
    .env("PATH", {
        let mut p = std::ffi::OsString::from(&bin_dir);
        p.push(":");
        p.push(std::env::var_os("PATH").unwrap_or_default());
        p
    })
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .stdin(Stdio::null())
    .stdout(Stdio::inherit())
    .stderr(Stdio::inherit());
    if require() && has_java {
        cmd.env("STANCE_REQUIRE_SPARK", "1");
    }
    let status = cmd.status().expect("run pytest");
    say(&format!(
        "pytest python/tests: {} in {:.1} s",
        if status.success() { "passed" } else { "FAILED" },
        t.elapsed().as_secs_f64()
    ));
    assert!(status.success(), "pytest failed (its report is above)");
}
