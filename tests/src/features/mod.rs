//! Generated from `generator/tests/features/`: one module per feature fixture,
//! compiled here to prove the output builds under the workspace lints.
//! Regenerate with `CLIENTGEN_BLESS=1 cargo test -p clientgen --test fixtures`.

#[rustfmt::skip]
pub mod all_of;
#[rustfmt::skip]
pub mod arrays_maps;
#[rustfmt::skip]
pub mod big_split;
#[rustfmt::skip]
pub mod cookie_param;
#[rustfmt::skip]
pub mod deep_object;
#[rustfmt::skip]
pub mod defaults;
#[rustfmt::skip]
pub mod descriptions;
#[rustfmt::skip]
pub mod discriminator_overlap;
#[rustfmt::skip]
pub mod enums;
#[rustfmt::skip]
pub mod errors;
#[rustfmt::skip]
pub mod external_refs;
#[rustfmt::skip]
pub mod lenient_params;
#[rustfmt::skip]
pub mod links;
#[rustfmt::skip]
pub mod media;
#[rustfmt::skip]
pub mod multipart_body;
#[rustfmt::skip]
pub mod naming;
#[rustfmt::skip]
pub mod nullable_31;
#[rustfmt::skip]
pub mod nullable_patch;
#[rustfmt::skip]
pub mod numbers;
#[rustfmt::skip]
pub mod object_params;
#[rustfmt::skip]
pub mod object_query_param;
#[rustfmt::skip]
pub mod objects;
#[rustfmt::skip]
pub mod one_of;
#[rustfmt::skip]
pub mod one_of_inline;
#[rustfmt::skip]
pub mod operations;
#[rustfmt::skip]
pub mod overlaid;
#[rustfmt::skip]
pub mod paging;
#[rustfmt::skip]
pub mod recursive;
#[rustfmt::skip]
pub mod refs;
#[rustfmt::skip]
pub mod security;
#[rustfmt::skip]
pub mod security_and;
#[rustfmt::skip]
pub mod strings;
#[rustfmt::skip]
pub mod tagged_variant;
#[rustfmt::skip]
pub mod undeclared_2xx;
#[rustfmt::skip]
pub mod webhooks_31;
pub mod fastapi;
pub mod lenient;
