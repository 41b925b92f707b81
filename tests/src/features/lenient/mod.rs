//! What the invalid fixtures of `generator/tests/invalid/` generate without
//! `--strict` (the rest skipped with warnings), compiled to prove it builds.

#[rustfmt::skip]
pub mod alias_cycle;
#[rustfmt::skip]
pub mod allof_cycle;
#[rustfmt::skip]
pub mod bad_status;
#[rustfmt::skip]
pub mod body_param;
#[rustfmt::skip]
pub mod content_param;
#[rustfmt::skip]
pub mod dangling_ref;
#[rustfmt::skip]
pub mod discriminator_no_property;
#[rustfmt::skip]
pub mod link_outside_body;
#[rustfmt::skip]
pub mod matrix_param;
#[rustfmt::skip]
pub mod no_paths;
#[rustfmt::skip]
pub mod param_without_name;
#[rustfmt::skip]
pub mod ref_cycle;
#[rustfmt::skip]
pub mod response_ref_cycle;
#[rustfmt::skip]
pub mod undeclared_path_param;
#[rustfmt::skip]
pub mod undefined_security;
#[rustfmt::skip]
pub mod unused_path_param;
