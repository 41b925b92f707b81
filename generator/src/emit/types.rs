//! Emitting models: structs, string enums, unions and aliases.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::construct::{constructors, default_attr, defaulted, derives_default, field_type};
use super::{doc_attr, ident, type_tokens};
use crate::ir::{EnumVariant, Field, TaggedVariant, TypeDef, TypeKind, TypeRef, UntaggedVariant};

/// The item(s) for one named type; `lookup` finds the other types.
pub(super) fn emit_type<'a>(
    def: &TypeDef,
    lookup: &dyn Fn(&str) -> Option<&'a TypeKind>,
    self_tags: &SelfTags<'_>,
    usage: Option<&[(&'static str, String)]>,
    request_model: bool,
) -> TokenStream {
    let name = ident(&def.name);
    let docs = doc_attr(def.docs.as_deref(), || undescribed(&def.name, usage));
    match &def.kind {
        TypeKind::Struct { fields } => {
            let tag = self_tags.structs.get(def.name.as_str()).copied();
            let model = Model {
                owner: &def.name,
                fields,
                lookup,
                request_model,
            };
            emit_struct(&name, &docs, &model, tag)
        }
        TypeKind::Enum { variants, closed } => emit_enum(&name, &docs, variants, *closed),
        TypeKind::Tagged { tag, variants } => {
            let delegates = self_tags.unions.contains(def.name.as_str());
            emit_tagged(&name, &docs, tag, variants, delegates)
        }
        TypeKind::Untagged { variants } => {
            let display = variants
                .iter()
                .all(|variant| variant.ty.is_scalar_like(lookup, false));
            emit_untagged(&name, &docs, variants, display)
        }
        TypeKind::Alias(target) => {
            let target = type_tokens(target);
            quote! {
                #docs
                pub type #name = #target;
            }
        }
    }
}

/// Which variant structs write their discriminator tag themselves, so that
/// one serialised on its own (a request body, a field) carries it, and
/// which unions then serialise by handing over to their variant.
///
/// A struct writes its tag when every union it is a variant of gives it the
/// same property and value, and every variant of those unions can do the
/// same; otherwise it stays as it is and its unions add the tag (serde's
/// internal tagging), so a tag is never written twice.
pub(super) struct SelfTags<'a> {
    /// Struct name -> (tag property, value).
    structs: BTreeMap<&'a str, (&'a str, &'a str)>,
    /// Unions whose `Serialize` hands over to the variant.
    unions: BTreeSet<&'a str>,
}

impl<'a> SelfTags<'a> {
    pub(super) fn new(types: &'a [TypeDef]) -> Self {
        let kinds: BTreeMap<&str, &TypeKind> = types
            .iter()
            .map(|def| (def.name.as_str(), &def.kind))
            .collect();
        // The struct behind a variant that can write the tag itself.
        let variant_struct = |ty: &'a TypeRef, tag: &str| -> Option<&'a str> {
            let name = match ty {
                TypeRef::Named(name) => name,
                TypeRef::Boxed(inner) => match inner.as_ref() {
                    TypeRef::Named(name) => name,
                    _ => return None,
                },
                _ => return None,
            };
            match kinds.get(name.as_str()) {
                Some(TypeKind::Struct { fields }) if fields.iter().all(|f| f.wire != tag) => {
                    Some(name.as_str())
                }
                _ => None,
            }
        };
        let unions: Vec<(&str, &str, &[TaggedVariant])> = types
            .iter()
            .filter_map(|def| match &def.kind {
                TypeKind::Tagged { tag, variants } => {
                    Some((def.name.as_str(), tag.as_str(), variants.as_slice()))
                }
                _ => None,
            })
            .collect();
        let mut claims: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
        let mut refused: BTreeSet<&str> = BTreeSet::new();
        for (union, tag, variants) in &unions {
            for variant in *variants {
                match variant_struct(&variant.ty, tag) {
                    Some(name) => {
                        claims
                            .entry(name)
                            .or_default()
                            .insert((*tag, variant.wire.as_str()));
                    }
                    None => {
                        refused.insert(union);
                    }
                }
            }
        }
        let mut structs: BTreeMap<&str, (&str, &str)> = claims
            .iter()
            .filter(|(_, claims)| claims.len() == 1)
            .filter_map(|(name, claims)| claims.first().map(|claim| (*name, *claim)))
            .collect();
        // A union with a variant that cannot tag itself keeps serde's
        // tagging, so none of its variants may tag themselves.
        loop {
            let before = structs.len();
            for (union, tag, variants) in &unions {
                let all = variants.iter().all(|variant| {
                    variant_struct(&variant.ty, tag).is_some_and(|name| structs.contains_key(name))
                });
                if !all || refused.contains(union) {
                    refused.insert(union);
                    for variant in *variants {
                        if let Some(name) = variant_struct(&variant.ty, tag) {
                            structs.remove(name);
                        }
                    }
                }
            }
            if structs.len() == before {
                break;
            }
        }
        let unions = unions
            .iter()
            .map(|(union, _, _)| *union)
            .filter(|union| !refused.contains(union))
            .collect();
        Self { structs, unions }
    }
}

fn derives(extra: TokenStream) -> TokenStream {
    quote! {
        #[derive(Clone, Debug, PartialEq, #extra Serialize, Deserialize)]
        #[serde(crate = "codegen::serde")]
    }
}

/// A struct model and what its defaults are looked up in.
struct Model<'m, 'a> {
    owner: &'m str,
    fields: &'m [Field],
    lookup: &'m dyn Fn(&str) -> Option<&'a TypeKind>,
    /// Whether a request (body or parameter) uses it, so it gets `new`.
    request_model: bool,
}

fn emit_struct(
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    model: &Model<'_, '_>,
    tag: Option<(&str, &str)>,
) -> TokenStream {
    let fields = model.fields;
    let default = derives_default(fields, model.lookup).then(|| quote!(Default,));
    let derives = match tag {
        None => derives(quote!(#default)),
        // `Serialize` is written below, to add the tag.
        Some(_) => quote! {
            #[derive(Clone, Debug, PartialEq, #default Deserialize)]
            #[serde(crate = "codegen::serde")]
        },
    };
    let serialize = tag.map(|tag| emit_tagging_serialize(name, model, tag));
    let constructors = constructors(model.owner, fields, model.lookup, model.request_model);
    let fields = fields.iter().map(|field| {
        let default = defaulted(field, model.lookup)
            .map(|default| default_attr(model.owner, field, &default));
        emit_field(field, default)
    });
    quote! {
        #docs
        #derives
        pub struct #name {
            #(#fields)*
        }

        #serialize
        #constructors
    }
}

/// A `Serialize` that writes the discriminator tag first, then the fields
/// as the derived one would (absent optionals left out).
fn emit_tagging_serialize(
    name: &proc_macro2::Ident,
    model: &Model<'_, '_>,
    (tag, value): (&str, &str),
) -> TokenStream {
    let fields = model.fields;
    let type_name = name.to_string();
    let count = fields.len() + 1;
    let steps = fields.iter().map(|field| {
        let field_name = ident(&field.name);
        let wire = &field.wire;
        if field.required || defaulted(field, model.lookup).is_some() {
            quote!(state.serialize_field(#wire, &self.#field_name)?;)
        } else {
            let absent = if matches!(field.ty, TypeRef::Nullable(_)) {
                quote!(self.#field_name.is_absent())
            } else {
                quote!(self.#field_name.is_none())
            };
            quote! {
                if #absent {
                    state.skip_field(#wire)?;
                } else {
                    state.serialize_field(#wire, &self.#field_name)?;
                }
            }
        }
    });
    let doc = format!(" Writes `{tag}: {value}` first: the value is tagged even on its own.");
    quote! {
        #[doc = #doc]
        impl Serialize for #name {
            fn serialize<S: codegen::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use codegen::SerializeStruct as _;
                let mut state = serializer.serialize_struct(#type_name, #count)?;
                state.serialize_field(#tag, #value)?;
                #(#steps)*
                state.end()
            }
        }
    }
}

/// A field; `default` is its `#[serde(default ...)]` when the spec's
/// default stands in for absence.
fn emit_field(field: &Field, default: Option<TokenStream>) -> TokenStream {
    let name = ident(&field.name);
    let docs = doc_attr(field.docs.as_deref(), || format!("`{}`", field.wire));
    let rename = (field.name.trim_start_matches("r#") != field.wire).then(|| {
        let wire = &field.wire;
        quote!(#[serde(rename = #wire)])
    });
    let link = field.link.then(|| {
        quote!(#[doc = ""] #[doc = " A frontend link: a path such as `/approvals/42` is made absolute against `FRONTEND_URL` before the request is sent."])
    });
    let ty = field_type(field, default.is_some());
    let skip = if field.required {
        None
    } else if default.is_some() {
        default
    } else if matches!(field.ty, TypeRef::Nullable(_)) {
        // Optional and nullable: absent, `null` and a value are three
        // different requests (PATCH semantics).
        Some(quote!(#[serde(default, skip_serializing_if = "codegen::Nullable::is_absent")]))
    } else {
        Some(quote!(#[serde(default, skip_serializing_if = "Option::is_none")]))
    };
    quote! {
        #docs
        #link
        #rename
        #skip
        pub #name: #ty,
    }
}

/// A `const`: an enum of its one value, with no fallback, so that it can
/// hold nothing else (and is its own default).
fn emit_const(
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    variants: &[EnumVariant],
) -> TokenStream {
    let derives = derives(quote!(Copy, Eq, Hash, Default,));
    let names = variants.iter().map(|v| ident(&v.name));
    let wires: Vec<&str> = variants.iter().map(|v| v.wire.as_str()).collect();
    let variant_docs = wires
        .iter()
        .map(|wire| format!(" `{wire}`, the only value."));
    let names_again = variants.iter().map(|v| ident(&v.name));
    quote! {
        #docs
        #derives
        pub enum #name {
            #(
                #[doc = #variant_docs]
                #[default]
                #[serde(rename = #wires)]
                #names,
            )*
        }

        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#names_again => #wires,)*
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

fn emit_enum(
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    variants: &[EnumVariant],
    closed: bool,
) -> TokenStream {
    if closed {
        return emit_const(name, docs, variants);
    }
    let derives = derives(quote!(Eq, Hash,));
    let names: Vec<_> = variants.iter().map(|v| ident(&v.name)).collect();
    let wires: Vec<_> = variants.iter().map(|v| v.wire.as_str()).collect();
    let variant_docs: Vec<_> = wires
        .iter()
        .map(|wire| {
            if wire.is_empty() {
                " The empty string.".to_owned()
            } else {
                format!(" `{wire}`")
            }
        })
        .collect();
    quote! {
        #docs
        #derives
        #[non_exhaustive]
        pub enum #name {
            #(
                #[doc = #variant_docs]
                #[serde(rename = #wires)]
                #names,
            )*
            /// A value this client does not know yet.
            #[serde(untagged)]
            Unknown(String),
        }

        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#names => #wires,)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

fn emit_tagged(
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    tag: &str,
    variants: &[TaggedVariant],
    delegates: bool,
) -> TokenStream {
    let derives = if delegates {
        quote! {
            #[derive(Clone, Debug, PartialEq, Deserialize)]
            #[serde(crate = "codegen::serde")]
        }
    } else {
        derives(quote!())
    };
    let serialize = delegates.then(|| {
        let arms = variants.iter().map(|variant| {
            let variant_name = ident(&variant.name);
            quote!(Self::#variant_name(value) => value.serialize(serializer),)
        });
        quote! {
            /// Each variant writes its own tag.
            impl Serialize for #name {
                fn serialize<S: codegen::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    match self {
                        #(#arms)*
                        Self::Unknown => Err(codegen::unknown_variant()),
                    }
                }
            }
        }
    });
    let arms = variants.iter().map(|variant| {
        let variant_name = ident(&variant.name);
        let wire = &variant.wire;
        let ty = type_tokens(&variant.ty);
        let doc = format!(" `{tag}: {wire}`");
        quote! {
            #[doc = #doc]
            #[serde(rename = #wire)]
            #variant_name(#ty),
        }
    });
    quote! {
        #docs
        #derives
        #[serde(tag = #tag)]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum #name {
            #(#arms)*
            /// A variant this client does not know yet.
            #[serde(other)]
            Unknown,
        }

        #serialize
    }
}

fn emit_untagged(
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    variants: &[UntaggedVariant],
    display: bool,
) -> TokenStream {
    let derives = derives(quote!());
    let display_impl = display.then(|| {
        let arms = variants.iter().map(|variant| {
            let variant_name = format_ident!("{}", variant.name);
            match variant.ty {
                TypeRef::DateTime => {
                    quote!(Self::#variant_name(value) => f.write_str(&codegen::rfc3339(value)),)
                }
                _ => quote!(Self::#variant_name(value) => value.fmt(f),),
            }
        });
        quote! {
            impl std::fmt::Display for #name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    match self {
                        #(#arms)*
                    }
                }
            }
        }
    });
    let arms = variants.iter().map(|variant| {
        let variant_name = format_ident!("{}", variant.name);
        let ty = type_tokens(&variant.ty);
        let doc = format!(" A value of type `{}`.", describe(&variant.ty));
        quote! {
            #[doc = #doc]
            #variant_name(#ty),
        }
    });
    quote! {
        #docs
        #derives
        #[serde(untagged)]
        #[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
        #[non_exhaustive]
        pub enum #name {
            #(#arms)*
        }

        #display_impl
    }
}

/// A short human name of a type, for docs.
fn describe(ty: &TypeRef) -> String {
    type_tokens(ty).to_string().replace(' ', "")
}

/// The docs of a type the spec does not describe: where it is used
/// (`Returned by `a` and `b`; a field of [`C`].`), or its name.
fn undescribed(name: &str, usage: Option<&[(&'static str, String)]>) -> String {
    let Some(uses) = usage.filter(|uses| !uses.is_empty()) else {
        return format!("The `{name}` schema.");
    };
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (how, place) in uses {
        match groups.iter_mut().find(|(group, _)| group == how) {
            Some((_, places)) => places.push(place),
            None => groups.push((how, vec![place])),
        }
    }
    let sentences: Vec<String> = groups
        .into_iter()
        .map(|(how, places)| {
            let shown = places.len().min(3);
            let mut listed = places[..shown - 1].join(", ");
            if shown > 1 {
                listed.push_str(" and ");
            }
            listed.push_str(places[shown - 1]);
            if places.len() > shown {
                listed.push_str(" and others");
            }
            format!("{how} {listed}")
        })
        .collect();
    let text = sentences.join("; ");
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}
