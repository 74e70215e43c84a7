//! What the browser tests share: Chromium (Debian's package, installed when missing) and
//! playwright-core (from npm, into a cache under the target directory).

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn run_ok(cmd: &mut Command) -> Result<(), String> {
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{:?} failed: {}",
            cmd,
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .join(" | ")
        )),
        Err(e) => Err(format!("{cmd:?}: {e}")),
    }
}

pub fn chromium() -> Result<PathBuf, String> {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return Ok(PathBuf::from(p));
        }
    }
    eprintln!("browser tests: installing Debian's chromium (apt-get)");
    run_ok(Command::new("apt-get").args(["update", "-qq"]))?;
    run_ok(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if Path::new("/usr/bin/chromium").exists() {
        Ok(PathBuf::from("/usr/bin/chromium"))
    } else {
        Err("apt-get installed chromium but /usr/bin/chromium is missing".into())
    }
}

pub fn playwright(cache: &Path) -> Result<PathBuf, String> {
    let modules = cache.join("node_modules");
    if modules
        .join("playwright-core")
        .join("package.json")
        .exists()
    {
        return Ok(modules);
    }
    std::fs::create_dir_all(cache).map_err(|e| e.to_string())?;
    eprintln!(
        "label_browser: installing playwright-core with npm into {}",
        cache.display()
    );
    run_ok(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(cache)
            .arg("playwright-core@1"),
    )?;
    if modules.join("playwright-core").exists() {
        Ok(modules)
    } else {
        Err("npm ran but playwright-core is not installed".into())
    }
}
