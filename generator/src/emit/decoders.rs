//! Error decoder functions: one per set of typed error bodies, shared by
//! the operations that have that set, named for what it decodes.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::type_tokens;
use crate::ir::{ErrorBody, Operation, StatusMatch, TypeRef};

/// Error decoder functions, shared by operations with the same error bodies.
pub(crate) struct Decoders {
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

    pub(super) fn name_for(&self, errors: &[ErrorBody]) -> Option<proc_macro2::Ident> {
        self.by_errors
            .get(&Self::key(errors))
            .map(|name| format_ident!("{}", name))
    }

    pub(super) fn emit(&self) -> TokenStream {
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
