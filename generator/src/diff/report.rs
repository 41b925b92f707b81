//! A diff's words: a summary for people, grouped by service and item, and
//! JSON for CI; and the semver bump the changes call for.

use std::fmt::{self, Write as _};

use serde_json::{Value, json};

use super::{Class, Report};

/// The semver bump a set of changes needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing changed in the generated API.
    None,
    /// Behavioural changes only.
    Patch,
    /// Additions only.
    Minor,
    /// Something breaks.
    Major,
}

impl Bump {
    /// The bump's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }

    /// The version `current` (`MAJOR.MINOR.PATCH`) becomes; before 1.0 a
    /// breaking change bumps the minor number and the rest the patch
    /// number, as Cargo reads them. `None` when `current` is not such a
    /// version.
    pub fn apply(self, current: &str) -> Option<String> {
        let mut parts = current.split('.').map(str::parse::<u64>);
        let (major, minor, patch) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch)), None) => (major, minor, patch),
            _ => return None,
        };
        let next = match (self, major) {
            (Bump::None, _) => (major, minor, patch),
            (Bump::Major, 0) => (0, minor + 1, 0),
            (Bump::Major, _) => (major + 1, 0, 0),
            (Bump::Minor, 0) | (Bump::Patch, _) => (major, minor, patch + 1),
            (Bump::Minor, _) => (major, minor + 1, 0),
        };
        Some(format!("{}.{}.{}", next.0, next.1, next.2))
    }

    /// Whether going from `from` to `to` is at least this bump, as Cargo
    /// reads versions (before 1.0 the minor number is the major one).
    pub fn made_by(self, from: &str, to: &str) -> bool {
        let parse = |version: &str| -> Option<(u64, u64, u64)> {
            let mut parts = version.split('.').map(str::parse::<u64>);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(a)), Some(Ok(b)), Some(Ok(c))) => Some((a, b, c)),
                _ => None,
            }
        };
        let (Some(from), Some(to)) = (parse(from), parse(to)) else {
            return false;
        };
        let made = if to <= from {
            Bump::None
        } else if to.0 > from.0 || (from.0 == 0 && from.1 == 0) {
            Bump::Major
        } else if from.0 == 0 {
            if to.1 > from.1 {
                Bump::Major
            } else {
                Bump::Minor
            }
        } else if to.1 > from.1 {
            Bump::Minor
        } else {
            Bump::Patch
        };
        made >= self
    }
}

impl fmt::Display for Report {
    /// A summary line, then the changes grouped by service and item.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "clientgen diff: {} breaking, {} behavioural, {} compatible; bump: {}",
            self.count(Class::Breaking),
            self.count(Class::Behavioural),
            self.count(Class::Compatible),
            self.bump().name()
        )?;
        let mut service = "";
        let mut item = "";
        for change in &self.changes {
            if change.service != service {
                service = &change.service;
                item = "";
                writeln!(f, "\n{service}")?;
            }
            if change.item != item {
                item = &change.item;
                let mut places = String::new();
                for (label, pointer) in [("old", &change.old), ("new", &change.new)] {
                    if let Some(pointer) = pointer {
                        let _ = write!(places, " {label}: {pointer}");
                    }
                }
                writeln!(f, "  {item} ({})", places.trim_start())?;
            }
            writeln!(f, "    {:<11} {}", change.class.name(), change.what)?;
        }
        Ok(())
    }
}

impl Report {
    /// The report as JSON: counts, the bump, and each change.
    pub fn to_json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|change| {
                json!({
                    "class": change.class.name(),
                    "service": change.service,
                    "item": change.item,
                    "change": change.what,
                    "old": change.old,
                    "new": change.new,
                })
            })
            .collect();
        json!({
            "breaking": self.count(Class::Breaking),
            "behavioural": self.count(Class::Behavioural),
            "compatible": self.count(Class::Compatible),
            "bump": self.bump().name(),
            "changes": changes,
        })
    }
}
