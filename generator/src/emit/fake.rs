//! Emitting a service's typed fake (`<module>/fake.rs`, compiled under the
//! generated crate's `fakes` feature): per operation, the typed arguments
//! a request is read into, the enum of its declared errors, and the
//! `on_`/`script_`/`_calls` methods of the service's fake, over the
//! runtime's `ServiceFake`.

use std::collections::BTreeSet;
use std::ops::Range;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::builder::{field_name, media_type};
use super::request::{is_idempotency_key, spreads_over_query};
use super::{ident, parent_type_tokens};
use crate::ir::{
    ErrorBody, Media, Operation, Param, ParamLocation, ParamStyle, SecurityScheme, Service,
    StatusMatch, Success, TypeKind, TypeRef,
};

/// The fake type of a service whose client is `client` (`AuthClient` ->
/// `AuthFake`).
pub(crate) fn fake_name(client: &str) -> Ident {
    ident(&format!(
        "{}Fake",
        client.strip_suffix("Client").unwrap_or(client)
    ))
}

/// The base URL a fake's client is given: a name that resolves nowhere.
pub(crate) fn placeholder_url(module: &str) -> String {
    format!(
        "http://{}.fake.invalid",
        module.trim_start_matches("r#").replace('_', "-")
    )
}

/// The name of the `number`th file of a big service's fake operations.
pub(super) fn operations_part(number: usize) -> Ident {
    format_ident!("fake_operations_{number:02}")
}

/// The items of `<module>/fake.rs`: the service's fake, and its operations'
/// items, or, for a big service, the re-exports of the `parts` files
/// ([`fake_part`]) that hold them.
pub(super) fn fake_module(service: &Service, parts: usize) -> TokenStream {
    let fake = fake_name(&service.client);
    let client = ident(&service.client);
    let service_name = &service.service_name;
    let placeholder = placeholder_url(&service.module);
    let (declares, methods, items, uses, visibility) = if parts == 0 {
        let statics = service.operations.iter().map(static_name);
        (
            quote!(#(fake.declare(&#statics);)*),
            operation_methods(service, 0..service.operations.len()),
            operation_items_of(service, 0..service.operations.len()),
            TokenStream::new(),
            TokenStream::new(),
        )
    } else {
        let parts: Vec<Ident> = (1..=parts).map(operations_part).collect();
        // Each part's arguments and errors, re-exported by name.
        let reexports = service
            .operations
            .chunks(super::OPERATIONS_PER_FILE)
            .zip(&parts)
            .map(|(operations, part)| {
                let names = operations.iter().flat_map(|operation| {
                    let Names {
                        arguments, error, ..
                    } = names(operation);
                    [arguments, error]
                });
                quote!(pub use super::#part::{#(#names),*};)
            });
        (
            quote!(#(super::#parts::declare(&fake);)*),
            TokenStream::new(),
            TokenStream::new(),
            quote!(#(#reexports)*),
            // The parts' methods reach the runtime's fake.
            quote!(pub(super)),
        )
    };
    let module_docs = format!(
        " The {service_name} service in memory, for tests of code that calls it: [`{fake}`]."
    );
    let fake_docs = format!(
        " The {service_name} service in memory: each operation answers from its script, then its handler, with typed values; every request is read against the spec first (a mismatch fails the test that made it)."
    );
    quote! {
        #![doc = #module_docs]
        #![allow(
            rustdoc::bare_urls,
            rustdoc::broken_intra_doc_links,
            rustdoc::invalid_html_tags
        )]

        use clientgen_runtime::codegen;
        #uses

        #[doc = #fake_docs]
        #[derive(Clone, Debug)]
        pub struct #fake {
            #visibility fake: codegen::ServiceFake,
        }

        impl #fake {
            /// The service on `upstream` (which may carry other services' fakes too).
            pub fn new(upstream: &codegen::FakeUpstream) -> Self {
                let fake = codegen::ServiceFake::new(upstream);
                #declares
                Self { fake }
            }

            /// The upstream it answers on: a session's transport.
            pub fn upstream(&self) -> &codegen::FakeUpstream {
                self.fake.upstream()
            }

            /// A client over this fake: the service's URL in `config` is a placeholder.
            pub fn client(
                &self,
                config: codegen::RuntimeConfigBuilder,
            ) -> Result<super::#client, codegen::ConfigError> {
                let config = config.service_url(super::#client::SERVICE, #placeholder).build()?;
                let session = codegen::Session::with_transport(config, self.upstream().clone());
                super::#client::new(&session)
            }

            #methods
        }

        #items
    }
}

/// One of a big service's `fake_operations_NN.rs` files: the fake's
/// methods and the items of the operations in `range`, and `declare`,
/// which checks their requests from the fake's start.
pub(super) fn fake_part(service: &Service, number: usize, range: Range<usize>) -> TokenStream {
    let fake = fake_name(&service.client);
    let docs = format!(
        " The {} service's fake: operations, part {number}.",
        service.service_name
    );
    let statics = service.operations[range.clone()].iter().map(static_name);
    let methods = operation_methods(service, range.clone());
    let items = operation_items_of(service, range);
    quote! {
        #![doc = #docs]
        #![allow(
            rustdoc::bare_urls,
            rustdoc::broken_intra_doc_links,
            rustdoc::invalid_html_tags
        )]

        use clientgen_runtime::codegen;

        use super::fake::#fake;

        /// Checks the requests of this part's operations from now on.
        pub(super) fn declare(fake: &codegen::ServiceFake) {
            #(fake.declare(&#statics);)*
        }

        impl #fake {
            #methods
        }

        #items
    }
}

/// The fake's methods of the operations in `range`.
fn operation_methods(service: &Service, range: Range<usize>) -> TokenStream {
    let methods = service.operations[range]
        .iter()
        .map(|operation| methods(operation, &service.client));
    quote!(#(#methods)*)
}

/// The arguments, errors and statics of the operations in `range`.
fn operation_items_of(service: &Service, range: Range<usize>) -> TokenStream {
    let untagged: BTreeSet<&str> = service
        .types
        .iter()
        .filter(|def| matches!(def.kind, TypeKind::Untagged { .. }))
        .map(|def| def.name.as_str())
        .collect();
    let items = service.operations[range]
        .iter()
        .map(|operation| operation_items(operation, &service.service_name, &untagged));
    quote!(#(#items)*)
}

/// The names of one operation's fake items.
struct Names {
    arguments: Ident,
    error: Ident,
    operation: Ident,
}

fn names(operation: &Operation) -> Names {
    let base = operation
        .builder_name
        .strip_suffix("Call")
        .unwrap_or(&operation.builder_name);
    Names {
        arguments: format_ident!("{base}Args"),
        error: format_ident!("{base}Error"),
        operation: static_name(operation),
    }
}

fn static_name(operation: &Operation) -> Ident {
    format_ident!(
        "{}",
        operation
            .method_name
            .trim_start_matches("r#")
            .to_ascii_uppercase()
    )
}

/// What a success of `operation` is, in the fake module.
fn success_type(operation: &Operation) -> TokenStream {
    match &operation.success {
        Success::Empty => quote!(()),
        Success::One { ty, media } => media_type(ty, *media, parent_type_tokens),
        Success::Several { name, .. } => {
            let name = ident(name);
            quote!(super::#name)
        }
    }
}

/// The fake's `on_`, `script_` and `_calls` methods of `operation`.
fn methods(operation: &Operation, client: &str) -> TokenStream {
    let Names {
        arguments,
        error,
        operation: operation_static,
    } = names(operation);
    let success = success_type(operation);
    let method = operation.method_name.trim_start_matches("r#");
    let on = format_ident!("on_{method}");
    let script = format_ident!("script_{method}");
    let calls = format_ident!("{method}_calls");
    let target = &operation.method_name;
    let shown = format!(
        "[`{method}`](super::{client}::{target}) (`{} {}`)",
        operation.http_method.variant().to_ascii_uppercase(),
        operation.path
    );
    let on_docs = format!(" Answers {shown} with `handler`, once its script is used up.");
    let script_docs = format!(" Answers the next calls of {shown} with `answers`, in order.");
    let calls_docs = format!(" The arguments of every call of {shown} received so far, in order.");
    quote! {
        #[doc = #on_docs]
        pub fn #on(
            &self,
            handler: impl Fn(#arguments) -> codegen::Answer<#success, #error> + Send + Sync + 'static,
        ) -> &Self {
            self.fake.on(&#operation_static, handler);
            self
        }

        #[doc = #script_docs]
        pub fn #script(
            &self,
            answers: impl IntoIterator<Item = codegen::Answer<#success, #error>>,
        ) -> &Self {
            self.fake.script(&#operation_static, answers);
            self
        }

        #[doc = #calls_docs]
        pub fn #calls(&self) -> Vec<#arguments> {
            self.fake.calls(&#operation_static)
        }
    }
}

/// A parameter's field in the arguments struct.
fn param_field(param: &Param) -> Ident {
    field_name(&param.name, true)
}

/// The arguments struct, the error enum and the static of `operation`;
/// `untagged` names the service's untagged unions.
fn operation_items(
    operation: &Operation,
    service_name: &str,
    untagged: &BTreeSet<&str>,
) -> TokenStream {
    let Names {
        arguments,
        error,
        operation: operation_static,
    } = names(operation);
    let method = operation.method_name.trim_start_matches("r#");
    let fields = operation.params.iter().map(|param| {
        let name = param_field(param);
        let ty = param_type(param, operation);
        let place = place_name(param.location);
        let docs = if is_idempotency_key(param, operation) && !param.required {
            format!(
                " The `{}` {place}: the caller's key, or the one the runtime made for the call.",
                param.wire
            )
        } else {
            format!(" The `{}` {place}.", param.wire)
        };
        quote!(#[doc = #docs] pub #name: #ty)
    });
    let body_field = operation.body.as_ref().map(|body| {
        let ty = match body.media {
            Media::Form => parent_type_tokens(&body.ty),
            media => media_type(&body.ty, media, parent_type_tokens),
        };
        let ty = if body.required || matches!(body.media, Media::Binary | Media::Multipart) {
            ty
        } else {
            quote!(Option<#ty>)
        };
        let docs = match body.media {
            Media::Multipart => " The body, as sent (a multipart form).",
            Media::Binary => " The body, as sent.",
            _ => " The body.",
        };
        quote!(#[doc = #docs] pub body: #ty,)
    });
    let reads = operation.params.iter().map(|param| {
        let name = param_field(param);
        let read = param_read(param, operation);
        // The runtime makes up an optional key the caller did not give; a
        // value read by guessing (a union, any JSON) may not be the one sent.
        let made_up = is_idempotency_key(param, operation) && !param.required;
        let checked = param
            .schema
            .as_ref()
            .filter(|_| !made_up && !guessed(&param.ty, untagged));
        match checked {
            Some(schema) => {
                let place = format!("{} `{}`", place_name(param.location), param.wire);
                quote!(#name: request.checked(#read?, #schema, #place)?)
            }
            None => quote!(#name: #read?),
        }
    });
    let reads_request = !operation.params.is_empty() || operation.body.is_some();
    let request = if reads_request {
        quote!(request)
    } else {
        quote!(_)
    };
    let body_read = operation.body.as_ref().map(|body| match body.media {
        Media::Json => quote!(body: request.json()?,),
        Media::Form => quote!(body: request.form()?,),
        Media::Text => quote!(body: request.text()?,),
        Media::Binary | Media::Multipart => quote!(body: request.bytes(),),
    });
    let success = success_type(operation);
    let success_reply = success_reply(operation);
    let query = match declared_query(operation) {
        Some(names) => quote!(Some(&[#(#names),*])),
        None => quote!(None),
    };
    let id = &operation.id;
    let path = &operation.path;
    let body_schema = match operation
        .body
        .as_ref()
        .and_then(|body| body.schema.as_deref())
    {
        Some(schema) => quote!(Some(#schema)),
        None => quote!(None),
    };
    let arguments_docs =
        format!(" The arguments of one call of `{method}`, as the fake received them.");
    let error_items = error_enum(&error, &operation.errors, method);
    quote! {
        #[doc = #arguments_docs]
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub struct #arguments {
            #(#fields,)*
            #body_field
        }

        #error_items

        static #operation_static: codegen::FakeOperation<#arguments, #success> = codegen::FakeOperation {
            service: #service_name,
            id: #id,
            path: #path,
            query: #query,
            body_schema: #body_schema,
            arguments: |#request| {
                Ok(#arguments {
                    #(#reads,)*
                    #body_read
                })
            },
            success: #success_reply,
        };
    }
}

/// Whether a parameter of type `ty` is read by guessing what its text
/// holds (any JSON, an untagged union, or a list of those), so that its
/// value may differ from the one the client wrote.
fn guessed(ty: &TypeRef, untagged: &BTreeSet<&str>) -> bool {
    match ty {
        TypeRef::Json => true,
        TypeRef::Named(name) => untagged.contains(name.as_str()),
        TypeRef::Array(item) | TypeRef::Boxed(item) | TypeRef::Nullable(item) => {
            guessed(item, untagged)
        }
        _ => false,
    }
}

/// What a parameter in `location` is called in docs and messages.
fn place_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path parameter",
        ParamLocation::Query => "query parameter",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// The owned type of a parameter's value in the arguments struct.
fn param_type(param: &Param, operation: &Operation) -> TokenStream {
    let ty = if is_idempotency_key(param, operation) {
        quote!(String)
    } else {
        parent_type_tokens(&param.ty)
    };
    if param.required {
        ty
    } else {
        quote!(Option<#ty>)
    }
}

/// How the fake reads a parameter back: the mirror of how the client
/// writes it (`request::param_step`).
fn param_read(param: &Param, operation: &Operation) -> TokenStream {
    let wire = &param.wire;
    let explode = param.explode;
    if is_idempotency_key(param, operation) {
        return quote!(request.header(#wire, false));
    }
    let is_array = matches!(param.ty, TypeRef::Array(_));
    if param.structured {
        return match param.location {
            ParamLocation::Path => quote!(request.path(#wire, #explode)),
            ParamLocation::Query if explode => quote!(request.query_exploded(#wire)),
            ParamLocation::Query => quote!(request.query(#wire, ',')),
            ParamLocation::Header => quote!(request.header(#wire, #explode)),
            ParamLocation::Cookie => quote!(request.cookie(#wire, #explode)),
        };
    }
    match (param.location, param.style) {
        (ParamLocation::Query, ParamStyle::DeepObject) if !param.scalar_like => {
            quote!(request.query_deep(#wire))
        }
        (ParamLocation::Query, _) if is_array && !param.scalar_like => {
            quote!(request.query_deep(#wire))
        }
        (ParamLocation::Query, ParamStyle::Form) if spreads_over_query(param) => {
            // The other parameters and the API keys of the query are not
            // the object's properties.
            let others = operation
                .params
                .iter()
                .filter(|other| other.location == ParamLocation::Query && other.wire != *wire)
                .map(|other| other.wire.as_str())
                .chain(query_api_keys(operation));
            quote!(request.query_object(#wire, &[#(#others),*]))
        }
        (ParamLocation::Query, ParamStyle::Form) if is_array && explode => {
            quote!(request.query_exploded(#wire))
        }
        (ParamLocation::Query, ParamStyle::SpaceDelimited) if is_array => {
            quote!(request.query(#wire, ' '))
        }
        (ParamLocation::Query, ParamStyle::PipeDelimited) if is_array => {
            quote!(request.query(#wire, '|'))
        }
        (ParamLocation::Query, _) => quote!(request.query(#wire, ',')),
        (ParamLocation::Path, _) => quote!(request.path(#wire, false)),
        (ParamLocation::Header, _) => quote!(request.header(#wire, false)),
        (ParamLocation::Cookie, _) => quote!(request.cookie(#wire, false)),
    }
}

/// The query parameters `operation` declares, API keys included; `None`
/// when an object is spread over the query, whose names cannot be listed.
fn declared_query(operation: &Operation) -> Option<Vec<&str>> {
    if operation.params.iter().any(spreads_over_query) {
        return None;
    }
    let params = operation
        .params
        .iter()
        .filter(|param| param.location == ParamLocation::Query)
        .map(|param| param.wire.as_str());
    let mut names: Vec<&str> = params.chain(query_api_keys(operation)).collect();
    names.sort_unstable();
    names.dedup();
    Some(names)
}

/// The names of the API keys `operation` may send in the query.
fn query_api_keys(operation: &Operation) -> impl Iterator<Item = &str> {
    operation
        .security
        .iter()
        .flatten()
        .filter_map(|scheme| match scheme {
            SecurityScheme::ApiKeyQuery(name) => Some(name.as_str()),
            _ => None,
        })
}

/// The function that writes a success value as the answer on the wire.
fn success_reply(operation: &Operation) -> TokenStream {
    let status = Literal::u16_unsuffixed(operation.success_status);
    let events = operation.events.is_some();
    match &operation.success {
        Success::Empty => quote!(|()| codegen::FakeReply::status(#status)),
        Success::One { media, .. } => {
            let value = quote!(value);
            let reply = media_reply(*media, &status, &value, events);
            quote!(|value| #reply)
        }
        Success::Several {
            name,
            variants,
            catch_all,
        } => {
            let enum_name = ident(name);
            // The catch-all variant (`2XX`) answers a 2xx no other declares.
            let fixed = variants.len().saturating_sub(usize::from(*catch_all));
            let declared: Vec<u16> = variants[..fixed]
                .iter()
                .map(|variant| variant.status)
                .collect();
            let undeclared = (200..=299)
                .find(|status| !declared.contains(status))
                .unwrap_or(299);
            let arms = variants.iter().enumerate().map(|(index, variant)| {
                let variant_name = ident(&variant.name);
                let is_catch_all = *catch_all && index + 1 == variants.len();
                let status = if is_catch_all { undeclared } else { variant.status };
                let status = Literal::u16_unsuffixed(status);
                match &variant.ty {
                    Some(_) => {
                        let reply = media_reply(variant.media, &status, &quote!(body), events);
                        quote!(super::#enum_name::#variant_name(body) => #reply,)
                    }
                    None => quote!(super::#enum_name::#variant_name => codegen::FakeReply::status(#status),),
                }
            });
            let other = (!catch_all).then(|| {
                quote! {
                    super::#enum_name::Other { status, body } => {
                        codegen::FakeReply::bytes(status, "application/octet-stream", body)
                    }
                }
            });
            quote!(|value| match value { #(#arms)* #other })
        }
    }
}

/// The reply of `status` with `value` written as `media`.
fn media_reply(media: Media, status: &Literal, value: &TokenStream, events: bool) -> TokenStream {
    match media {
        Media::Json => quote!(codegen::FakeReply::json(#status, &#value)),
        _ if events => quote!(codegen::FakeReply::bytes(#status, "text/event-stream", #value)),
        Media::Text => quote!(codegen::FakeReply::text(#status, #value)),
        Media::Binary | Media::Form | Media::Multipart => {
            quote!(codegen::FakeReply::bytes(#status, "application/octet-stream", #value))
        }
    }
}

/// The enum of the operation's declared errors (an alias of the runtime's
/// `NoError` when it declares none).
fn error_enum(name: &Ident, errors: &[ErrorBody], method: &str) -> TokenStream {
    let docs = format!(" The errors `{method}` declares, each answered with its typed body.");
    if errors.is_empty() {
        let docs = format!(
            " `{method}` declares no error body: it fails with `Answer::status` or a fault."
        );
        return quote!(#[doc = #docs] pub type #name = codegen::NoError;);
    }
    let variants = errors.iter().map(|error| {
        let ty = parent_type_tokens(&error.ty);
        match error.status {
            StatusMatch::Code(code) => {
                let variant = status_variant(code);
                let docs = format!(" `{code}`.");
                quote!(#[doc = #docs] #variant(#ty))
            }
            StatusMatch::Class(class) => {
                let variant = format_ident!("Status{class}xx");
                let docs = format!(" A `{class}XX` status.");
                quote!(#[doc = #docs] #variant { #[doc = " The status."] status: u16, #[doc = " The body."] body: #ty })
            }
            StatusMatch::Default => quote! {
                #[doc = " Any other status."]
                Other { #[doc = " The status."] status: u16, #[doc = " The body."] body: #ty }
            },
        }
    });
    let arms = errors.iter().map(|error| match error.status {
        StatusMatch::Code(code) => {
            let variant = status_variant(code);
            let status = Literal::u16_unsuffixed(code);
            quote!(Self::#variant(body) => codegen::FakeReply::json(#status, &body),)
        }
        StatusMatch::Class(class) => {
            let variant = format_ident!("Status{class}xx");
            quote!(Self::#variant { status, body } => codegen::FakeReply::json(status, &body),)
        }
        StatusMatch::Default => {
            quote!(Self::Other { status, body } => codegen::FakeReply::json(status, &body),)
        }
    });
    quote! {
        #[doc = #docs]
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variants,)*
        }

        impl codegen::FakeError for #name {
            fn into_reply(self) -> codegen::FakeReply {
                match self {
                    #(#arms)*
                }
            }
        }
    }
}

/// An error variant named after its status's reason phrase.
fn status_variant(code: u16) -> Ident {
    let name = match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        423 => "Locked",
        428 => "PreconditionRequired",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        other => return format_ident!("Status{other}"),
    };
    format_ident!("{name}")
}
