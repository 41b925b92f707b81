//! Emitting the builder methods that read an answer other than whole: a
//! list operation's `pages()` and `items()` (the builder hands its request
//! to the runtime's pagination with the operation's paging scheme, and the
//! items decode as the list's item type), and a byte answer's
//! `send_streaming()`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::type_tokens;
use crate::ir::{Media, Operation, Success, TypeKind, TypeRef};
use crate::paging::{Paging, Scheme};

/// The builder methods of a list operation, or nothing when the operation
/// is not one (or its answer is not JSON).
pub(super) fn page_methods(
    operation: &Operation,
    kinds: &BTreeMap<&str, &TypeKind>,
) -> TokenStream {
    let Some(paging) = &operation.paging else {
        return TokenStream::new();
    };
    let Success::One {
        ty,
        media: Media::Json,
    } = &operation.success
    else {
        return TokenStream::new();
    };
    let item = item_type(ty, &paging.items, kinds)
        .map_or_else(|| quote!(codegen::Json), |item| type_tokens(&item));
    let paging_value = paging_tokens(paging);
    let scheme = paging.scheme.name();
    let pages_docs = format!(
        " The list's pages, one call each with this call's settings (paging: `{scheme}`), \
         within the default limits (`Pages::limits` changes them)."
    );
    quote! {
        #[doc = #pages_docs]
        pub fn pages(self) -> codegen::Pages {
            static PAGING: codegen::Paging = #paging_value;
            let (call, request) = self.into_parts();
            call.pages(request, PAGING)
        }

        /// Every item of the list, decoded, read page after page.
        pub fn items(self) -> codegen::Items<#item> {
            self.pages().items()
        }
    }
}

/// `events()`, for an operation that answers `text/event-stream`, and
/// `send_streaming()`, for one whose answer is bytes (a download, an event
/// stream, media the client does not decode).
pub(super) fn streaming_methods(operation: &Operation) -> TokenStream {
    let events = operation.events.as_ref().map(|item| {
        let item = type_tokens(item);
        quote! {
            /// Sends the call and reads its `text/event-stream` answer as
            /// events whose `data` decode as the spec's event type; an
            /// idempotent operation's stream reconnects with
            /// `Last-Event-ID` when the connection breaks.
            pub async fn events(
                self,
            ) -> Result<codegen::EventStream<#item>, codegen::MicroserviceError> {
                let (call, request) = self.into_parts();
                call.events(request).await
            }
        }
    });
    let bytes = matches!(
        operation.success,
        Success::One {
            media: Media::Binary,
            ..
        }
    );
    let streaming = bytes.then(|| {
        quote! {
            /// Sends the call and returns once the answer's head is in: its
            /// body is read chunk by chunk as it arrives, in bounded memory.
            pub fn send_streaming(self) -> codegen::StreamFuture<'a> {
                let (call, request) = self.into_parts();
                call.send_streaming(request)
            }
        }
    });
    quote! {
        #events
        #streaming
    }
}

/// The item type of the list at `pointer` in a body of type `ty`: the
/// body's array, or the array in the property the pointer names.
fn item_type(ty: &TypeRef, pointer: &str, kinds: &BTreeMap<&str, &TypeKind>) -> Option<TypeRef> {
    let mut current = ty.clone();
    for segment in pointer.split('/').skip(1) {
        let TypeRef::Named(name) = current else {
            return None;
        };
        let TypeKind::Struct { fields } = kinds.get(name.as_str())? else {
            return None;
        };
        let field = fields.iter().find(|field| field.wire == segment)?;
        current = match &field.ty {
            TypeRef::Nullable(inner) => inner.as_ref().clone(),
            other => other.clone(),
        };
    }
    match current {
        TypeRef::Array(item) => Some(*item),
        _ => None,
    }
}

/// The runtime's `Paging` value for `paging`.
fn paging_tokens(paging: &Paging) -> TokenStream {
    let items = &paging.items;
    let scheme = match &paging.scheme {
        Scheme::Cursor {
            param,
            cursor,
            has_more,
        } => {
            let has_more = match has_more {
                Some(pointer) => quote!(Some(#pointer)),
                None => quote!(None),
            };
            quote!(codegen::PageScheme::Cursor { param: #param, cursor: #cursor, has_more: #has_more })
        }
        Scheme::LastItem {
            param,
            id,
            has_more,
        } => quote!(codegen::PageScheme::LastItem { param: #param, id: #id, has_more: #has_more }),
        Scheme::NextUrl { next } => quote!(codegen::PageScheme::NextUrl { next: #next }),
        Scheme::LinkHeader => quote!(codegen::PageScheme::LinkHeader),
        Scheme::Offset { param } => quote!(codegen::PageScheme::Offset { param: #param }),
        Scheme::PageNumber { param, first } => {
            quote!(codegen::PageScheme::PageNumber { param: #param, first: #first })
        }
    };
    quote!(codegen::Paging { items: #items, scheme: #scheme })
}
