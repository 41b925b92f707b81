//! Where a service's named types are used: for the docs of a type the spec
//! leaves undescribed, and to know which models a request holds (they get
//! constructors).

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Service, TypeKind, TypeRef};

/// Where each named type is used: `(how, where)` pairs such as
/// `("the body of", "`x`")` and `("a field of", "[`Z`]")`, in the order of
/// the operations and types.
pub(super) fn usages(service: &Service) -> BTreeMap<&str, Vec<(&'static str, String)>> {
    fn add<'a>(
        found: &mut BTreeMap<&'a str, Vec<(&'static str, String)>>,
        ty: Option<&'a TypeRef>,
        how: &'static str,
        place: String,
    ) {
        if let Some(name) = ty.and_then(named_in) {
            let uses = found.entry(name).or_default();
            if !uses
                .iter()
                .any(|(seen_how, seen)| *seen_how == how && *seen == place)
            {
                uses.push((how, place));
            }
        }
    }
    let mut found = BTreeMap::new();
    for operation in &service.operations {
        let method = format!("`{}`", operation.method_name.trim_start_matches("r#"));
        let body = operation.body.as_ref().map(|body| &body.ty);
        add(&mut found, body, "the body of", method.clone());
        match &operation.success {
            crate::ir::Success::One { ty, .. } => {
                add(&mut found, Some(ty), "returned by", method.clone());
            }
            crate::ir::Success::Several { variants, .. } => {
                for variant in variants {
                    add(
                        &mut found,
                        variant.ty.as_ref(),
                        "returned by",
                        method.clone(),
                    );
                }
            }
            crate::ir::Success::Empty => {}
        }
        add(
            &mut found,
            operation.events.as_ref(),
            "the events of",
            method.clone(),
        );
        for error in &operation.errors {
            add(
                &mut found,
                Some(&error.ty),
                "an error body of",
                method.clone(),
            );
        }
        for param in &operation.params {
            add(
                &mut found,
                Some(&param.ty),
                "a parameter of",
                method.clone(),
            );
        }
    }
    for def in &service.types {
        if let TypeKind::Struct { fields } = &def.kind {
            for field in fields {
                add(
                    &mut found,
                    Some(&field.ty),
                    "a field of",
                    format!("[`{}`]", def.name),
                );
            }
        }
    }
    found
}

/// The types a request holds: bodies and parameters, and every type they
/// hold in turn (fields, items, union members, alias targets).
pub(crate) fn request_models(service: &Service) -> BTreeSet<&str> {
    let kinds: BTreeMap<&str, &TypeKind> = service
        .types
        .iter()
        .map(|def| (def.name.as_str(), &def.kind))
        .collect();
    let mut pending: Vec<&str> = service
        .operations
        .iter()
        .flat_map(|operation| {
            let body = operation.body.as_ref().map(|body| &body.ty);
            body.into_iter()
                .chain(operation.params.iter().map(|param| &param.ty))
        })
        .filter_map(named_in)
        .collect();
    let mut found = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !found.insert(name) {
            continue;
        }
        let held = kinds
            .get(name)
            .map(|kind| kind.held_types())
            .unwrap_or_default();
        pending.extend(held.into_iter().filter_map(named_in));
    }
    found
}

/// The named type a reference comes down to, through arrays, maps and
/// options.
pub(crate) fn named_in(ty: &TypeRef) -> Option<&str> {
    match ty {
        TypeRef::Named(name) => Some(name),
        TypeRef::Array(inner)
        | TypeRef::Map(inner)
        | TypeRef::Nullable(inner)
        | TypeRef::Boxed(inner) => named_in(inner),
        _ => None,
    }
}
