//! Emitting models: structs, string enums, unions and aliases.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attr, ident, type_tokens};
use crate::ir::{EnumVariant, Field, TaggedVariant, TypeDef, TypeKind, TypeRef, UntaggedVariant};

/// The item(s) for one named type; `lookup` finds the other types.
pub(super) fn emit_type<'a>(
    def: &TypeDef,
    lookup: &dyn Fn(&str) -> Option<&'a TypeKind>,
) -> TokenStream {
    let name = ident(&def.name);
    let docs = doc_attr(def.docs.as_deref(), || {
        format!("The `{}` schema.", def.name)
    });
    match &def.kind {
        TypeKind::Struct { fields } => emit_struct(&name, &docs, fields),
        TypeKind::Enum { variants } => emit_enum(&name, &docs, variants),
        TypeKind::Tagged { tag, variants } => emit_tagged(&name, &docs, tag, variants),
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

fn derives(extra: TokenStream) -> TokenStream {
    quote! {
        #[derive(Clone, Debug, PartialEq, #extra Serialize, Deserialize)]
        #[serde(crate = "codegen::serde")]
    }
}

fn emit_struct(name: &proc_macro2::Ident, docs: &TokenStream, fields: &[Field]) -> TokenStream {
    let all_optional = fields.iter().all(|field| !field.required);
    let derives = derives(if all_optional {
        quote!(Default,)
    } else {
        quote!()
    });
    let fields = fields.iter().map(emit_field);
    quote! {
        #docs
        #derives
        pub struct #name {
            #(#fields)*
        }
    }
}

fn emit_field(field: &Field) -> TokenStream {
    let name = ident(&field.name);
    let docs = doc_attr(field.docs.as_deref(), || format!("`{}`", field.wire));
    let rename = (field.name.trim_start_matches("r#") != field.wire).then(|| {
        let wire = &field.wire;
        quote!(#[serde(rename = #wire)])
    });
    let link = field.link.then(|| {
        quote!(#[doc = ""] #[doc = " A frontend link: a path such as `/approvals/42` is made absolute against `FRONTEND_URL` before the request is sent."])
    });
    let (ty, skip) = if field.required {
        (type_tokens(&field.ty), None)
    } else if let TypeRef::Nullable(inner) = &field.ty {
        // Optional and nullable: absent, `null` and a value are three
        // different requests (PATCH semantics).
        let inner = type_tokens(inner);
        (
            quote!(codegen::Nullable<#inner>),
            Some(quote!(#[serde(default, skip_serializing_if = "codegen::Nullable::is_absent")])),
        )
    } else {
        let inner = type_tokens(field.ty.non_null());
        (
            quote!(Option<#inner>),
            Some(quote!(#[serde(default, skip_serializing_if = "Option::is_none")])),
        )
    };
    quote! {
        #docs
        #link
        #rename
        #skip
        pub #name: #ty,
    }
}

fn emit_enum(
    name: &proc_macro2::Ident,
    docs: &TokenStream,
    variants: &[EnumVariant],
) -> TokenStream {
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
) -> TokenStream {
    let derives = derives(quote!());
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
        pub enum #name {
            #(#arms)*
            /// A variant this client does not know yet.
            #[serde(other)]
            Unknown,
        }
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
