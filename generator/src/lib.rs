//! clientgen: typed, resilient Rust clients from OpenAPI 3.0 and 3.1 specs.
//!
//! The pipeline, one module per stage:
//! [`load`] (YAML/JSON, version check) -> [`validate`] (unsupported
//! constructs, all at once) -> [`lower`] (to the [`ir`]) -> [`emit`] (Rust
//! via `quote!`, `syn` and prettyplease) -> [`output`] (write if changed).
//!
//! ```no_run
//! // build.rs or a tool: regenerate `generated/src` from `specs/`.
//! let summary = clientgen::Generator::new("generated/src")
//!     .specs_dir("specs")?
//!     .write()?;
//! println!("{summary}");
//! # Ok::<(), clientgen::GenerateError>(())
//! ```

pub mod bundle;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod ir;
pub mod load;
pub mod lower;
pub mod naming;
pub mod output;
pub(crate) mod overlay;
pub mod paging;
mod parallel;
pub mod share;
pub mod spec;
pub mod support;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diagnostics::{Diagnostic, Severity};

/// The generator's version, written into every generated file's header.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// A file or folder could not be read or written.
    #[error("cannot access {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No spec was given or found.
    #[error("no spec files (*.yaml, *.yml, *.json) in {}", dir.display())]
    NoSpecs {
        /// Where they were looked for.
        dir: PathBuf,
    },
    /// Specs the generator cannot handle; every diagnostic is listed.
    #[error("{}", render_diagnostics(.0))]
    Spec(Vec<Diagnostic>),
    /// Two specs map to the same module name.
    #[error("{first} and {second} would both generate module `{module}`; rename one")]
    DuplicateModule {
        /// The module name.
        module: String,
        /// One spec.
        first: String,
        /// The other.
        second: String,
    },
    /// The output path names a file, not a folder.
    #[error("the output path {} is a file; give a folder (the generated crate's `src`)", path.display())]
    OutputIsAFile {
        /// The path.
        path: PathBuf,
    },
    /// The specs folder does not exist.
    #[error(
        "no specs folder at {}; run from the workspace root or pass `--specs DIR`",
        dir.display()
    )]
    NoSpecsDir {
        /// The folder looked for.
        dir: PathBuf,
    },
    /// Emitted tokens did not form valid Rust (a generator bug).
    #[error("internal error emitting {source_file}: {reason}; please report it with the spec")]
    Emit {
        /// The spec being emitted.
        source_file: String,
        /// What `syn` reported.
        reason: String,
    },
}

impl GenerateError {
    /// The diagnostics, when the specs were the problem.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Spec(diagnostics) => diagnostics,
            _ => &[],
        }
    }
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let mut text = format!("{errors} error(s) in the specs");
    for diagnostic in diagnostics {
        text.push_str("\n\n");
        text.push_str(&diagnostic.to_string());
    }
    text
}

/// Generates a client crate's sources from specs.
#[derive(Clone, Debug)]
pub struct Generator {
    specs: Vec<SpecFile>,
    out: PathBuf,
    source_label: String,
    strict: bool,
    /// When set, only these specs' modules (and the crate root) are
    /// written, and nothing is removed.
    only: Option<Vec<PathBuf>>,
    /// Overlays given by hand (besides those found next to each spec).
    overlays: Vec<PathBuf>,
}

/// A spec to generate, and how it was found.
#[derive(Clone, Debug)]
struct SpecFile {
    path: PathBuf,
    /// Found by listing a folder: a file there that is not a spec (a shared
    /// `$ref` fragment, an overlay, `package.json`) is passed over.
    listed: bool,
}

/// Generated sources, not yet written.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// File name (relative to the output folder) -> content.
    pub files: BTreeMap<String, String>,
    /// The services, in module order.
    pub services: Vec<ir::Service>,
    /// Warnings about constructs that were skipped.
    pub warnings: Vec<Diagnostic>,
    /// Time spent.
    pub elapsed: Duration,
}

/// What [`Generator::write`] did.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Services generated.
    pub services: usize,
    /// Operations generated.
    pub operations: usize,
    /// Named types generated.
    pub types: usize,
    /// Files written.
    pub written: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Generated files of an earlier run removed because no spec makes them
    /// any more.
    pub removed: usize,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// Time spent, writing included.
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "clientgen: {} services, {} operations, {} types; {} files written, {} unchanged{}; {} warnings; {:.1} ms",
            self.services,
            self.operations,
            self.types,
            self.written,
            self.unchanged,
            if self.removed > 0 {
                format!(", {} removed", self.removed)
            } else {
                String::new()
            },
            self.warnings.len(),
            self.elapsed.as_secs_f64() * 1000.0
        )
    }
}

impl Generator {
    /// A generator writing into `out`.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            specs: Vec::new(),
            out: out.into(),
            source_label: String::new(),
            strict: false,
            only: None,
            overlays: Vec::new(),
        }
    }

    /// Applies the overlay at `path` (OpenAPI Overlay 1.0) to the spec its
    /// `extends` names, or to every spec when it names none, after the
    /// overlays found next to each spec (`<stem>.overlay.yaml`).
    pub fn overlay(mut self, path: impl Into<PathBuf>) -> Self {
        self.overlays.push(path.into());
        self
    }

    /// Makes every warning (a skipped operation or schema, an ignored
    /// webhook) an error.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Adds one spec file.
    pub fn spec(mut self, path: impl Into<PathBuf>) -> Self {
        self.specs.push(SpecFile {
            path: path.into(),
            listed: false,
        });
        self
    }

    /// Regenerates only the modules of `specs` (added when not among the
    /// specs already) and the crate root, which still declares every
    /// service; the other modules are neither rewritten nor removed.
    pub fn only(mut self, specs: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        let specs: Vec<PathBuf> = specs.into_iter().map(Into::into).collect();
        for path in &specs {
            let known = self.specs.iter().any(|spec| same_file(&spec.path, path));
            if !known {
                self = self.spec(path.clone());
            }
        }
        self.only = Some(specs);
        self
    }

    /// Adds every spec among the `*.yaml`, `*.yml` and `*.json` files of
    /// `dir`, sorted. Files there that are not specs (shared `$ref`
    /// fragments, overlays, `package.json`) are passed over: a spec has an
    /// `openapi` (or `swagger`) key, or at least `info` and `paths`.
    pub fn specs_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, GenerateError> {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                GenerateError::NoSpecsDir {
                    dir: dir.to_owned(),
                }
            } else {
                GenerateError::Io {
                    path: dir.to_owned(),
                    source,
                }
            }
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            })
            .collect();
        if found.is_empty() {
            return Err(GenerateError::NoSpecs {
                dir: dir.to_owned(),
            });
        }
        found.sort();
        self.specs.extend(
            found
                .into_iter()
                .map(|path| SpecFile { path, listed: true }),
        );
        self.source_label = format!("{}/", display_path(dir));
        Ok(self)
    }

    /// The output folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Generates every file in memory.
    pub fn render(&self) -> Result<Rendered, GenerateError> {
        let started = Instant::now();
        let (services, warnings) = self.services()?;
        let label = if self.source_label.is_empty() {
            services
                .iter()
                .map(|s| s.source.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            self.source_label.clone()
        };
        assemble(services, warnings, &label, started)
    }

    /// Every spec loaded, overlaid, validated and lowered to the IR the
    /// code is emitted from (sorted by module), with the warnings: what
    /// `clientgen diff` compares.
    pub fn services(&self) -> Result<(Vec<ir::Service>, Vec<Diagnostic>), GenerateError> {
        let mut services = Vec::new();
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        let mut modules: BTreeMap<String, String> = BTreeMap::new();
        for spec in &self.specs {
            let path = &spec.path;
            let file = display_path(path);
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            match generate_one(path, &file, stem, spec.listed, &self.overlays, self.strict) {
                Ok(None) => {}
                Ok(Some((service, found))) => {
                    if let Some(first) = modules.insert(service.module.clone(), file.clone()) {
                        return Err(GenerateError::DuplicateModule {
                            module: service.module,
                            first,
                            second: file,
                        });
                    }
                    warnings.extend(found);
                    services.push(service);
                }
                Err(found) => errors.extend(found),
            }
        }
        if !errors.is_empty() {
            errors.extend(warnings);
            return Err(GenerateError::Spec(errors));
        }
        if services.is_empty() {
            return Err(GenerateError::NoSpecs {
                dir: self.out.clone(),
            });
        }
        services.sort_by(|a, b| a.module.cmp(&b.module));
        Ok((services, warnings))
    }

    /// Generates and writes the files that changed.
    pub fn write(&self) -> Result<Summary, GenerateError> {
        let started = Instant::now();
        let rendered = self.render()?;
        let report = match &self.only {
            None => output::write_files(&self.out, &rendered.files, true)?,
            Some(only) => {
                // The named specs' modules, and any module the crate root
                // declares whose file is not there yet, so the crate stays
                // whole; every other module is left as it is.
                let modules: Vec<&str> = rendered
                    .services
                    .iter()
                    .filter(|service| {
                        only.iter()
                            .any(|path| same_file(path, Path::new(&service.source)))
                            || !self.out.join(format!("{}.rs", service.module)).exists()
                                && !self.out.join(&service.module).join("mod.rs").exists()
                    })
                    .map(|service| service.module.as_str())
                    .collect();
                let files = rendered
                    .files
                    .iter()
                    .filter(|(name, _)| {
                        name.as_str() == "lib.rs"
                            || modules.iter().any(|module| belongs_to(name, module))
                    })
                    .map(|(name, content)| (name.clone(), content.clone()))
                    .collect();
                output::write_files(&self.out, &files, false)?
            }
        };
        Ok(Summary {
            services: rendered.services.len(),
            operations: rendered.services.iter().map(|s| s.operations.len()).sum(),
            types: rendered.services.iter().map(|s| s.types.len()).sum(),
            written: report.written.len(),
            unchanged: report.unchanged.len(),
            removed: report.removed.len(),
            warnings: rendered.warnings,
            elapsed: started.elapsed(),
        })
    }

    /// A diff of the files under the output folder that are stale (empty when
    /// everything is fresh).
    pub fn check(&self) -> Result<String, GenerateError> {
        if self.out.is_file() {
            return Err(GenerateError::OutputIsAFile {
                path: self.out.clone(),
            });
        }
        let rendered = self.render()?;
        Ok(output::stale_diff(&self.out, &rendered.files))
    }
}

/// Loads, validates and lowers one spec; returns the service and warnings,
/// or every diagnostic (warnings too, as errors, when `strict`). A file
/// found by listing a folder that is not a spec gives `None`.
fn generate_one(
    path: &Path,
    file: &str,
    stem: &str,
    listed: bool,
    overlays: &[PathBuf],
    strict: bool,
) -> Result<Option<(ir::Service, Vec<Diagnostic>)>, Vec<Diagnostic>> {
    let Some((mut document, overlaid)) =
        load::load_spec(path, overlays, listed).map_err(|d| vec![d])?
    else {
        return Ok(None);
    };
    document.file = file.to_owned();
    let (service, mut warnings) = lower_one(&document, file, stem, strict)?;
    if strict && !overlaid.is_empty() {
        return Err(overlaid
            .into_iter()
            .map(|mut diagnostic| {
                diagnostic.severity = Severity::Error;
                diagnostic
            })
            .collect());
    }
    warnings.extend(overlaid);
    Ok(Some((service, warnings)))
}

/// Whether two paths name the same file (compared canonically when both
/// exist).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether the generated file `name` belongs to `module` (`auth.rs`, or a
/// file under `github/` for a split module).
fn belongs_to(name: &str, module: &str) -> bool {
    name.strip_prefix(module)
        .is_some_and(|rest| rest == ".rs" || rest.starts_with('/'))
}

/// Validates and lowers one loaded spec; in strict mode every warning is an
/// error.
fn lower_one(
    document: &load::Document,
    file: &str,
    stem: &str,
    strict: bool,
) -> Result<(ir::Service, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut found = validate::validate(&document.root);
    let (service, lowering) = lower::lower(document, stem).map_err(|d| vec![d.in_file(file)])?;
    found.extend(lowering);
    let mut found: Vec<Diagnostic> = found.into_iter().map(|d| d.in_file(file)).collect();
    found.dedup();
    if strict && !found.is_empty() {
        for diagnostic in &mut found {
            diagnostic.severity = Severity::Error;
        }
        return Err(found);
    }
    if found.iter().any(|d| d.severity == Severity::Error) {
        return Err(found);
    }
    Ok((service, found))
}

/// Generates the sources for one spec held in memory (JSON or YAML, told
/// apart by its first character), as [`Generator::render`] does for files:
/// for a spec fetched at build time, or for a fuzzer. `name` stands for the
/// file in diagnostics and its stem names the module. References to other
/// files cannot be resolved without a folder and are reported as dangling.
pub fn render_text(name: &str, text: &str, strict: bool) -> Result<Rendered, GenerateError> {
    let started = Instant::now();
    let stem = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("service");
    let document = load::load_str(name, text).map_err(|d| GenerateError::Spec(vec![d]))?;
    let (service, warnings) =
        lower_one(&document, name, stem, strict).map_err(GenerateError::Spec)?;
    assemble(vec![service], warnings, name, started)
}

/// [`render_text`] with an overlay, also held in memory (YAML or JSON),
/// applied to the spec before validation: for a fuzzer, which feeds both.
pub fn render_text_overlaid(
    name: &str,
    text: &str,
    overlay: &str,
    strict: bool,
) -> Result<Rendered, GenerateError> {
    let started = Instant::now();
    let stem = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("service");
    let spec = |d: Diagnostic| GenerateError::Spec(vec![d]);
    let mut document = load::load_str(name, text).map_err(spec)?;
    let overlay_name = format!("{stem}.overlay.yaml");
    let value = load::parse_file_text(overlay).map_err(|message| {
        spec(
            Diagnostic::error("#", message, "fix the syntax error (YAML or JSON)")
                .in_file(&overlay_name),
        )
    })?;
    let overlay = overlay::parse(&overlay_name, &value).map_err(spec)?;
    let mut warnings = overlay.apply(&mut document.root).map_err(spec)?;
    let (service, lowered) =
        lower_one(&document, name, stem, strict).map_err(GenerateError::Spec)?;
    warnings.extend(lowered);
    assemble(vec![service], warnings, name, started)
}

/// Emits every service and the crate root (`source` names the specs in its
/// docs).
fn assemble(
    mut services: Vec<ir::Service>,
    warnings: Vec<Diagnostic>,
    source: &str,
    started: Instant,
) -> Result<Rendered, GenerateError> {
    let shared = share::share(&mut services);
    let mut files: BTreeMap<String, String> = emit::emit_services(&services)?.into_iter().collect();
    if let Some(shared) = &shared {
        files.insert(
            format!("{}.rs", share::SHARED_MODULE),
            emit::emit_shared(shared, source)?,
        );
    }
    files.insert(
        "lib.rs".to_owned(),
        emit::emit_root(&services, shared.as_ref(), source)?,
    );
    files.insert("fakes.rs".to_owned(), emit::emit_fakes(&services, source)?);
    Ok(Rendered {
        files,
        services,
        warnings,
        elapsed: started.elapsed(),
    })
}

/// A path with `/` separators, as given (relative paths stay relative).
fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
