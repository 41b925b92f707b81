//! The statements that turn a call builder's values into the runtime's
//! `Request`: the operation's static description, each parameter in its
//! place and style, and the body.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::decoders::Decoders;
use super::type_tokens;
use crate::ir::{Media, Operation, Param, ParamLocation, ParamStyle, SecurityScheme, TypeRef};

/// The operation's static description, as a `codegen::Operation`
/// constant expression; `service` is the service's name in the
/// configuration.
pub(super) fn operation_static(
    operation: &Operation,
    service: &str,
    decoders: &Decoders,
) -> TokenStream {
    let method = format_ident!("{}", operation.http_method.variant());
    let id = &operation.id;
    let path = &operation.path;
    let mut builder =
        quote!(codegen::Operation::new(#id, codegen::Method::#method, #path).in_service(#service));
    if operation.idempotent {
        builder = quote!(#builder.idempotent());
    }
    if let Some(header) = &operation.idempotency_header {
        builder = quote!(#builder.idempotency_header(#header));
    }
    if !operation.security.is_empty() {
        let requirements = operation.security.iter().map(|requirement| {
            let schemes = requirement.iter().map(scheme_tokens);
            quote!(&[#(#schemes),*])
        });
        let optional = operation.security_optional;
        builder = quote! {
            #builder.security(codegen::Security { requirements: &[#(#requirements),*], optional: #optional })
        };
    }
    if !operation.link_fields.is_empty() {
        let fields = &operation.link_fields;
        builder = quote!(#builder.link_fields(&[#(#fields),*]));
    }
    if let Some(decoder) = decoders.name_for(&operation.errors) {
        builder = quote!(#builder.error_decoder(#decoder));
    }
    builder
}

/// The statements that add each parameter and the body to `request`;
/// `value_of` gives the expression holding a parameter's value, `body` the
/// body's.
pub(super) fn request_statements(
    operation: &Operation,
    value_of: impl Fn(&Param) -> Option<TokenStream>,
    body: &TokenStream,
) -> TokenStream {
    let steps = operation.params.iter().filter_map(|param| {
        let value = value_of(param)?;
        Some(param_step(param, operation, &value))
    });
    let body_step = operation.body.as_ref().map(|described| {
        let content_type = &described.content_type;
        let set = match described.media {
            // A JSON media type of its own (`application/vnd.api+json`) is
            // sent as it is: servers of such types refuse plain JSON.
            Media::Json if is_own_json_type(content_type) => {
                quote!(.json_as(#content_type, body))
            }
            Media::Json => quote!(.json(body)),
            Media::Form => quote!(.form(body)),
            Media::Multipart => quote!(.multipart(body)),
            Media::Text => quote!(.raw_body(#content_type, body.to_owned())),
            Media::Binary => quote!(.raw_body(#content_type, body)),
        };
        if described.required {
            quote!(let body = #body; let request = request #set;)
        } else {
            quote! {
                let request = match #body {
                    Some(body) => request #set,
                    None => request,
                };
            }
        }
    });
    quote! {
        #(#steps)*
        #body_step
    }
}

/// The type a call builder holds a parameter's value in, borrowing for
/// `'a` what is not `Copy`.
pub(crate) fn param_type(param: &Param, operation: &Operation) -> TokenStream {
    let is_key = is_idempotency_key(param, operation);
    match &param.ty {
        _ if is_key => quote!(&'a str),
        TypeRef::String => quote!(&'a str),
        TypeRef::Array(item) => {
            let item = type_tokens(item);
            quote!(&'a [#item])
        }
        ty if ty.is_copy() => type_tokens(ty),
        ty => {
            let ty = type_tokens(ty);
            quote!(&'a #ty)
        }
    }
}

/// Whether [`param_type`] borrows the value.
pub(super) fn borrows(param: &Param, operation: &Operation) -> bool {
    is_idempotency_key(param, operation) || !param.ty.is_copy()
}

/// The type a call builder holds the body in.
pub(crate) fn body_type(media: Media, ty: &TypeRef) -> TokenStream {
    match media {
        Media::Json | Media::Form => {
            let inner = type_tokens(ty);
            quote!(&'a #inner)
        }
        Media::Text => quote!(&'a str),
        Media::Multipart => quote!(codegen::Multipart),
        Media::Binary => quote!(codegen::Bytes),
    }
}

/// Whether a query parameter is an object written as its properties, each
/// its own query parameter (exploded `form`).
pub(super) fn spreads_over_query(param: &Param) -> bool {
    param.location == ParamLocation::Query
        && !param.structured
        && param.style == ParamStyle::Form
        && !param.scalar_like
        && !param.ty.is_copy()
        && !matches!(param.ty, TypeRef::String | TypeRef::Array(_))
}

pub(crate) fn is_idempotency_key(param: &Param, operation: &Operation) -> bool {
    param.location == ParamLocation::Header
        && operation.idempotency_header.as_deref() == Some(param.wire.as_str())
}

/// The request-building statement for a parameter.
fn param_step(param: &Param, operation: &Operation, name: &TokenStream) -> TokenStream {
    let wire = &param.wire;
    if is_idempotency_key(param, operation) {
        return if param.required {
            quote!(let request = request.idempotency_key(#name);)
        } else {
            quote!(let request = request.idempotency_key_opt(#name);)
        };
    }
    if param.structured {
        let explode = param.explode;
        let step = |value: TokenStream| match param.location {
            ParamLocation::Path => {
                quote!(request.path_param(#wire, codegen::simple(#value, #explode)))
            }
            ParamLocation::Query if explode => {
                quote!(request.query_array(#wire, codegen::pieces(#value), true))
            }
            ParamLocation::Query => quote!(request.query(#wire, codegen::simple(#value, false))),
            ParamLocation::Header => {
                quote!(request.header(#wire, codegen::simple(#value, #explode)))
            }
            ParamLocation::Cookie => {
                quote!(request.cookie(#wire, codegen::simple(#value, #explode)))
            }
        };
        return if param.required {
            let step = step(quote!(#name));
            quote!(let request = #step;)
        } else {
            let step = step(quote!(value));
            quote! {
                let request = match #name {
                    Some(value) => #step,
                    None => request,
                };
            }
        };
    }
    let value = |value: TokenStream| match &param.ty {
        TypeRef::DateTime => quote!(codegen::rfc3339(&#value)),
        _ => value,
    };
    let joined = |values: TokenStream, separator: &str| match &param.ty {
        TypeRef::Array(item) if matches!(item.as_ref(), TypeRef::DateTime) => {
            quote!(codegen::join(#values.iter().map(codegen::rfc3339), #separator))
        }
        _ => quote!(codegen::join(#values.iter(), #separator)),
    };
    let is_array = matches!(param.ty, TypeRef::Array(_));
    let (call, value): (TokenStream, Box<dyn Fn(TokenStream) -> TokenStream>) =
        match (param.location, param.style) {
            (ParamLocation::Query, ParamStyle::DeepObject) if !param.scalar_like => {
                (quote!(query_deep), Box::new(|v| v))
            }
            (ParamLocation::Query, _) if is_array && !param.scalar_like => {
                (quote!(query_deep), Box::new(|v| v))
            }
            (ParamLocation::Query, ParamStyle::Form) if spreads_over_query(param) => {
                (quote!(query_object), Box::new(|v| v))
            }
            (ParamLocation::Query, ParamStyle::Form) if is_array => {
                let explode = param.explode;
                let each = match &param.ty {
                    TypeRef::Array(item) if matches!(item.as_ref(), TypeRef::DateTime) => {
                        quote!(.iter().map(codegen::rfc3339))
                    }
                    _ => quote!(.iter()),
                };
                return if param.required {
                    quote!(let request = request.query_array(#wire, #name #each, #explode);)
                } else {
                    quote! {
                        let request = match #name {
                            Some(values) => request.query_array(#wire, values #each, #explode),
                            None => request,
                        };
                    }
                };
            }
            (ParamLocation::Query, ParamStyle::SpaceDelimited) if is_array => {
                (quote!(query), Box::new(move |v| joined(v, " ")))
            }
            (ParamLocation::Query, ParamStyle::PipeDelimited) if is_array => {
                (quote!(query), Box::new(move |v| joined(v, "|")))
            }
            (location, _) if is_array => {
                let call = match location {
                    ParamLocation::Path => quote!(path_param),
                    ParamLocation::Query => quote!(query),
                    ParamLocation::Header => quote!(header),
                    ParamLocation::Cookie => quote!(cookie),
                };
                (call, Box::new(move |v| joined(v, ",")))
            }
            (location, _) => {
                let call = match location {
                    ParamLocation::Path => quote!(path_param),
                    ParamLocation::Query => quote!(query),
                    ParamLocation::Header => quote!(header),
                    ParamLocation::Cookie => quote!(cookie),
                };
                (call, Box::new(value))
            }
        };
    if param.required {
        let value = value(quote!(#name));
        quote!(let request = request.#call(#wire, #value);)
    } else {
        let value = value(quote!(value));
        quote! {
            let request = match #name {
                Some(value) => request.#call(#wire, #value),
                None => request,
            };
        }
    }
}

fn scheme_tokens(scheme: &SecurityScheme) -> TokenStream {
    let api_key = |location: TokenStream, name: &str| quote!(codegen::AuthScheme::ApiKey { location: codegen::ApiKeyLocation::#location, name: #name });
    match scheme {
        SecurityScheme::Bearer => quote!(codegen::AuthScheme::Bearer),
        SecurityScheme::Basic => quote!(codegen::AuthScheme::Basic),
        SecurityScheme::ApiKeyHeader(name) => api_key(quote!(Header), name),
        SecurityScheme::ApiKeyQuery(name) => api_key(quote!(Query), name),
        SecurityScheme::ApiKeyCookie(name) => api_key(quote!(Cookie), name),
    }
}

/// Whether a JSON body's content type is other than `application/json`
/// (or the `*/*` that stands for it).
fn is_own_json_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    !essence.eq_ignore_ascii_case("application/json") && essence != "*/*"
}
