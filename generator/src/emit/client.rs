//! Emitting a service's client: the struct and its constructors, a method
//! and call builder per operation (`builder`), and the operations' success
//! enums.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

pub(super) use super::builder::Emitted;
use super::builder::{emit_operation, media_type};
use super::decoders::Decoders;
use super::{doc_attr, ident, type_tokens};
use crate::ir::{Operation, Service, Success, TypeKind};

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

/// The methods and call builders of the service's operations in `range`.
pub(super) fn emit_operations(
    service: &Service,
    decoders: &Decoders,
    kinds: &BTreeMap<&str, &TypeKind>,
    range: std::ops::Range<usize>,
) -> Vec<Emitted> {
    service.operations[range]
        .iter()
        .map(|operation| emit_operation(operation, service, decoders, kinds))
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
                let ty = media_type(ty, variant.media, type_tokens);
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
