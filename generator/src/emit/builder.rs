//! Emitting one operation: the client method that takes the required
//! values and returns a call builder, and the builder, whose setters hold
//! the optional ones and which the runtime's `call_builder!` makes
//! awaitable (`IntoFuture`), with the call's settings and
//! `send_with_response()`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::decoders::Decoders;
use super::paging::{page_methods, streaming_methods};
use super::request::{
    body_type, borrows, is_idempotency_key, operation_static, param_type, request_statements,
};
use super::{doc_attr, ident, type_tokens};
use crate::ir::{Media, Operation, Param, ParamLocation, Service, Success, TypeKind, TypeRef};

/// Names a builder's fields (the first two) and methods (its settings,
/// sending and paging methods) already use: a parameter with one of these names gets
/// a `_param` suffix.
const TAKEN: &[&str] = &[
    "call",
    "body",
    "timeout",
    "attempt_timeout",
    "retry",
    "header",
    "idempotency_key",
    "send_with_response",
    "into_parts",
    "into_future",
    "decode",
    "pages",
    "items",
    "send_streaming",
    "events",
];

/// One operation's client method and its call builder.
pub(super) struct Emitted {
    /// The method, for the client's `impl` block.
    pub(super) method: TokenStream,
    /// The builder struct and its `impl`s, at module level.
    pub(super) builder: TokenStream,
}

/// A parameter as the builder holds it.
struct Field<'a> {
    param: &'a Param,
    /// The field's (and, when optional, the setter's) name.
    name: proc_macro2::Ident,
}

/// The method and builder of `operation`, a method of `service`'s client.
pub(super) fn emit_operation(
    operation: &Operation,
    service: &Service,
    decoders: &Decoders,
    kinds: &BTreeMap<&str, &TypeKind>,
) -> Emitted {
    let client = service.client.as_str();
    let builder = ident(&operation.builder_name);
    let fields: Vec<Field<'_>> = operation
        .params
        .iter()
        // An optional idempotency key is the builder's own setting.
        .filter(|param| param.required || !is_idempotency_key(param, operation))
        .map(|param| Field {
            param,
            name: field_name(&param.name, param.required),
        })
        .collect();
    let body = operation.body.as_ref();
    let required_body = body.filter(|body| body.required);

    let args: Vec<TokenStream> = fields
        .iter()
        .filter(|field| field.param.required)
        .map(|field| {
            let name = &field.name;
            let ty = param_type(field.param, operation);
            quote!(#name: #ty)
        })
        .chain(required_body.map(|body| {
            let ty = body_type(body.media, &body.ty);
            quote!(body: #ty)
        }))
        .collect();
    let borrows = fields
        .iter()
        .any(|field| field.param.required && borrows(field.param, operation))
        || required_body
            .is_some_and(|body| !matches!(body.media, Media::Multipart | Media::Binary));
    let (generics, receiver, returned) = if borrows {
        (quote!(<'a>), quote!(&'a self), quote!(#builder<'a>))
    } else {
        (TokenStream::new(), quote!(&self), quote!(#builder<'_>))
    };
    let many_args = (args.len() > 6).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let inits = fields.iter().map(|field| {
        let name = &field.name;
        if field.param.required {
            quote!(#name)
        } else {
            quote!(#name: None)
        }
    });
    let body_init = body.map(|body| {
        if body.required {
            quote!(body,)
        } else {
            quote!(body: None,)
        }
    });
    let docs = doc_attr(Some(&method_docs(operation, &fields)), String::new);
    let deprecated = operation.deprecated.then(|| quote!(#[deprecated]));
    let method_name = ident(&operation.method_name);
    let method = quote! {
        #docs
        #deprecated
        #many_args
        pub fn #method_name #generics(#receiver, #(#args),*) -> #returned {
            #builder {
                call: codegen::Call::new(&self.service),
                #(#inits,)*
                #body_init
            }
        }
    };

    let field_defs = fields.iter().map(|field| {
        let name = &field.name;
        let ty = param_type(field.param, operation);
        if field.param.required {
            quote!(#name: #ty)
        } else {
            quote!(#name: Option<#ty>)
        }
    });
    let body_def = body.map(|body| {
        let ty = body_type(body.media, &body.ty);
        if body.required {
            quote!(body: #ty,)
        } else {
            quote!(body: Option<#ty>,)
        }
    });
    let setters = fields
        .iter()
        .filter(|field| !field.param.required)
        .map(|field| setter(field, operation));
    let body_setter = body.filter(|body| !body.required).map(|body| {
        let ty = body_type(body.media, &body.ty);
        quote! {
            /// The request body.
            pub fn body(mut self, body: #ty) -> Self {
                self.body = Some(body);
                self
            }
        }
    });
    let operation_static = operation_static(operation, &service.service_name, decoders);
    let statements = request_statements(
        operation,
        |param| {
            fields
                .iter()
                .find(|field| std::ptr::eq(field.param, param))
                .map(|field| {
                    let name = &field.name;
                    quote!(self.#name)
                })
        },
        &quote!(self.body),
    );
    let (output, decode, decode_fn) = success(operation);
    let page_methods = page_methods(operation, kinds);
    let streaming_method = streaming_methods(operation);
    let shown = operation.method_name.trim_start_matches("r#");
    let has_optional =
        fields.iter().any(|field| !field.param.required) || body.is_some_and(|body| !body.required);
    let builder_docs = if has_optional {
        format!(
            " A call of [`{client}::{shown}`]: set its optional values and settings, then `.await` it (or `.send_with_response()` for the status and headers too)."
        )
    } else {
        format!(
            " A call of [`{client}::{shown}`]: `.await` it, after its settings if any (`timeout`, `header`, ...), or `.send_with_response()` for the status and headers too."
        )
    };
    let builder_tokens = quote! {
        #[doc = #builder_docs]
        #[must_use = "a call does nothing until it is awaited"]
        pub struct #builder<'a> {
            call: codegen::Call<'a>,
            #(#field_defs,)*
            #body_def
        }

        impl<'a> #builder<'a> {
            #(#setters)*
            #body_setter

            fn into_parts(self) -> (codegen::Call<'a>, codegen::Request) {
                static OPERATION: codegen::Operation = #operation_static;
                let request = codegen::Request::new(&OPERATION);
                #statements
                (self.call, request)
            }

            #decode_fn

            #page_methods
            #streaming_method
        }

        codegen::call_builder!(#builder, #output, #decode);
    };
    Emitted {
        method,
        builder: builder_tokens,
    }
}

/// The setter of an optional parameter named `param`.
pub(crate) fn setter_name(param: &str) -> proc_macro2::Ident {
    field_name(param, false)
}

/// A parameter's field name (and, when it is optional, its setter's): its
/// own, unless the builder already uses it (any of [`TAKEN`] for a setter;
/// only the other fields' names for a required parameter, which has no
/// setter).
pub(super) fn field_name(param: &str, required: bool) -> proc_macro2::Ident {
    let bare = param.trim_start_matches("r#");
    let taken = if required { &TAKEN[..2] } else { TAKEN };
    if taken.contains(&bare) {
        ident(&format!("{bare}_param"))
    } else {
        ident(param)
    }
}

/// The setter of an optional parameter.
fn setter(field: &Field<'_>, operation: &Operation) -> TokenStream {
    let name = &field.name;
    let ty = param_type(field.param, operation);
    let place = match field.param.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    };
    let wire = &field.param.wire;
    let docs = doc_attr(field.param.docs.as_deref(), || {
        format!("Sets the `{wire}` {place} parameter.")
    });
    quote! {
        #docs
        pub fn #name(mut self, value: #ty) -> Self {
            self.#name = Some(value);
            self
        }
    }
}

/// The method's docs: the operation's, its method and path, and what its
/// required parameters mean.
fn method_docs(operation: &Operation, fields: &[Field<'_>]) -> String {
    let mut docs = operation.docs.clone().unwrap_or_default();
    if !docs.is_empty() {
        docs.push_str("\n\n");
    }
    docs.push_str(&format!(
        "`{} {}`",
        operation.http_method.variant().to_ascii_uppercase(),
        operation.path
    ));
    let described: Vec<String> = fields
        .iter()
        .filter(|field| field.param.required)
        .filter_map(|field| {
            // The first paragraph, on one line: a list item must not run on.
            let docs = field
                .param
                .docs
                .as_deref()?
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            let first = docs.split("\n\n").next()?;
            let text = first.split_whitespace().collect::<Vec<_>>().join(" ");
            Some(format!(
                "- `{}`: {text}",
                field.name.to_string().trim_start_matches("r#")
            ))
        })
        .collect();
    if !described.is_empty() {
        docs.push_str("\n\n# Parameters\n\n");
        docs.push_str(&described.join("\n"));
    }
    let optional = fields.iter().any(|field| !field.param.required)
        || operation.body.as_ref().is_some_and(|body| !body.required);
    if optional {
        docs.push_str(&format!(
            "\n\nOptional values are set on the returned [`{}`].",
            operation.builder_name
        ));
    }
    docs
}

/// What awaiting the builder gives, the decoder the runtime applies to a
/// 2xx response, and the builder's own decoder when the operation has
/// several kinds of success.
fn success(operation: &Operation) -> (TokenStream, TokenStream, TokenStream) {
    match &operation.success {
        Success::Empty => (
            quote!(()),
            quote!(codegen::decode_nothing),
            TokenStream::new(),
        ),
        Success::One { ty, media } => (
            media_type(ty, *media, type_tokens),
            decoder(*media),
            TokenStream::new(),
        ),
        Success::Several {
            name,
            variants,
            catch_all,
        } => {
            let enum_name = ident(name);
            let catch_all = *catch_all;
            let other = (!catch_all).then(|| {
                quote! {
                    status => #enum_name::Other { status, body: response.body().clone() },
                }
            });
            let arms = variants.iter().enumerate().map(|(index, variant)| {
                let variant_name = ident(&variant.name);
                let value = match &variant.ty {
                    Some(_) => {
                        let decode = decoder(variant.media);
                        quote!(#enum_name::#variant_name(#decode(response)?))
                    }
                    None => quote!(#enum_name::#variant_name),
                };
                if catch_all && index + 1 == variants.len() {
                    quote!(_ => #value,)
                } else {
                    let status = proc_macro2::Literal::u16_unsuffixed(variant.status);
                    quote!(#status => #value,)
                }
            });
            let decode_fn = quote! {
                fn decode(
                    response: &codegen::Response,
                ) -> Result<#enum_name, codegen::MicroserviceError> {
                    Ok(match response.status() {
                        #(#arms)*
                        #other
                    })
                }
            };
            (quote!(#enum_name), quote!(Self::decode), decode_fn)
        }
    }
}

/// The Rust type of a body of `media` holding `ty`, a JSON one written by
/// `tokens` (the type's path from where it is used).
pub(super) fn media_type(
    ty: &TypeRef,
    media: Media,
    tokens: fn(&TypeRef) -> TokenStream,
) -> TokenStream {
    match media {
        Media::Json => tokens(ty),
        Media::Text => quote!(String),
        Media::Binary | Media::Form | Media::Multipart => quote!(codegen::Bytes),
    }
}

/// The runtime's decoder of a success body.
fn decoder(media: Media) -> TokenStream {
    match media {
        Media::Json => quote!(codegen::decode_json),
        Media::Text => quote!(codegen::decode_text),
        Media::Binary | Media::Form | Media::Multipart => quote!(codegen::decode_bytes),
    }
}
