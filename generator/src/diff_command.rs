//! `clientgen diff`: the specs of both sides (files, folders, or a git
//! revision's folder), compared at the level of the generated API.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clientgen::Generator;
use clientgen::diff::{self, Bump};
use clientgen::ir::Service;

use crate::cli::DiffArgs;

/// Runs `clientgen diff`.
#[allow(clippy::print_stdout)] // The report is the command's output.
pub(crate) fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (report, versions) = match (&args.against, &args.old, &args.new) {
        (Some(revision), _, _) => {
            let repo = Repo::here()?;
            let snapshot = Snapshot::of(&repo, revision, &args.specs)?;
            let old = services(&snapshot.specs, &args.overlay)?;
            let new = services(&args.specs, &args.overlay)?;
            let versions = (
                version_at(&repo, Some(revision), &args.manifest).ok(),
                version_at(&repo, None, &args.manifest).ok(),
            );
            (diff::compare(&old, &new), Some(versions))
        }
        (None, Some(old_path), Some(new_path)) => {
            let old = services(old_path, &args.overlay)?;
            let mut new = services(new_path, &args.overlay)?;
            // Two files are two versions of one service, whatever their names.
            if old_path.is_file()
                && new_path.is_file()
                && let ([old], [new]) = (old.as_slice(), new.as_mut_slice())
            {
                new.module.clone_from(&old.module);
                new.client.clone_from(&old.client);
            }
            (diff::compare(&old, &new), None)
        }
        _ => bail!("give OLD and NEW, or --against REV"),
    };
    if args.json {
        println!("{:#}", report.to_json());
    } else {
        print!("{report}");
    }
    eprintln!("clientgen diff: {:.1?}", started.elapsed());
    let bump = report.bump();
    if !args.deny_breaking || bump != Bump::Major {
        return Ok(ExitCode::SUCCESS);
    }
    match versions {
        Some((Some(old), Some(new))) if bump.made_by(&old, &new) => {
            eprintln!("clientgen diff: breaking, and the crate went from {old} to {new}: allowed");
            Ok(ExitCode::SUCCESS)
        }
        Some((Some(old), _)) => {
            let needed = bump
                .apply(&old)
                .unwrap_or_else(|| "a major bump".to_owned());
            eprintln!(
                "clientgen diff: breaking changes need the generated crate's version bumped \
                 from {old} to {needed} ({})",
                args.manifest.display()
            );
            Ok(ExitCode::FAILURE)
        }
        _ => {
            eprintln!("clientgen diff: breaking changes (--deny-breaking)");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The services of a spec file or a folder of specs.
fn services(path: &Path, overlays: &[PathBuf]) -> anyhow::Result<Vec<Service>> {
    let generator = overlays.iter().fold(
        Generator::new(std::env::temp_dir()),
        |generator, overlay| generator.overlay(overlay),
    );
    let generator = if path.is_dir() {
        generator
            .specs_dir(path)
            .with_context(|| format!("reading specs from {}", path.display()))?
    } else {
        generator.spec(path)
    };
    let (services, _warnings) = generator
        .services()
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(services)
}

/// A git revision's specs folder, extracted into a temporary folder that
/// is removed when this is dropped.
struct Snapshot {
    root: PathBuf,
    specs: PathBuf,
}

/// The git work tree the command runs in.
struct Repo {
    /// Its top folder.
    toplevel: PathBuf,
    /// The current folder, relative to the top.
    prefix: PathBuf,
}

impl Repo {
    fn here() -> anyhow::Result<Self> {
        Ok(Self {
            toplevel: PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim()),
            prefix: PathBuf::from(git(&["rev-parse", "--show-prefix"])?.trim()),
        })
    }

    /// A path given from the current folder, from the top (`..` resolved
    /// through the file system when the path exists).
    fn inside(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path)
            .ok()
            .and_then(|full| {
                let top = std::fs::canonicalize(&self.toplevel).ok()?;
                full.strip_prefix(top).ok().map(Path::to_path_buf)
            })
            .unwrap_or_else(|| self.prefix.join(path))
    }

    /// The text of the file at `path` (from the top) at `revision`, or in
    /// the work tree when `None`.
    fn read(&self, revision: Option<&str>, path: &Path) -> anyhow::Result<String> {
        match revision {
            Some(revision) => git(&["show", &format!("{revision}:{}", path.display())]),
            None => {
                let file = self.toplevel.join(path);
                std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))
            }
        }
    }
}

impl Snapshot {
    fn of(repo: &Repo, revision: &str, specs: &Path) -> anyhow::Result<Self> {
        let inside = repo.inside(specs);
        let root = std::env::temp_dir().join(format!("clientgen-diff-{}", std::process::id()));
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        let snapshot = Self {
            specs: root.join(&inside),
            root,
        };
        let archive = Command::new("git")
            .arg("-C")
            .arg(&repo.toplevel)
            .args(["archive", "--format=tar", revision, "--"])
            .arg(&inside)
            .stdout(Stdio::piped())
            .spawn()
            .context("running git archive")?;
        let unpacked = Command::new("tar")
            .args(["-x", "-C"])
            .arg(&snapshot.root)
            .stdin(archive.stdout.context("git archive's output")?)
            .status()
            .context("running tar")?;
        if !unpacked.success() || !snapshot.specs.is_dir() {
            bail!(
                "{revision} has no {} (git archive found nothing)",
                inside.display()
            );
        }
        Ok(snapshot)
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The output of a git command run here.
fn git(args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .context("running git")?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `version` of the crate manifest at `revision` (the working tree when
/// `None`); a version the workspace sets is read from the workspace's
/// manifest.
fn version_at(repo: &Repo, revision: Option<&str>, manifest: &Path) -> anyhow::Result<String> {
    let text = repo.read(revision, &repo.inside(manifest))?;
    let version = match version_in(&text) {
        None if text.contains("version.workspace = true") => {
            version_in(&repo.read(revision, Path::new("Cargo.toml"))?)
        }
        found => found,
    };
    version.with_context(|| format!("no version in {}", manifest.display()))
}

/// The first `version = "..."` line of a manifest.
fn version_in(text: &str) -> Option<String> {
    text.lines().map(str::trim).find_map(|line| {
        let value = line
            .strip_prefix("version")?
            .trim_start()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}
