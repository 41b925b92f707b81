//! Operations compared by their method: its required arguments, its
//! builder's setters, what awaiting it gives, and how it behaves on the
//! wire.

use std::collections::BTreeMap;

use super::{Changes, Class, rust_type, spelled};
use crate::emit::{self, is_idempotency_key, param_type};
use crate::ir::{Body, Operation, Service, Success};

/// Compares the operations of two versions of a service.
pub(super) fn compare(old: &Service, new: &Service, found: &mut Changes<'_>) {
    let old_ops: BTreeMap<&str, &Operation> = old
        .operations
        .iter()
        .map(|op| (op.method_name.as_str(), op))
        .collect();
    let new_ops: BTreeMap<&str, &Operation> = new
        .operations
        .iter()
        .map(|op| (op.method_name.as_str(), op))
        .collect();
    for (name, old_op) in &old_ops {
        let item = format!("operation {}", name.trim_start_matches("r#"));
        match new_ops.get(name) {
            None => found.add(
                Class::Breaking,
                &item,
                format!("removed: `{}::{name}` is gone", old.client),
                Some(&pointer(old_op)),
                None,
            ),
            Some(new_op) => compare_operation(old_op, new_op, &item, found),
        }
    }
    for (name, new_op) in &new_ops {
        if !old_ops.contains_key(name) {
            let item = format!("operation {}", name.trim_start_matches("r#"));
            found.add(
                Class::Compatible,
                &item,
                format!(
                    "added: `{} {}`",
                    new_op.http_method.variant().to_uppercase(),
                    new_op.path
                ),
                None,
                Some(&pointer(new_op)),
            );
        }
    }
}

/// The operation's JSON pointer: `/paths/<path>/<method>`.
fn pointer(operation: &Operation) -> String {
    let path = operation.path.replace('~', "~0").replace('/', "~1");
    format!(
        "#/paths/{path}/{}",
        operation.http_method.variant().to_ascii_lowercase()
    )
}

/// The method's arguments, `(name, type)` in order: required parameters,
/// then a required body.
fn arguments(operation: &Operation) -> Vec<(String, String)> {
    operation
        .params
        .iter()
        .filter(|param| param.required)
        .map(|param| (param.name.clone(), spelled(&param_type(param, operation))))
        .chain(
            operation
                .body
                .iter()
                .filter(|body| body.required)
                .map(|body| ("body".to_owned(), body_type(body))),
        )
        .collect()
}

/// The builder's setters of optional values, by name, with their types.
fn setters(operation: &Operation) -> BTreeMap<String, String> {
    operation
        .params
        .iter()
        .filter(|param| !param.required && !is_idempotency_key(param, operation))
        .map(|param| (param.name.clone(), spelled(&param_type(param, operation))))
        .chain(
            operation
                .body
                .iter()
                .filter(|body| !body.required)
                .map(|body| ("body".to_owned(), body_type(body))),
        )
        .collect()
}

fn body_type(body: &Body) -> String {
    spelled(&emit::body_type(body.media, &body.ty))
}

/// What awaiting the builder gives.
fn output(operation: &Operation) -> String {
    match &operation.success {
        Success::Empty => "()".to_owned(),
        Success::One { ty, media } => format!("{media:?} {}", rust_type(ty)),
        Success::Several { name, .. } => name.clone(),
    }
}

fn compare_operation(old: &Operation, new: &Operation, item: &str, found: &mut Changes<'_>) {
    let (old_at, new_at) = (pointer(old), pointer(new));
    let mut add = |class: Class, what: String| {
        found.add(class, item, what, Some(&old_at), Some(&new_at));
    };
    let (old_args, new_args) = (arguments(old), arguments(new));
    let (old_setters, new_setters) = (setters(old), setters(new));
    if old_args != new_args {
        let shown = |args: &[(String, String)]| {
            args.iter()
                .map(|(name, ty)| format!("{name}: {ty}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut reasons = Vec::new();
        for (name, ty) in &new_args {
            if !old_args.iter().any(|(old_name, _)| old_name == name) {
                reasons.push(if old_setters.contains_key(name) {
                    format!("`{name}` became required")
                } else {
                    format!("new required parameter `{name}: {ty}`")
                });
            }
        }
        for (name, _) in &old_args {
            if !new_args.iter().any(|(new_name, _)| new_name == name) {
                reasons.push(if new_setters.contains_key(name) {
                    format!("`{name}` became optional (now a setter)")
                } else {
                    format!("required parameter `{name}` removed")
                });
            }
        }
        for (name, ty) in &old_args {
            if let Some((_, new_ty)) = new_args.iter().find(|(new_name, _)| new_name == name)
                && new_ty != ty
            {
                reasons.push(format!("`{name}` changed type: {ty} -> {new_ty}"));
            }
        }
        if reasons.is_empty() {
            reasons.push("the arguments' order changed".to_owned());
        }
        add(
            Class::Breaking,
            format!(
                "arguments changed ({}): ({}) -> ({})",
                reasons.join("; "),
                shown(&old_args),
                shown(&new_args)
            ),
        );
    }
    for (name, ty) in &old_setters {
        match new_setters.get(name) {
            Some(new_ty) if new_ty != ty => add(
                Class::Breaking,
                format!("setter `{name}` changed type: {ty} -> {new_ty}"),
            ),
            None if !new_args.iter().any(|(arg, _)| arg == name) => add(
                Class::Breaking,
                format!("setter `{name}` removed (the optional parameter is gone)"),
            ),
            _ => {}
        }
    }
    for (name, ty) in &new_setters {
        if !old_setters.contains_key(name) && !old_args.iter().any(|(arg, _)| arg == name) {
            add(
                Class::Compatible,
                format!("new optional parameter: setter `{name}({ty})`"),
            );
        }
    }
    let (old_output, new_output) = (output(old), output(new));
    if old_output != new_output {
        add(
            Class::Breaking,
            format!("the answer's type changed: {old_output} -> {new_output}"),
        );
    }
    compare_behaviour(old, new, &mut add);
}

/// What compiles the same but acts differently.
fn compare_behaviour(old: &Operation, new: &Operation, add: &mut impl FnMut(Class, String)) {
    if (old.http_method, &old.path) != (new.http_method, &new.path) {
        add(
            Class::Behavioural,
            format!(
                "sent to another place: {} {} -> {} {}",
                old.http_method.variant().to_uppercase(),
                old.path,
                new.http_method.variant().to_uppercase(),
                new.path
            ),
        );
    }
    let retried = |op: &Operation| {
        op.idempotent
            || matches!(
                op.http_method.variant(),
                "Get" | "Head" | "Put" | "Delete" | "Options" | "Trace"
            )
    };
    if retried(old) != retried(new) || old.idempotency_header != new.idempotency_header {
        add(
            Class::Behavioural,
            format!(
                "retry classification changed: idempotent {} -> {}, idempotency header {:?} -> {:?}",
                retried(old),
                retried(new),
                old.idempotency_header,
                new.idempotency_header
            ),
        );
    }
    if old.security != new.security || old.security_optional != new.security_optional {
        add(
            Class::Behavioural,
            format!(
                "security changed: {:?}{} -> {:?}{}",
                old.security,
                if old.security_optional {
                    " or anonymous"
                } else {
                    ""
                },
                new.security,
                if new.security_optional {
                    " or anonymous"
                } else {
                    ""
                }
            ),
        );
    }
    if old.link_fields != new.link_fields {
        add(
            Class::Behavioural,
            format!(
                "frontend link fields changed: {:?} -> {:?}",
                old.link_fields, new.link_fields
            ),
        );
    }
    let errors = |op: &Operation| -> BTreeMap<String, String> {
        op.errors
            .iter()
            .map(|error| (format!("{:?}", error.status), rust_type(&error.ty)))
            .collect()
    };
    let (old_errors, new_errors) = (errors(old), errors(new));
    if old_errors != new_errors {
        add(
            Class::Behavioural,
            format!(
                "typed error bodies changed (an `error.body::<T>()` of a type no longer \
                 declared for its status gives `None`): {old_errors:?} -> {new_errors:?}"
            ),
        );
    }
    if old.events != new.events {
        let shown = |op: &Operation| op.events.as_ref().map(rust_type);
        let class = match (&old.events, &new.events) {
            (None, Some(_)) => Class::Compatible,
            // `events()` gone, or its events of another type.
            _ => Class::Breaking,
        };
        add(
            class,
            format!("event stream changed: {:?} -> {:?}", shown(old), shown(new)),
        );
    }
    if old.paging != new.paging {
        let scheme = |op: &Operation| op.paging.as_ref().map(|paging| paging.scheme.name());
        let class = if old.paging.is_some() && new.paging.is_none() {
            // `pages()` and `items()` are gone.
            Class::Breaking
        } else if old.paging.is_none() {
            Class::Compatible
        } else {
            Class::Behavioural
        };
        add(
            class,
            format!("paging changed: {:?} -> {:?}", scheme(old), scheme(new)),
        );
    }
}
