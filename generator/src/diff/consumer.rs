//! Code that uses one item of a generated crate the way callers do, for
//! checking a verdict with the compiler: it compiles against the crate the
//! item comes from, and against the next version exactly when the item's
//! changes are not breaking.
//!
//! Values come from `any::<T>()`, which the snippet declares and never
//! calls: only the types are checked.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{
    body_type, field_type, ident, is_const, is_idempotency_key, param_type, type_tokens,
};
use crate::ir::{Field, Media, Operation, Service, Success, TypeKind};

/// A module's source using `item` (`service x`, `operation get_user`,
/// `model User`) of `service` as callers do; `None` for an item the
/// service does not have.
pub fn consumer(service: &Service, item: &str) -> Option<String> {
    let module = ident(&service.module);
    let client = ident(&service.client);
    let body = if item.starts_with("service ") {
        quote!(let _ = any::<crate::#module::#client>();)
    } else if let Some(method) = item.strip_prefix("operation ") {
        let operation = service
            .operations
            .iter()
            .find(|op| op.method_name.trim_start_matches("r#") == method)?;
        use_operation(operation)
    } else {
        let name = item.strip_prefix("model ")?;
        let def = service.types.iter().find(|def| def.name == name)?;
        let requests = crate::emit::request_models(service);
        use_model(&def.name, &def.kind, service, &requests)
    };
    let tokens = quote! {
        #![allow(unused, unreachable_code, clippy::all)]
        use clientgen_runtime::codegen;
        use crate::#module::*;

        fn any<T>() -> T {
            unreachable!()
        }

        async fn consume(client: &#client) {
            #body
        }
    };
    Some(tokens.to_string())
}

/// A type with the builders' lifetime made `'static`.
fn owned(tokens: TokenStream) -> TokenStream {
    let text = tokens.to_string().replace("'a", "'static");
    text.parse().unwrap_or(tokens)
}

/// Calls the method with its arguments, sets every optional value, and
/// awaits the answer as its type.
fn use_operation(operation: &Operation) -> TokenStream {
    let method = ident(&operation.method_name);
    let args = operation
        .params
        .iter()
        .filter(|param| param.required)
        .map(|param| {
            let ty = owned(param_type(param, operation));
            quote!(any::<#ty>())
        })
        .chain(
            operation
                .body
                .iter()
                .filter(|body| body.required)
                .map(|body| {
                    let ty = owned(body_type(body.media, &body.ty));
                    quote!(any::<#ty>())
                }),
        );
    let setters = operation
        .params
        .iter()
        .filter(|param| !param.required && !is_idempotency_key(param, operation))
        .map(|param| {
            let setter = crate::emit::setter_name(&param.name);
            let ty = owned(param_type(param, operation));
            quote!(.#setter(any::<#ty>()))
        })
        .chain(
            operation
                .body
                .iter()
                .filter(|body| !body.required)
                .map(|body| {
                    let ty = owned(body_type(body.media, &body.ty));
                    quote!(.body(any::<#ty>()))
                }),
        );
    let output = match &operation.success {
        Success::Empty => quote!(()),
        Success::One { ty, media } => match media {
            Media::Json => type_tokens(ty),
            Media::Text => quote!(String),
            _ => quote!(codegen::Bytes),
        },
        Success::Several { name, .. } => {
            let name = ident(name);
            quote!(#name)
        }
    };
    quote! {
        let answer: Result<#output, codegen::MicroserviceError> =
            client.#method(#(#args),*) #(#setters)* .await;
    }
}

/// Builds and reads the model as callers do.
fn use_model(
    name: &str,
    kind: &TypeKind,
    service: &Service,
    requests: &BTreeSet<&str>,
) -> TokenStream {
    let model = ident(name);
    let lookup = |name: &str| {
        service
            .types
            .iter()
            .find(|def| def.name == name)
            .map(|def| &def.kind)
    };
    match kind {
        TypeKind::Struct { fields } => {
            let typed = |field: &Field| {
                let defaulted = crate::emit::defaulted(field, &lookup).is_some();
                (ident(&field.name), field_type(field, defaulted))
            };
            let reads = fields.iter().map(|field| {
                let (name, ty) = typed(field);
                quote!(let _: #ty = any::<#model>().#name;)
            });
            let sets = fields.iter().map(|field| {
                let (name, ty) = typed(field);
                quote!(#name: any::<#ty>(),)
            });
            // What the literal's other fields come from, as callers build it.
            let rest = if !requests.contains(name) {
                // Read, not built, by callers: only `..` literals (tests).
                quote!(..any::<#model>())
            } else if !fields.iter().any(|field| field.required) {
                quote!(..Default::default())
            } else {
                // The constructor fills a required `const` itself.
                let required: Vec<&Field> = fields
                    .iter()
                    .filter(|field| field.required && !is_const(field, &lookup))
                    .collect();
                if required.len() < fields.len() {
                    let args = required.iter().map(|field| {
                        let (_, ty) = typed(field);
                        quote!(any::<#ty>())
                    });
                    quote!(..#model::new(#(#args),*))
                } else {
                    // Every field required: callers write the whole literal.
                    TokenStream::new()
                }
            };
            quote! {
                #(#reads)*
                let _ = #model { #(#sets)* #rest };
            }
        }
        TypeKind::Enum { variants, .. } => {
            let names = variants.iter().map(|variant| ident(&variant.name));
            quote! {
                #(let _ = #model::#names;)*
                let _: &str = any::<#model>().as_str();
            }
        }
        TypeKind::Tagged { variants, .. } => {
            let uses = variants.iter().map(|variant| {
                let (name, ty) = (ident(&variant.name), type_tokens(&variant.ty));
                quote!(let _ = #model::#name(any::<#ty>());)
            });
            quote!(#(#uses)*)
        }
        TypeKind::Untagged { variants } => {
            let uses = variants.iter().map(|variant| {
                let (name, ty) = (ident(&variant.name), type_tokens(&variant.ty));
                quote!(let _ = #model::#name(any::<#ty>());)
            });
            quote!(#(#uses)*)
        }
        TypeKind::Alias(target) => {
            let target = type_tokens(target);
            quote!(let _: #target = any::<#model>();)
        }
    }
}
