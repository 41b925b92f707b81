//! The runtime's public API, listed from its source and compared with the
//! committed listing `runtime/public-api.txt`, so that growing (or
//! breaking) the API is a decision made in review, not an accident.
//!
//! Every `pub` item of every module is listed with its signature, under the
//! module that defines it: items of private modules reach users through
//! `pub use`, which is listed too. Test code (`#[cfg(test)]`) is skipped.
//! After a deliberate change, rewrite the listing with
//! `CLIENTGEN_BLESS=1 cargo test -p clientgen-tests --test public_api`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::{ImplItem, Item, TraitItem, Visibility};

/// Marks a trait impl until it is known whether its type is public.
const IMPL: &str = "\u{0}";

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime")
}

#[test]
fn the_public_api_matches_the_committed_listing() {
    let mut lines = Vec::new();
    list_file(
        &runtime_dir().join("src/lib.rs"),
        "clientgen_runtime",
        &mut lines,
    );
    let public_types: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            let (_, rest) = line.split_once(": pub ")?;
            let rest = rest
                .strip_prefix("struct ")
                .or(rest.strip_prefix("enum "))
                .or(rest.strip_prefix("trait "))?;
            Some(rest.split([' ', '<']).next()?.to_owned())
        })
        .collect();
    // A trait impl is listed when its type is public.
    let mut lines: Vec<String> = lines
        .into_iter()
        .filter_map(|line| match line.strip_prefix(IMPL) {
            None => Some(line),
            Some(line) => {
                let target = line.rsplit(" for ").next()?.split([' ', '<']).next()?;
                public_types
                    .iter()
                    .any(|name| name == target)
                    .then(|| line.to_owned())
            }
        })
        .collect();
    lines.sort();
    let listing = lines.join("\n") + "\n";
    let committed_path = runtime_dir().join("public-api.txt");
    if std::env::var_os("CLIENTGEN_BLESS").is_some() {
        std::fs::write(&committed_path, &listing).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != listing {
        let diff = similar::TextDiff::from_lines(&committed, &listing);
        panic!(
            "the runtime's public API changed (- committed, + now):\n{}\nIf the change is \
             deliberate: CLIENTGEN_BLESS=1 cargo test -p clientgen-tests --test public_api",
            diff.unified_diff().context_radius(0)
        );
    }
}

/// Lists the public items of the module in `file`, whose path is `module`.
fn list_file(file: &Path, module: &str, lines: &mut Vec<String>) {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    let parsed =
        syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    // Children of `lib.rs` and `mod.rs` live beside them; of `x.rs`, in `x/`.
    let children = match file.file_stem().and_then(|stem| stem.to_str()) {
        Some("lib" | "mod") => file.parent().unwrap().to_path_buf(),
        Some(stem) => file.parent().unwrap().join(stem),
        None => panic!("{}: no file name", file.display()),
    };
    list_items(&parsed.items, module, &children, lines);
}

fn list_items(items: &[Item], module: &str, children: &Path, lines: &mut Vec<String>) {
    for item in items {
        if is_test_only(item) {
            continue;
        }
        match item {
            Item::Mod(inner) => {
                let path = format!("{module}::{}", inner.ident);
                match &inner.content {
                    Some((_, items)) => {
                        list_items(items, &path, &children.join(inner.ident.to_string()), lines)
                    }
                    None => {
                        let flat = children.join(format!("{}.rs", inner.ident));
                        let nested = children.join(inner.ident.to_string()).join("mod.rs");
                        let file = if flat.exists() { flat } else { nested };
                        list_file(&file, &path, lines);
                    }
                }
            }
            Item::Impl(block) => {
                let target = block.self_ty.to_token_stream().to_string();
                match &block.trait_ {
                    // Kept when `target` turns out to be a public type.
                    Some((trait_path, _)) => lines.push(format!(
                        "{IMPL}{module}: impl {} for {target}",
                        trait_path.to_token_stream()
                    )),
                    None => {
                        for member in &block.items {
                            if let ImplItem::Fn(function) = member
                                && is_public(&function.vis)
                            {
                                let signature = function.sig.to_token_stream();
                                lines.push(format!("{module}: {target} :: {signature}"));
                            }
                        }
                    }
                }
            }
            Item::Trait(definition) if is_public(&definition.vis) => {
                lines.push(format!("{module}: pub trait {}", definition.ident));
                for member in &definition.items {
                    if let TraitItem::Fn(function) = member {
                        let signature = function.sig.to_token_stream();
                        lines.push(format!(
                            "{module}: trait {} :: {signature}",
                            definition.ident
                        ));
                    }
                }
            }
            Item::Struct(definition) if is_public(&definition.vis) => {
                let name = &definition.ident;
                let public: Vec<_> = definition
                    .fields
                    .iter()
                    .filter(|field| is_public(&field.vis))
                    .collect();
                lines.push(format!(
                    "{module}: pub struct {name}{} ({} public fields)",
                    definition.generics.to_token_stream(),
                    public.len()
                ));
                for field in public {
                    lines.push(format!("{module}: {name} . {}", field_text(field)));
                }
            }
            Item::Enum(definition) if is_public(&definition.vis) => {
                let name = &definition.ident;
                lines.push(format!(
                    "{module}: pub enum {name}{}",
                    definition.generics.to_token_stream()
                ));
                for variant in &definition.variants {
                    let fields: Vec<_> = variant.fields.iter().map(field_text).collect();
                    lines.push(format!(
                        "{module}: {name} :: {} ({})",
                        variant.ident,
                        fields.join(", ")
                    ));
                }
            }
            Item::Fn(function) if is_public(&function.vis) => {
                lines.push(format!("{module}: {}", function.sig.to_token_stream()));
            }
            other => {
                if let Some(shown) = other_public(other) {
                    lines.push(format!("{module}: {shown}"));
                }
            }
        }
    }
}

/// `pub use`, `pub type`, `pub const` and `pub static` items.
fn other_public(item: &Item) -> Option<String> {
    let (vis, shown) = match item {
        Item::Use(inner) => (
            &inner.vis,
            format!("pub use {}", inner.tree.to_token_stream()),
        ),
        Item::Type(inner) => (
            &inner.vis,
            format!(
                "pub type {}{} = {}",
                inner.ident,
                inner.generics.to_token_stream(),
                inner.ty.to_token_stream()
            ),
        ),
        Item::Const(inner) => (
            &inner.vis,
            format!("pub const {}: {}", inner.ident, inner.ty.to_token_stream()),
        ),
        Item::Static(inner) => (
            &inner.vis,
            format!("pub static {}: {}", inner.ident, inner.ty.to_token_stream()),
        ),
        _ => return None,
    };
    is_public(vis).then_some(shown)
}

/// A field as `name: Type`, or its type alone for a tuple field.
fn field_text(field: &syn::Field) -> String {
    let ty = field.ty.to_token_stream();
    match &field.ident {
        Some(name) => format!("{name}: {ty}"),
        None => ty.to_string(),
    }
}

fn is_public(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn is_test_only(item: &Item) -> bool {
    let attrs = match item {
        Item::Mod(inner) => &inner.attrs,
        Item::Fn(inner) => &inner.attrs,
        Item::Impl(inner) => &inner.attrs,
        _ => return false,
    };
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && attr.to_token_stream().to_string().contains("test")
    })
}
