//! How many list operations of the shared corpus page, and how: the
//! generator's pagination detection (`clientgen::paging`) run over every
//! operation of every spec in `../shared/corpus/specs`.
//!
//! ```text
//! cargo run --release -p clientgen-tests --bin paging_report [-- SPEC_SUBSTRING]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // A report tool prints.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clientgen::paging::{self, Scheme};
use clientgen::spec::At;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn main() -> ExitCode {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/specs");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "paging_report: {} not found: the shared corpus must be beside the checkout",
            dir.display()
        );
        return ExitCode::FAILURE;
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
    println!("| spec | operations | paged | by scheme |");
    println!("|---|---|---|---|");
    for path in paths {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.contains(&filter) {
            continue;
        }
        let Ok(document) = clientgen::load::load_file(&path) else {
            continue;
        };
        let root = &document.root;
        let (mut operations, mut found) = (0, BTreeMap::new());
        for (route, item) in At::root(root).entries("paths") {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                operations += 1;
                match paging::detect(root, &operation, method) {
                    Ok(Some(paging)) => {
                        let scheme = paging.scheme.name();
                        *found.entry(scheme).or_insert(0usize) += 1;
                        *totals.entry(scheme).or_insert(0) += 1;
                        if !filter.is_empty() {
                            println!(
                                "  {method} {route}: {} items at {:?}{}",
                                describe(&paging.scheme),
                                paging.items,
                                if paging.declared { " (declared)" } else { "" }
                            );
                        }
                    }
                    Ok(None) => {}
                    Err(diagnostic) => eprintln!("{name}: {diagnostic}"),
                }
            }
        }
        let paged: usize = found.values().sum();
        let by_scheme: Vec<String> = found
            .iter()
            .map(|(scheme, count)| format!("{scheme} {count}"))
            .collect();
        println!(
            "| {name} | {operations} | {paged} | {} |",
            by_scheme.join(", ")
        );
    }
    let all: Vec<String> = totals
        .iter()
        .map(|(scheme, count)| format!("{scheme} {count}"))
        .collect();
    println!(
        "\ntotal paged operations: {} ({})",
        totals.values().sum::<usize>(),
        all.join(", ")
    );
    ExitCode::SUCCESS
}

fn describe(scheme: &Scheme) -> String {
    match scheme {
        Scheme::Cursor { param, cursor, .. } => format!("cursor {param} <- {cursor}"),
        Scheme::LastItem { param, .. } => format!("last item as {param}"),
        Scheme::NextUrl { next } => format!("next URL at {next}"),
        Scheme::LinkHeader => "Link header".to_owned(),
        Scheme::Offset { param } => format!("offset {param}"),
        Scheme::PageNumber { param, .. } => format!("page {param}"),
    }
}
