//! Models compared by name: a struct's fields, an enum's values, a
//! union's variants, an alias's target.

use std::collections::BTreeMap;

use super::{Changes, Class, rust_type, spelled};
use crate::emit::{self, defaulted};
use crate::ir::{Field, Service, TypeDef, TypeKind, TypeRef};

/// Compares the models of two versions of a service.
pub(super) fn compare(old: &Service, new: &Service, found: &mut Changes<'_>) {
    let old_types: BTreeMap<&str, &TypeDef> = old
        .types
        .iter()
        .map(|def| (def.name.as_str(), def))
        .collect();
    let new_types: BTreeMap<&str, &TypeDef> = new
        .types
        .iter()
        .map(|def| (def.name.as_str(), def))
        .collect();
    let requests = emit::request_models(old);
    for (name, old_def) in &old_types {
        let item = format!("model {name}");
        match new_types.get(name) {
            None => found.add(
                Class::Breaking,
                &item,
                format!("removed: `{name}` is gone"),
                Some(&old_def.pointer),
                None,
            ),
            Some(new_def) => {
                let mut add = |class: Class, what: String| {
                    found.add(
                        class,
                        &item,
                        what,
                        Some(&old_def.pointer),
                        Some(&new_def.pointer),
                    );
                };
                let lookups = Lookups {
                    old: &|name: &str| old_types.get(name).map(|def| &def.kind),
                    new: &|name: &str| new_types.get(name).map(|def| &def.kind),
                    request: requests.contains(name),
                    literal: requests.contains(name)
                        && matches!(&old_def.kind, TypeKind::Struct { fields } if fields.iter().all(|f| f.required)),
                };
                compare_kind(&old_def.kind, &new_def.kind, &lookups, &mut add);
            }
        }
    }
    for (name, new_def) in &new_types {
        if !old_types.contains_key(name) {
            found.add(
                Class::Compatible,
                &format!("model {name}"),
                "added".to_owned(),
                None,
                Some(&new_def.pointer),
            );
        }
    }
}

/// The kinds of each version's types, by name, for the fields' defaults.
struct Lookups<'l, 'a> {
    old: &'l dyn Fn(&str) -> Option<&'a TypeKind>,
    new: &'l dyn Fn(&str) -> Option<&'a TypeKind>,
    /// A request model: callers build it (a response model, they read).
    request: bool,
    /// A request model whose fields are all required: callers build it
    /// with a whole literal (it has neither `new` nor `Default`).
    literal: bool,
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct { .. } => "a struct",
        TypeKind::Enum { .. } => "a string enum",
        TypeKind::Tagged { .. } => "a tagged union",
        TypeKind::Untagged { .. } => "an untagged union",
        TypeKind::Alias(_) => "a type alias",
    }
}

fn compare_kind(
    old: &TypeKind,
    new: &TypeKind,
    lookups: &Lookups<'_, '_>,
    add: &mut impl FnMut(Class, String),
) {
    match (old, new) {
        (TypeKind::Struct { fields: old }, TypeKind::Struct { fields: new }) => {
            compare_fields(old, new, lookups, add);
        }
        (TypeKind::Enum { variants: old, .. }, TypeKind::Enum { variants: new, .. }) => {
            let old_values: Vec<&str> = old.iter().map(|v| v.wire.as_str()).collect();
            let new_values: Vec<&str> = new.iter().map(|v| v.wire.as_str()).collect();
            for variant in old
                .iter()
                .filter(|v| !new_values.contains(&v.wire.as_str()))
            {
                add(
                    Class::Breaking,
                    format!(
                        "value `{}` removed (variant `{}`)",
                        variant.wire, variant.name
                    ),
                );
            }
            for variant in new
                .iter()
                .filter(|v| !old_values.contains(&v.wire.as_str()))
            {
                add(
                    Class::Compatible,
                    format!(
                        "new value `{}` (variant `{}`; older clients read it as `Unknown`)",
                        variant.wire, variant.name
                    ),
                );
            }
        }
        (TypeKind::Tagged { variants: old, .. }, TypeKind::Tagged { variants: new, .. }) => {
            let old = typed(old.iter().map(|v| (v.name.as_str(), &v.ty)));
            let new = typed(new.iter().map(|v| (v.name.as_str(), &v.ty)));
            compare_variants(&old, &new, add);
        }
        (TypeKind::Untagged { variants: old }, TypeKind::Untagged { variants: new }) => {
            let old = typed(old.iter().map(|v| (v.name.as_str(), &v.ty)));
            let new = typed(new.iter().map(|v| (v.name.as_str(), &v.ty)));
            compare_variants(&old, &new, add);
        }
        (TypeKind::Alias(old), TypeKind::Alias(new)) => {
            let (old, new) = (rust_type(old), rust_type(new));
            if old != new {
                add(Class::Breaking, format!("now stands for {new} (was {old})"));
            }
        }
        _ => add(
            Class::Breaking,
            format!("now {} (was {})", kind_name(new), kind_name(old)),
        ),
    }
}

/// Variants with their types spelled as Rust.
fn typed<'a>(variants: impl Iterator<Item = (&'a str, &'a TypeRef)>) -> Vec<(&'a str, String)> {
    variants.map(|(name, ty)| (name, rust_type(ty))).collect()
}

/// A union's variants by name.
fn compare_variants(
    old: &[(&str, String)],
    new: &[(&str, String)],
    add: &mut impl FnMut(Class, String),
) {
    for (name, ty) in old {
        match new.iter().find(|(new_name, _)| new_name == name) {
            None => add(Class::Breaking, format!("variant `{name}` removed")),
            Some((_, new_ty)) if new_ty != ty => add(
                Class::Breaking,
                format!("variant `{name}` changed type: {ty} -> {new_ty}"),
            ),
            Some(_) => {}
        }
    }
    for (name, ty) in new {
        if !old.iter().any(|(old_name, _)| old_name == name) {
            add(Class::Compatible, format!("new variant `{name}({ty})`"));
        }
    }
}

/// A field's type as callers see it.
fn field_type<'a>(field: &Field, lookup: &dyn Fn(&str) -> Option<&'a TypeKind>) -> String {
    spelled(&emit::field_type(field, defaulted(field, lookup).is_some()))
}

fn compare_fields(
    old: &[Field],
    new: &[Field],
    lookups: &Lookups<'_, '_>,
    add: &mut impl FnMut(Class, String),
) {
    for field in old {
        let Some(new_field) = new.iter().find(|f| f.name == field.name) else {
            add(Class::Breaking, format!("field `{}` removed", field.name));
            continue;
        };
        let (old_ty, new_ty) = (
            field_type(field, lookups.old),
            field_type(new_field, lookups.new),
        );
        if old_ty != new_ty {
            add(
                Class::Breaking,
                format!("field `{}` changed type: {old_ty} -> {new_ty}", field.name),
            );
        } else if field.required != new_field.required {
            // The same type: a defaulted field that became required, or
            // the other way round; `new` takes it, or no longer does.
            add(
                Class::Breaking,
                format!(
                    "field `{}` {} (the constructor's arguments change)",
                    field.name,
                    if new_field.required {
                        "became required"
                    } else {
                        "became optional"
                    }
                ),
            );
        } else if field.default != new_field.default {
            add(
                Class::Behavioural,
                format!(
                    "field `{}`'s default changed: {} -> {}",
                    field.name,
                    shown(field.default.as_ref()),
                    shown(new_field.default.as_ref())
                ),
            );
        }
        if field.link != new_field.link {
            add(
                Class::Behavioural,
                format!(
                    "field `{}` {} a frontend link",
                    field.name,
                    if new_field.link {
                        "became"
                    } else {
                        "is no longer"
                    }
                ),
            );
        }
    }
    for field in new {
        if old.iter().any(|f| f.name == field.name) {
            continue;
        }
        if lookups.literal {
            add(
                Class::Breaking,
                format!(
                    "new field `{}: {}` (the model is built with a whole literal: every field is required)",
                    field.name,
                    field_type(field, lookups.new)
                ),
            );
        } else if field.required && lookups.request {
            add(
                Class::Breaking,
                format!(
                    "new required field `{}: {}` (struct literals and `new` need it)",
                    field.name,
                    field_type(field, lookups.new)
                ),
            );
        } else if field.required {
            add(
                Class::Compatible,
                format!(
                    "new field `{}: {}` (a model callers read; literals built with `..` keep compiling)",
                    field.name,
                    field_type(field, lookups.new)
                ),
            );
        } else {
            add(
                Class::Compatible,
                format!(
                    "new optional field `{}: {}` (literals built with `..X::new(..)` or `..Default::default()` keep compiling)",
                    field.name,
                    field_type(field, lookups.new)
                ),
            );
        }
    }
}

fn shown(value: Option<&serde_json::Value>) -> String {
    value.map_or_else(|| "none".to_owned(), ToString::to_string)
}
