//! Generated from the OpenAPI documents the FastAPI apps of `tests/fastapi/apps/`
//! emit (`tests/fastapi/specs/`, exported by `tests/fastapi/export.py`).

#[rustfmt::skip]
pub mod leaves;
#[rustfmt::skip]
pub mod notifications;
