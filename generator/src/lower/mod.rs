//! Lowering a validated document to the IR ([`crate::ir::Service`]).
//!
//! - `types`: JSON Schemas to named Rust types (objects, enums, unions,
//!   `allOf`, nullables, maps, arrays).
//! - `operations`: paths to methods (parameters, bodies, responses,
//!   security, idempotency, link fields).
//! - Recursive types are boxed here, after everything is named.

mod body_schema;
mod dynamic;
mod operations;
mod prune;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Diagnostic;
use crate::ir::{Service, TypeDef, TypeKind, TypeRef};
use crate::load::Document;
use crate::naming::{pascal, service_names};

/// Names the generated module defines besides its models.
const RESERVED: &[&str] = &["codegen"];

/// Lowers `document` to a service called `name` (the module and
/// configuration name).
pub fn lower(document: &Document, name: &str) -> Result<(Service, Vec<Diagnostic>), Diagnostic> {
    let resolved = dynamic::resolve_dynamic_refs(&document.root);
    let root = resolved.as_ref().unwrap_or(&document.root);
    let names = service_names(name).map_err(|reason| {
        Diagnostic::error(
            "#",
            reason,
            "rename the file, e.g. `billing.yaml` or `leaves-wallet.yaml`",
        )
    })?;
    let client = format!("{}Client", pascal(&names.service));
    let mut reserved: Vec<&str> = RESERVED.to_vec();
    reserved.push(&client);
    let mut types = types::Types::new(root, &reserved);
    let mut warnings = types.lower_components();
    let mut operations = operations::lower_operations(root, &mut types, &mut warnings)?;
    let mut defs = std::mem::take(&mut types.defs);
    break_alias_cycles(&mut defs, &mut warnings);
    prune::prune(&mut defs, &mut operations, &mut warnings);
    box_cycles(&mut defs);
    let info = root.get("info");
    let text = |key: &str| {
        info.and_then(|info| info.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let service = Service {
        module: names.module,
        service_name: names.service,
        client,
        source: document.file.clone(),
        title: text("title").unwrap_or_else(|| name.to_owned()),
        version: text("version").unwrap_or_default(),
        docs: text("description"),
        operations,
        types: defs.into_values().collect(),
    };
    Ok((service, warnings))
}

/// Removes type aliases that name themselves through other aliases
/// (`A = Option<A>`, `A = B`, `B = Vec<A>`), which no Rust type can express;
/// what uses them is then skipped by the pruning that follows.
fn break_alias_cycles(defs: &mut BTreeMap<String, TypeDef>, warnings: &mut Vec<Diagnostic>) {
    let aliases: BTreeMap<String, BTreeSet<String>> = defs
        .values()
        .filter_map(|def| match &def.kind {
            TypeKind::Alias(ty) => {
                let mut names = BTreeSet::new();
                mentioned(ty, &mut names);
                Some((def.name.clone(), names))
            }
            _ => None,
        })
        .collect();
    let on_cycle: Vec<String> = aliases
        .keys()
        .filter(|start| {
            let mut stack: Vec<&String> = aliases[*start].iter().collect();
            let mut seen = BTreeSet::new();
            while let Some(name) = stack.pop() {
                if name == *start {
                    return true;
                }
                if seen.insert(name.clone())
                    && let Some(next) = aliases.get(name)
                {
                    stack.extend(next.iter());
                }
            }
            false
        })
        .cloned()
        .collect();
    for name in on_cycle {
        defs.remove(&name);
        warnings.push(Diagnostic::warning(
            "#/components/schemas",
            format!("schema `{name}` skipped: it is defined in terms of itself only"),
            "break the cycle through an object with properties",
        ));
    }
}

fn mentioned(ty: &TypeRef, names: &mut BTreeSet<String>) {
    match ty {
        TypeRef::Named(name) => {
            names.insert(name.clone());
        }
        TypeRef::Array(inner)
        | TypeRef::Map(inner)
        | TypeRef::Nullable(inner)
        | TypeRef::Boxed(inner) => mentioned(inner, names),
        _ => {}
    }
}

/// Boxes every field or variant that closes a cycle of types containing
/// each other by value (through `Vec` and maps no box is needed).
fn box_cycles(defs: &mut BTreeMap<String, TypeDef>) {
    let edges: BTreeMap<String, BTreeSet<String>> = defs
        .iter()
        .map(|(name, def)| (name.clone(), direct_targets(&def.kind)))
        .collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut stack = vec![from.to_owned()];
        let mut seen = BTreeSet::new();
        while let Some(current) = stack.pop() {
            if current == to {
                return true;
            }
            if seen.insert(current.clone())
                && let Some(next) = edges.get(&current)
            {
                stack.extend(next.iter().cloned());
            }
        }
        false
    };
    let mut boxed: Vec<(String, String)> = Vec::new();
    for (name, targets) in &edges {
        for target in targets {
            if reaches(target, name) {
                boxed.push((name.clone(), target.clone()));
            }
        }
    }
    for (name, target) in boxed {
        if let Some(def) = defs.get_mut(&name) {
            for ty in kind_types_mut(&mut def.kind) {
                box_named(ty, &target);
            }
        }
    }
}

/// Named types a type holds by value.
fn direct_targets(kind: &TypeKind) -> BTreeSet<String> {
    kind.held_types()
        .into_iter()
        .filter_map(by_value_name)
        .map(str::to_owned)
        .collect()
}

fn by_value_name(ty: &TypeRef) -> Option<&str> {
    match ty {
        TypeRef::Named(name) => Some(name),
        TypeRef::Nullable(inner) => by_value_name(inner),
        _ => None,
    }
}

fn kind_types_mut(kind: &mut TypeKind) -> Vec<&mut TypeRef> {
    match kind {
        TypeKind::Struct { fields } => fields.iter_mut().map(|f| &mut f.ty).collect(),
        TypeKind::Tagged { variants, .. } => variants.iter_mut().map(|v| &mut v.ty).collect(),
        TypeKind::Untagged { variants } => variants.iter_mut().map(|v| &mut v.ty).collect(),
        TypeKind::Alias(_) | TypeKind::Enum { .. } => Vec::new(),
    }
}

/// Wraps the by-value occurrence of `target` in `ty` in a `Box`.
fn box_named(ty: &mut TypeRef, target: &str) {
    match ty {
        TypeRef::Named(name) if name == target => {
            let inner = std::mem::replace(ty, TypeRef::Json);
            *ty = TypeRef::Boxed(Box::new(inner));
        }
        TypeRef::Nullable(inner) => box_named(inner, target),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
