//! Building models: a property's `default` that Rust can hold (the field
//! is then the value, not an `Option`), a request model's constructor
//! taking its required fields, and `Default` where nothing is required.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{ident, type_tokens};
use crate::ir::{Field, TypeKind, TypeRef};
use crate::naming::snake;

/// The value of an optional field whose spec gives a `default`.
pub(crate) struct Defaulted {
    /// The expression of the default value.
    expr: TokenStream,
    /// Whether it is the type's own `Default` (`false`, `0`, `""`, empty).
    is_type_default: bool,
}

/// The default of `field`, when it is optional, not nullable, and its
/// `default` is a value of its type: a boolean, a number, a string, one of
/// an enum's values, or an empty list.
pub(crate) fn defaulted<'a>(
    field: &Field,
    lookup: &dyn Fn(&str) -> Option<&'a TypeKind>,
) -> Option<Defaulted> {
    if field.required {
        return None;
    }
    let value = field.default.as_ref()?;
    let plain = |expr: TokenStream, is_type_default: bool| {
        Some(Defaulted {
            expr,
            is_type_default,
        })
    };
    match (&field.ty, value) {
        (TypeRef::Bool, Value::Bool(flag)) => plain(quote!(#flag), !flag),
        (TypeRef::I32, Value::Number(number)) => {
            let value = i32::try_from(number.as_i64()?).ok()?;
            plain(quote!(#value), value == 0)
        }
        (TypeRef::I64, Value::Number(number)) => {
            let value = number.as_i64()?;
            plain(quote!(#value), value == 0)
        }
        (TypeRef::U32, Value::Number(number)) => {
            let value = u32::try_from(number.as_u64()?).ok()?;
            plain(quote!(#value), value == 0)
        }
        (TypeRef::U64, Value::Number(number)) => {
            let value = number.as_u64()?;
            plain(quote!(#value), value == 0)
        }
        (TypeRef::F64, Value::Number(number)) => {
            let value = number.as_f64()?;
            plain(quote!(#value), value == 0.0)
        }
        (TypeRef::String, Value::String(text)) => {
            plain(quote!(String::from(#text)), text.is_empty())
        }
        (TypeRef::Array(_), Value::Array(items)) if items.is_empty() => {
            plain(quote!(Vec::new()), true)
        }
        (TypeRef::Named(name), Value::String(text)) => {
            let Some(TypeKind::Enum { variants, .. }) = lookup(name) else {
                return None;
            };
            let variant = variants.iter().find(|variant| variant.wire == *text)?;
            let (name, variant) = (ident(name), ident(&variant.name));
            plain(quote!(#name::#variant), false)
        }
        _ => None,
    }
}

/// A field's type as its struct declares it: the value when it is
/// required or `defaulted`, else `codegen::Nullable<T>` (optional and
/// nullable) or `Option<T>`.
pub(crate) fn field_type(field: &Field, defaulted: bool) -> TokenStream {
    if field.required || defaulted {
        return type_tokens(&field.ty);
    }
    match &field.ty {
        TypeRef::Nullable(inner) => {
            let inner = type_tokens(inner);
            quote!(codegen::Nullable<#inner>)
        }
        other => {
            let inner = type_tokens(other);
            quote!(Option<#inner>)
        }
    }
}

/// Whether `field` is a `const` (an enum of one value, which `new` fills).
pub(crate) fn is_const<'a>(field: &Field, lookup: &dyn Fn(&str) -> Option<&'a TypeKind>) -> bool {
    match &field.ty {
        TypeRef::Named(name) => matches!(lookup(name), Some(TypeKind::Enum { closed: true, .. })),
        _ => false,
    }
}

/// The name of the function serde calls for `field`'s default in `owner`.
fn default_fn(owner: &str, field: &Field) -> proc_macro2::Ident {
    format_ident!(
        "default_{}_{}",
        snake(owner).trim_start_matches("r#"),
        field.name.trim_start_matches("r#")
    )
}

/// The `#[serde(default ...)]` attribute of a defaulted field.
pub(super) fn default_attr(owner: &str, field: &Field, default: &Defaulted) -> TokenStream {
    if default.is_type_default {
        quote!(#[serde(default)])
    } else {
        let path = default_fn(owner, field).to_string();
        quote!(#[serde(default = #path)])
    }
}

/// The struct's default functions, its `Default` when nothing is required
/// (written out when a default is not the type's own), and, for a request
/// model with required and optional fields, `new`.
pub(super) fn constructors<'a>(
    owner: &str,
    fields: &[Field],
    lookup: &dyn Fn(&str) -> Option<&'a TypeKind>,
    request_model: bool,
) -> TokenStream {
    let name = ident(owner);
    let defaults: Vec<Option<Defaulted>> = fields
        .iter()
        .map(|field| defaulted(field, lookup))
        .collect();
    let default_fns = fields.iter().zip(&defaults).filter_map(|(field, default)| {
        let default = default
            .as_ref()
            .filter(|default| !default.is_type_default)?;
        let function = default_fn(owner, field);
        let ty = type_tokens(&field.ty);
        let expr = &default.expr;
        Some(quote! {
            fn #function() -> #ty {
                #expr
            }
        })
    });
    let is_const = |field: &Field| is_const(field, lookup);
    let values: Vec<TokenStream> = fields
        .iter()
        .zip(&defaults)
        .map(|(field, default)| {
            let field_name = ident(&field.name);
            match default {
                // A `const` can hold one value: the constructor fills it.
                _ if field.required && is_const(field) => {
                    let ty = type_tokens(&field.ty);
                    quote!(#field_name: #ty::default())
                }
                _ if field.required => {
                    if matches!(field.ty, TypeRef::String) {
                        quote!(#field_name: #field_name.into())
                    } else {
                        quote!(#field_name)
                    }
                }
                Some(default) => {
                    let expr = &default.expr;
                    quote!(#field_name: #expr)
                }
                None if matches!(field.ty, TypeRef::Nullable(_)) => {
                    quote!(#field_name: codegen::Nullable::Absent)
                }
                None => quote!(#field_name: None),
            }
        })
        .collect();
    let required: Vec<&Field> = fields
        .iter()
        .filter(|field| field.required && !is_const(field))
        .collect();
    let needs_default_impl = fields.iter().all(|field| !field.required)
        && defaults
            .iter()
            .flatten()
            .any(|default| !default.is_type_default);
    let default_impl = needs_default_impl.then(|| {
        quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self { #(#values),* }
                }
            }
        }
    });
    let any_required = fields.iter().any(|field| field.required);
    let constructor = (request_model && any_required && required.len() < fields.len()).then(|| {
        let args = required.iter().map(|field| {
            let field_name = ident(&field.name);
            let ty = match field.ty {
                TypeRef::String => quote!(impl Into<String>),
                _ => type_tokens(&field.ty),
            };
            quote!(#field_name: #ty)
        });
        let many = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        quote! {
            impl #name {
                /// A value with the required fields given, the others
                /// absent or at their spec defaults.
                #many
                pub fn new(#(#args),*) -> Self {
                    Self { #(#values),* }
                }
            }
        }
    });
    quote! {
        #(#default_fns)*
        #default_impl
        #constructor
    }
}

/// Whether the struct can derive `Default`: nothing required, and every
/// default its type's own.
pub(super) fn derives_default<'a>(
    fields: &[Field],
    lookup: &dyn Fn(&str) -> Option<&'a TypeKind>,
) -> bool {
    fields.iter().all(|field| {
        !field.required && defaulted(field, lookup).is_none_or(|default| default.is_type_default)
    })
}
