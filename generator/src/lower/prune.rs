//! Keeping the IR closed: a type that refers to a type that was left out is
//! left out too, and so is an operation that uses one.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Diagnostic;
use crate::ir::{Operation, Success, TypeDef, TypeKind, TypeRef};

/// Removes types and operations that refer to undefined types.
pub(super) fn prune(
    defs: &mut BTreeMap<String, TypeDef>,
    operations: &mut Vec<Operation>,
    warnings: &mut Vec<Diagnostic>,
) {
    loop {
        let defined: BTreeSet<String> = defs.keys().cloned().collect();
        let broken: Vec<String> = defs
            .values()
            .filter(|def| {
                kind_refs(&def.kind)
                    .iter()
                    .any(|name| !defined.contains(*name))
            })
            .map(|def| def.name.clone())
            .collect();
        if broken.is_empty() {
            break;
        }
        for name in broken {
            defs.remove(&name);
        }
    }
    let defined: BTreeSet<&String> = defs.keys().collect();
    operations.retain(|operation| {
        let missing = operation_refs(operation)
            .into_iter()
            .find(|name| !defined.contains(name));
        match missing {
            None => true,
            Some(name) => {
                warnings.push(Diagnostic::warning(
                    &format!(
                        "#/paths/{}",
                        crate::diagnostics::escape_token(&operation.path)
                    ),
                    format!(
                        "operation `{}` skipped: it uses type `{name}`, which was skipped",
                        operation.id
                    ),
                    "see the warning about that schema",
                ));
                false
            }
        }
    });
}

fn names_in<'a>(ty: &'a TypeRef, out: &mut Vec<&'a String>) {
    match ty {
        TypeRef::Named(name) => out.push(name),
        TypeRef::Array(inner)
        | TypeRef::Map(inner)
        | TypeRef::Nullable(inner)
        | TypeRef::Boxed(inner) => names_in(inner, out),
        _ => {}
    }
}

fn kind_refs(kind: &TypeKind) -> Vec<&String> {
    let mut out = Vec::new();
    for ty in kind.held_types() {
        names_in(ty, &mut out);
    }
    out
}

fn operation_refs(operation: &Operation) -> Vec<&String> {
    let mut out = Vec::new();
    for param in &operation.params {
        names_in(&param.ty, &mut out);
    }
    if let Some(body) = &operation.body {
        names_in(&body.ty, &mut out);
    }
    for error in &operation.errors {
        names_in(&error.ty, &mut out);
    }
    match &operation.success {
        Success::Empty => {}
        Success::One { ty, .. } => names_in(ty, &mut out),
        Success::Several { variants, .. } => {
            for variant in variants {
                if let Some(ty) = &variant.ty {
                    names_in(ty, &mut out);
                }
            }
        }
    }
    out
}
