//! Emitting a service's client: one thin async method per operation that
//! describes the request and hands it to the runtime once.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attr, ident, type_tokens};
use crate::ir::{
    ErrorBody, Media, Operation, Param, ParamLocation, ParamStyle, SecurityScheme, Service,
    StatusMatch, Success, TypeRef,
};

/// A service's client, in parts that can be placed in one file or several.
pub(super) struct ClientParts {
    /// The client's name.
    pub(super) name: proc_macro2::Ident,
    /// The struct.
    pub(super) definition: TokenStream,
    /// Constructors and accessors, for the `impl` block.
    pub(super) constructors: TokenStream,
    /// Success enums and error decoder functions.
    pub(super) extras: TokenStream,
}

/// The methods of the service's operations in `range`, for `impl` blocks.
pub(super) fn emit_methods(
    service: &Service,
    decoders: &Decoders,
    range: std::ops::Range<usize>,
) -> Vec<TokenStream> {
    service.operations[range]
        .iter()
        .map(|operation| emit_method(operation, decoders))
        .collect()
}

/// The client struct, its constructors, error decoders and success enums.
pub(super) fn emit_client(service: &Service, decoders: &Decoders) -> ClientParts {
    let client = ident(&service.client);
    let service_name = &service.service_name;
    let env = format!("{}_SERVICE_URL", service_name.to_ascii_uppercase());
    let docs = doc_attr(None, || {
        format!(
            "Client of the {} service ({} {}).",
            service.service_name, service.title, service.version
        )
    });
    let new_docs = doc_attr(None, || {
        format!("A client over `session`; the base URL comes from `{env}`.")
    });
    let success_enums = service.operations.iter().filter_map(emit_success_enum);
    let decoder_fns = decoders.emit();
    ClientParts {
        definition: quote! {
            #docs
            #[derive(Clone, Debug)]
            pub struct #client {
                service: codegen::ServiceClient,
            }
        },
        constructors: quote! {
            /// The service's name in the configuration.
            pub const SERVICE: &'static str = #service_name;

            #new_docs
            pub fn new(session: &codegen::Session) -> Result<Self, codegen::ConfigError> {
                session.service(Self::SERVICE).map(Self::from_service)
            }

            /// A client over an existing service handle.
            pub fn from_service(service: codegen::ServiceClient) -> Self {
                Self { service }
            }

            /// A client whose calls use `options` (timeouts, retry policy,
            /// idempotency key, extra headers); it shares this one's pool,
            /// breaker and retry budget.
            pub fn with_options(&self, options: codegen::CallOptions) -> Self {
                Self::from_service(self.service.with_options(options))
            }

            /// The runtime handle behind this client.
            pub fn service(&self) -> &codegen::ServiceClient {
                &self.service
            }
        },
        extras: quote! {
            #(#success_enums)*

            #decoder_fns
        },
        name: client,
    }
}

fn emit_method(operation: &Operation, decoders: &Decoders) -> TokenStream {
    let name = ident(&operation.method_name);
    let method = format_ident!("{}", operation.http_method.variant());
    let id = &operation.id;
    let path = &operation.path;
    let mut docs = operation.docs.clone().unwrap_or_default();
    if !docs.is_empty() {
        docs.push_str("\n\n");
    }
    docs.push_str(&format!(
        "`{} {}`",
        operation.http_method.variant().to_ascii_uppercase(),
        operation.path
    ));
    let described: Vec<String> = operation
        .params
        .iter()
        .filter_map(|param| {
            // The first paragraph, on one line: a list item must not run on.
            let docs = param
                .docs
                .as_deref()?
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            let first = docs.split("\n\n").next()?;
            let text = first.split_whitespace().collect::<Vec<_>>().join(" ");
            Some(format!(
                "- `{}`: {text}",
                param.name.trim_start_matches("r#")
            ))
        })
        .collect();
    if !described.is_empty() {
        docs.push_str("\n\n# Parameters\n\n");
        docs.push_str(&described.join("\n"));
    }
    let docs = doc_attr(Some(&docs), String::new);
    let deprecated = operation.deprecated.then(|| quote!(#[deprecated]));

    let mut builder = quote!(codegen::Operation::new(#id, codegen::Method::#method, #path));
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

    let args = operation.params.iter().map(|param| {
        let name = ident(&param.name);
        let ty = param_type(param, operation);
        quote!(#name: #ty)
    });
    let body_arg = operation.body.as_ref().map(|body| {
        let ty = match body.media {
            Media::Json | Media::Form => {
                let inner = type_tokens(&body.ty);
                quote!(&#inner)
            }
            Media::Text => quote!(&str),
            Media::Multipart => quote!(codegen::Multipart),
            Media::Binary => quote!(codegen::Bytes),
        };
        if body.required {
            quote!(body: #ty)
        } else {
            quote!(body: Option<#ty>)
        }
    });
    let args: Vec<TokenStream> = args.chain(body_arg).collect();
    let many_args = (args.len() > 6).then(|| quote!(#[allow(clippy::too_many_arguments)]));

    let steps = operation
        .params
        .iter()
        .map(|param| param_step(param, operation));
    let body_step = operation.body.as_ref().map(|body| {
        let content_type = &body.content_type;
        let set = match body.media {
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
        if body.required {
            quote!(let request = request #set;)
        } else {
            quote! {
                let request = match body {
                    Some(body) => request #set,
                    None => request,
                };
            }
        }
    });
    let (output, finish) = success_tokens(operation);
    quote! {
        #docs
        #deprecated
        #many_args
        pub async fn #name(&self, #(#args),*) -> Result<#output, codegen::MicroserviceError> {
            static OPERATION: codegen::Operation = #builder;
            let request = codegen::Request::new(&OPERATION);
            #(#steps)*
            #body_step
            #finish
        }
    }
}

/// The argument type of a parameter.
fn param_type(param: &Param, operation: &Operation) -> TokenStream {
    let is_key = is_idempotency_key(param, operation);
    let ty = match &param.ty {
        _ if is_key => quote!(&str),
        TypeRef::String => quote!(&str),
        TypeRef::Array(item) => {
            let item = type_tokens(item);
            quote!(&[#item])
        }
        ty if ty.is_copy() => type_tokens(ty),
        ty => {
            let ty = type_tokens(ty);
            quote!(&#ty)
        }
    };
    if param.required {
        ty
    } else {
        quote!(Option<#ty>)
    }
}

/// Whether a named parameter type is a string enum or alias of a scalar
/// (written with `Display`), as opposed to an object.
fn is_scalar_named(param: &Param) -> bool {
    param.scalar_like
}

fn is_idempotency_key(param: &Param, operation: &Operation) -> bool {
    param.location == ParamLocation::Header
        && operation.idempotency_header.as_deref() == Some(param.wire.as_str())
}

/// The request-building statement for a parameter.
fn param_step(param: &Param, operation: &Operation) -> TokenStream {
    let name = ident(&param.name);
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
    let is_object = !is_array
        && !param.ty.is_copy()
        && !matches!(param.ty, TypeRef::String)
        && matches!(param.style, ParamStyle::DeepObject | ParamStyle::Form)
        && param.location == ParamLocation::Query
        && !is_scalar_named(param);
    let (call, value): (TokenStream, Box<dyn Fn(TokenStream) -> TokenStream>) =
        match (param.location, param.style) {
            (ParamLocation::Query, ParamStyle::DeepObject) if !param.scalar_like => {
                (quote!(query_deep), Box::new(|v| v))
            }
            (ParamLocation::Query, _) if is_array && !param.scalar_like => {
                (quote!(query_deep), Box::new(|v| v))
            }
            (ParamLocation::Query, ParamStyle::Form) if is_object => {
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

/// The method's output type and the statements that produce it.
fn success_tokens(operation: &Operation) -> (TokenStream, TokenStream) {
    let send = quote!(self.service.execute(request).await?);
    match &operation.success {
        Success::Empty => (quote!(()), quote!(#send; Ok(()))),
        Success::One { ty, media } => (media_type(ty, *media), decode(*media, send)),
        Success::Several {
            name,
            variants,
            catch_all,
        } => {
            let enum_name = ident(name);
            let catch_all = *catch_all;
            let other = (!catch_all).then(|| {
                quote! {
                    status => #enum_name::Other { status, body: response.into_body() },
                }
            });
            let arms = variants.iter().enumerate().map(|(index, variant)| {
                let status = variant.status;
                let variant_name = ident(&variant.name);
                let value = match &variant.ty {
                    Some(_) => {
                        let decoded = decode(variant.media, quote!(response));
                        quote!(#enum_name::#variant_name(#decoded?))
                    }
                    None => quote!(#enum_name::#variant_name),
                };
                if catch_all && index + 1 == variants.len() {
                    quote!(_ => #value,)
                } else {
                    let status = proc_macro2::Literal::u16_unsuffixed(status);
                    quote!(#status => #value,)
                }
            });
            (
                quote!(#enum_name),
                quote! {
                    let response = #send;
                    Ok(match response.status() {
                        #(#arms)*
                        #other
                    })
                },
            )
        }
    }
}

fn media_type(ty: &TypeRef, media: Media) -> TokenStream {
    match media {
        Media::Json => type_tokens(ty),
        Media::Text => quote!(String),
        Media::Binary | Media::Form | Media::Multipart => quote!(codegen::Bytes),
    }
}

fn decode(media: Media, response: TokenStream) -> TokenStream {
    match media {
        Media::Json => quote!(#response.json()),
        Media::Text => quote!(#response.text()),
        Media::Binary | Media::Form | Media::Multipart => quote!(Ok(#response.into_body())),
    }
}

fn emit_success_enum(operation: &Operation) -> Option<TokenStream> {
    let Success::Several {
        name,
        variants,
        catch_all,
    } = &operation.success
    else {
        return None;
    };
    let other = (!catch_all).then(|| {
        quote! {
            /// A 2xx status the spec does not declare for this operation,
            /// with the raw body: it is not decoded as one of the others.
            Other {
                /// The status.
                status: u16,
                /// The raw body.
                body: codegen::Bytes,
            },
        }
    });
    let name = ident(name);
    let docs = doc_attr(None, || {
        format!("The successful answers of `{}`.", operation.method_name)
    });
    let arms = variants.iter().enumerate().map(|(index, variant)| {
        let variant_name = ident(&variant.name);
        let doc = if *catch_all && index + 1 == variants.len() {
            " Any other 2xx status (`2XX`).".to_owned()
        } else {
            format!(" Status {}.", variant.status)
        };
        match &variant.ty {
            Some(ty) => {
                let ty = media_type(ty, variant.media);
                quote!(#[doc = #doc] #variant_name(#ty),)
            }
            None => quote!(#[doc = #doc] #variant_name,),
        }
    });
    Some(quote! {
        #docs
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#arms)*
            #other
        }
    })
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

/// Error decoder functions, shared by operations with the same error bodies.
pub(super) struct Decoders {
    by_errors: BTreeMap<Vec<(StatusMatch, TypeRef)>, String>,
}

impl Decoders {
    /// Each decoder is named for what it decodes, statuses and bodies
    /// (`decode_401_403_error_detail_422_http_validation_error`).
    pub(super) fn new(operations: &[Operation]) -> Self {
        let by_errors = operations
            .iter()
            .map(|operation| Self::key(&operation.errors))
            .filter(|key| !key.is_empty())
            .map(|key| {
                let name = Self::name_of(&key);
                (key, name)
            })
            .collect();
        Self { by_errors }
    }

    /// The statuses of each error body, then the body, for each body.
    fn name_of(key: &[(StatusMatch, TypeRef)]) -> String {
        let mut groups: Vec<(&TypeRef, Vec<String>)> = Vec::new();
        for (status, ty) in key {
            let status = match status {
                StatusMatch::Code(code) => code.to_string(),
                StatusMatch::Class(class) => format!("{class}xx"),
                StatusMatch::Default => "default".to_owned(),
            };
            match groups.iter_mut().find(|(group, _)| *group == ty) {
                Some((_, statuses)) => statuses.push(status),
                None => groups.push((ty, vec![status])),
            }
        }
        let parts: Vec<String> = groups
            .into_iter()
            .map(|(ty, statuses)| {
                let body = match ty {
                    TypeRef::Named(name) => crate::naming::snake(name),
                    _ => "json".to_owned(),
                };
                format!("{}_{}", statuses.join("_"), body.trim_start_matches("r#"))
            })
            .collect();
        format!("decode_{}", parts.join("_"))
    }

    fn key(errors: &[ErrorBody]) -> Vec<(StatusMatch, TypeRef)> {
        let mut key: Vec<_> = errors
            .iter()
            .map(|error| (error.status, error.ty.clone()))
            .collect();
        key.sort();
        key
    }

    fn name_for(&self, errors: &[ErrorBody]) -> Option<proc_macro2::Ident> {
        self.by_errors
            .get(&Self::key(errors))
            .map(|name| format_ident!("{}", name))
    }

    fn emit(&self) -> TokenStream {
        let mut by_name: Vec<(&String, &Vec<(StatusMatch, TypeRef)>)> = self
            .by_errors
            .iter()
            .map(|(key, name)| (name, key))
            .collect();
        by_name.sort();
        let fns = by_name.into_iter().map(|(name, errors)| {
            let name = format_ident!("{}", name);
            // Group statuses by type; codes first, then classes, then default.
            let mut groups: Vec<(TypeRef, Vec<StatusMatch>)> = Vec::new();
            for (status, ty) in errors {
                match groups.iter_mut().find(|(group_ty, _)| group_ty == ty) {
                    Some((_, statuses)) => statuses.push(*status),
                    None => groups.push((ty.clone(), vec![*status])),
                }
            }
            let mut arms: Vec<(StatusMatch, TokenStream)> = Vec::new();
            for (ty, statuses) in &groups {
                let ty = type_tokens(ty);
                let decode = quote!(codegen::decode_error::<#ty>(body));
                let codes: Vec<u16> = statuses
                    .iter()
                    .filter_map(|s| match s {
                        StatusMatch::Code(code) => Some(*code),
                        _ => None,
                    })
                    .collect();
                if let Some(first) = codes.first() {
                    let codes = codes
                        .iter()
                        .map(|code| proc_macro2::Literal::u16_unsuffixed(*code));
                    arms.push((StatusMatch::Code(*first), quote!(#(#codes)|* => #decode,)));
                }
                for status in statuses {
                    match status {
                        StatusMatch::Class(class) => {
                            let low = proc_macro2::Literal::u16_unsuffixed(class * 100);
                            let high = proc_macro2::Literal::u16_unsuffixed(class * 100 + 99);
                            arms.push((*status, quote!(#low..=#high => #decode,)));
                        }
                        StatusMatch::Default => arms.push((*status, quote!(_ => #decode,))),
                        StatusMatch::Code(_) => {}
                    }
                }
            }
            arms.sort_by_key(|(status, _)| *status);
            let has_default = arms
                .iter()
                .any(|(status, _)| *status == StatusMatch::Default);
            let arms = arms.into_iter().map(|(_, arm)| arm);
            let fallback = (!has_default).then(|| quote!(_ => None,));
            quote! {
                fn #name(status: u16, body: &[u8]) -> Option<Box<dyn codegen::ErrorBody>> {
                    match status {
                        #(#arms)*
                        #fallback
                    }
                }
            }
        });
        quote!(#(#fns)*)
    }
}

/// Whether a JSON body's content type is other than `application/json`
/// (or the `*/*` that stands for it).
fn is_own_json_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    !essence.eq_ignore_ascii_case("application/json") && essence != "*/*"
}
