//! What a spec update does to the generated Rust API: the IR of the old and
//! the new specs compared item by item (services, operations and their
//! builders, models), each change classed by what it does to code written
//! against the old crate.
//!
//! - **breaking**: code that compiled against the old crate may not compile
//!   against the new one (a method, setter, model, field or variant gone; a
//!   type changed; a new required parameter or required field);
//! - **compatible**: it still compiles and acts the same (new operations,
//!   setters, optional fields, enum values);
//! - **behavioural**: it compiles, but acts differently (a default, the retry
//!   or idempotency classification, links, security, the wire path, an
//!   error body's type).
//!
//! `operations` and `models` find the changes; `report` words them for
//! people and for CI, with the semver bump they call for.

mod consumer;
mod models;
mod operations;
mod report;

use std::collections::BTreeMap;

use crate::ir::Service;

pub use consumer::consumer;
pub use report::Bump;

/// How a change affects code written against the old crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// May no longer compile.
    Breaking,
    /// Compiles, but acts differently.
    Behavioural,
    /// Compiles and acts the same.
    Compatible,
}

impl Class {
    /// The class's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Behavioural => "behavioural",
            Class::Compatible => "compatible",
        }
    }
}

/// One change of the generated API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// How it affects callers.
    pub class: Class,
    /// The service (module) it is in.
    pub service: String,
    /// The item: `operation get_user`, `model User`, `service billing`.
    pub item: String,
    /// What changed, in words.
    pub what: String,
    /// Where the item is in the old spec (a JSON pointer), if it was there.
    pub old: Option<String>,
    /// Where the item is in the new spec, if it is there.
    pub new: Option<String>,
}

/// Every change between two sets of services, in order of service, item
/// and class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Report {
    /// How many changes are of `class`.
    pub fn count(&self, class: Class) -> usize {
        self.changes
            .iter()
            .filter(|change| change.class == class)
            .count()
    }

    /// The smallest semver bump the generated crate needs.
    pub fn bump(&self) -> Bump {
        if self.count(Class::Breaking) > 0 {
            Bump::Major
        } else if self.count(Class::Compatible) > 0 {
            Bump::Minor
        } else if self.count(Class::Behavioural) > 0 {
            Bump::Patch
        } else {
            Bump::None
        }
    }
}

/// Compares the services generated from the old specs with those from the
/// new ones, service by service (by module name).
pub fn compare(old: &[Service], new: &[Service]) -> Report {
    let old_by_module: BTreeMap<&str, &Service> =
        old.iter().map(|s| (s.module.as_str(), s)).collect();
    let new_by_module: BTreeMap<&str, &Service> =
        new.iter().map(|s| (s.module.as_str(), s)).collect();
    let mut changes = Vec::new();
    for (module, old_service) in &old_by_module {
        match new_by_module.get(module) {
            None => changes.push(Change {
                class: Class::Breaking,
                service: (*module).to_owned(),
                item: format!("service {module}"),
                what: format!("removed: `{}` and its module are gone", old_service.client),
                old: Some(format!("{}#", old_service.source)),
                new: None,
            }),
            Some(new_service) => {
                let mut found = Changes {
                    service: module,
                    old_source: &old_service.source,
                    new_source: &new_service.source,
                    changes: &mut changes,
                };
                operations::compare(old_service, new_service, &mut found);
                models::compare(old_service, new_service, &mut found);
            }
        }
    }
    for (module, new_service) in &new_by_module {
        if !old_by_module.contains_key(module) {
            changes.push(Change {
                class: Class::Compatible,
                service: (*module).to_owned(),
                item: format!("service {module}"),
                what: format!("added: `{}`", new_service.client),
                old: None,
                new: Some(format!("{}#", new_service.source)),
            });
        }
    }
    changes.sort_by(|a, b| {
        (&a.service, &a.item, a.class, &a.what).cmp(&(&b.service, &b.item, b.class, &b.what))
    });
    Report { changes }
}

/// Where the comparers of one service record what they find.
struct Changes<'a> {
    service: &'a str,
    old_source: &'a str,
    new_source: &'a str,
    changes: &'a mut Vec<Change>,
}

impl Changes<'_> {
    /// Records a change of `item`, found at `old` and `new` (JSON pointers
    /// within each spec).
    fn add(
        &mut self,
        class: Class,
        item: &str,
        what: String,
        old: Option<&str>,
        new: Option<&str>,
    ) {
        self.changes.push(Change {
            class,
            service: self.service.to_owned(),
            item: item.to_owned(),
            what,
            old: old.map(|pointer| format!("{}{pointer}", self.old_source)),
            new: new.map(|pointer| format!("{}{pointer}", self.new_source)),
        });
    }
}

/// A Rust type as the generated code spells it.
fn rust_type(ty: &crate::ir::TypeRef) -> String {
    spelled(&crate::emit::type_tokens(ty))
}

/// Tokens of a type as one writes them (`&str`, `Option<Vec<T>>`), with
/// the builders' lifetime left out.
fn spelled(tokens: &proc_macro2::TokenStream) -> String {
    tokens
        .to_string()
        .replace("& 'a ", "&")
        .replace("& ", "&")
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
        .replace(" :: ", "::")
}

#[cfg(test)]
mod tests;
