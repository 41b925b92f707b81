//! Models several specs define identically (FastAPI's `HTTPValidationError`
//! and `ValidationError` are in every one) are emitted once, in
//! [`SHARED_MODULE`], and each service's module re-exports them: an error
//! body then decodes into the same type whichever service sent it.
//!
//! A model is shared when at least two services define it with the same
//! name and shape, every service that defines it agrees, no request uses it
//! (request models get constructors from their own service's requests), it
//! takes no part in a tagged union (whose variants' tagging each service
//! decides), and everything it refers to is shared too.

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::named_in as named;
use crate::ir::{Service, TypeDef, TypeKind};

/// The module the shared models are emitted in.
pub const SHARED_MODULE: &str = "shared_types";

/// Marks the models `services` share (`TypeDef::shared`) and returns the
/// module that defines them, or `None` when nothing is shared.
pub fn share(services: &mut [Service]) -> Option<Service> {
    if services.len() < 2 || services.iter().any(|s| s.module == SHARED_MODULE) {
        return None;
    }
    // Name -> (shape, services defining it), for models every definer agrees on.
    let mut shapes: BTreeMap<String, Option<(String, Vec<String>)>> = BTreeMap::new();
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    let mut references_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for service in services.iter() {
        excluded.extend(
            crate::emit::request_models(service)
                .into_iter()
                .map(str::to_owned),
        );
        for def in &service.types {
            if let TypeKind::Tagged { variants, .. } = &def.kind {
                excluded.insert(def.name.clone());
                excluded.extend(
                    variants
                        .iter()
                        .filter_map(|variant| named(&variant.ty))
                        .map(str::to_owned),
                );
            }
            references_of.insert(
                def.name.clone(),
                def.kind
                    .held_types()
                    .into_iter()
                    .filter_map(named)
                    .map(str::to_owned)
                    .collect(),
            );
            let shape = format!("{:?}", def.kind);
            let entry = shapes
                .entry(def.name.clone())
                .or_insert_with(|| Some((shape.clone(), Vec::new())));
            match entry {
                Some((known, definers)) if *known == shape => {
                    definers.push(service.module.clone());
                }
                _ => *entry = None,
            }
        }
    }
    let mut shared: BTreeSet<String> = shapes
        .iter()
        .filter(|(name, entry)| {
            !excluded.contains(*name)
                && entry
                    .as_ref()
                    .is_some_and(|(_, definers)| definers.len() >= 2)
        })
        .map(|(name, _)| name.clone())
        .collect();
    // Keep only models whose references are shared too.
    loop {
        let before = shared.len();
        let keep: BTreeSet<String> = shared
            .iter()
            .filter(|name| {
                references_of
                    .get(*name)
                    .is_some_and(|refs| refs.iter().all(|r| shared.contains(r)))
            })
            .cloned()
            .collect();
        shared = keep;
        if shared.len() == before {
            break;
        }
    }
    if shared.is_empty() {
        return None;
    }
    let mut defs: BTreeMap<String, TypeDef> = BTreeMap::new();
    for service in services.iter_mut() {
        for def in service
            .types
            .iter_mut()
            .filter(|def| shared.contains(&def.name))
        {
            def.shared = true;
            let owners = shapes
                .get(&def.name)
                .and_then(Option::as_ref)
                .map(|(_, definers)| listed(definers))
                .unwrap_or_default();
            defs.entry(def.name.clone()).or_insert_with(|| TypeDef {
                docs: def.docs.clone().or_else(|| {
                    Some(format!(
                        "Defined identically by the specs of {owners}: one type for all of them."
                    ))
                }),
                shared: false,
                ..def.clone()
            });
        }
    }
    let sources: Vec<&str> = services.iter().map(|s| s.source.as_str()).collect();
    Some(Service {
        module: SHARED_MODULE.to_owned(),
        service_name: SHARED_MODULE.to_owned(),
        client: String::new(),
        source: sources.join(", "),
        title: "Shared models".to_owned(),
        version: String::new(),
        docs: None,
        operations: Vec::new(),
        types: defs.into_values().collect(),
    })
}

/// `a`, `a and b`, `a, b and c`.
fn listed(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
