//! The OpenAPI surface clientgen supports, as data: each construct, what
//! happens to it, and the fixture that proves it. The README's table is
//! rendered from this list, and a test runs every fixture to check the
//! claim (supported: generates under `--strict`; skipped: generates with a
//! warning, fails under `--strict`; rejected: fails).

/// What clientgen does with a construct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Generated.
    Supported,
    /// The operation or schema using it is left out, with a warning.
    Skipped,
    /// Against the rules but with a plain intent: generated as that intent,
    /// with a warning.
    Lenient,
    /// The spec fails to load.
    Rejected,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Construct {
    /// What it is.
    pub name: &'static str,
    /// What happens to it.
    pub support: Support,
    /// The fixture under `generator/tests/` that shows it.
    pub fixture: &'static str,
    /// How it comes out in Rust, or what to do.
    pub note: &'static str,
}

const fn row(
    name: &'static str,
    support: Support,
    fixture: &'static str,
    note: &'static str,
) -> Construct {
    Construct {
        name,
        support,
        fixture,
        note,
    }
}

use Support::{Lenient, Rejected, Skipped, Supported};

/// The supported surface.
pub const SURFACE: &[Construct] = &[
    row(
        "OpenAPI 3.0.x and 3.1.x, YAML or JSON",
        Supported,
        "features/nullable_31.yaml",
        "version checked first",
    ),
    row(
        "objects: required, optional, nullable properties",
        Supported,
        "features/objects.yaml",
        "`Option<T>`; absent optionals are not serialised",
    ),
    row(
        "optional nullable properties (PATCH: absent, `null` and a value differ)",
        Supported,
        "features/nullable_patch.yaml",
        "`codegen::Nullable<T>`: `Absent` (not sent), `Null`, `Value(T)`",
    ),
    row(
        "property names that are keywords or not snake_case",
        Supported,
        "features/objects.yaml",
        "`r#type`, `#[serde(rename)]`",
    ),
    row(
        "a property's `default` (a boolean, number, string, enum value or empty list)",
        Supported,
        "features/defaults.yaml",
        "the field holds the value (absent on the wire: the default), not an `Option`; other defaults stay `Option`",
    ),
    row(
        "a string `const` (outside a discriminator)",
        Supported,
        "features/defaults.yaml",
        "an enum of its one value with no `Unknown` fallback, so it holds nothing else; `Default`; `new` fills a required one",
    ),
    row(
        "request models with required and optional fields",
        Supported,
        "features/defaults.yaml",
        "`new(required fields)`, the others absent or at their defaults; `Default` when nothing is required",
    ),
    row(
        "string enums",
        Supported,
        "features/enums.yaml",
        "`#[non_exhaustive]` enum with an `Unknown(String)` fallback, `Display`: a new value is not a breaking change",
    ),
    row(
        "integer and number formats",
        Supported,
        "features/numbers.yaml",
        "`i32`, `i64`, `u32`, `u64`, `f32`, `f64`",
    ),
    row(
        "`date-time`, `date`, `uuid`, `byte`, `binary`",
        Supported,
        "features/strings.yaml",
        "chrono, uuid, base64, bytes",
    ),
    row(
        "arrays and maps (`additionalProperties`)",
        Supported,
        "features/arrays_maps.yaml",
        "`Vec<T>`, `BTreeMap<String, T>`",
    ),
    row(
        "`$ref` chains, shared parameters, responses and bodies",
        Supported,
        "features/refs.yaml",
        "",
    ),
    row(
        "`$ref`s to other files next to the spec",
        Supported,
        "features/external_refs.yaml",
        "bundled at load time; their schemas are named like components",
    ),
    row(
        "`allOf`",
        Supported,
        "features/all_of.yaml",
        "properties merged into one struct",
    ),
    row(
        "`oneOf`/`anyOf` with a discriminator",
        Supported,
        "features/one_of.yaml",
        "internally tagged enum, `Unknown` fallback",
    ),
    row(
        "a discriminated union's member used on its own",
        Supported,
        "features/tagged_variant.yaml",
        "the struct writes its tag itself (once, also inside the union)",
    ),
    row(
        "discriminated inline members",
        Supported,
        "features/one_of_inline.yaml",
        "tag value from the member's `enum`/`const`",
    ),
    row(
        "discriminated members whose tag values overlap (several each, shared, or none inline)",
        Supported,
        "features/discriminator_overlap.yaml",
        "untagged enum tried in order (the first that fits wins), each member keeping its tag field; noted in its docs",
    ),
    row(
        "`$recursiveRef`/`$recursiveAnchor`, `$dynamicRef`/`$dynamicAnchor`",
        Supported,
        "features/discriminator_overlap.yaml",
        "a `$ref` to the nearest enclosing schema with the anchor (else the first in the document)",
    ),
    row(
        "`oneOf`/`anyOf` without a discriminator",
        Supported,
        "features/one_of.yaml",
        "untagged enum",
    ),
    row(
        "3.1 `null`: `anyOf [T, null]`, type arrays",
        Supported,
        "features/nullable_31.yaml",
        "`Option<T>`",
    ),
    row(
        "recursive schemas",
        Supported,
        "features/recursive.yaml",
        "`Box` only where a cycle needs one",
    ),
    row(
        "path, query and header parameters; arrays, `explode`",
        Supported,
        "features/operations.yaml",
        "path values percent-encoded as one segment",
    ),
    row(
        "cookie parameters",
        Supported,
        "features/cookie_param.yaml",
        "",
    ),
    row(
        "`deepObject` and exploded `form` object parameters",
        Supported,
        "features/deep_object.yaml",
        "`name[key]=value`",
    ),
    row(
        "operations without `operationId`",
        Supported,
        "features/operations.yaml",
        "named from method and path",
    ),
    row(
        "several 2xx responses",
        Supported,
        "features/operations.yaml",
        "an enum per operation",
    ),
    row(
        "a 2xx status the spec does not declare (several declared)",
        Supported,
        "features/undeclared_2xx.yaml",
        "the enum's `Other { status, body }`, never decoded as a declared one; a `2XX` range covers it instead",
    ),
    row(
        "typed error bodies, `4XX` and `default`",
        Supported,
        "features/errors.yaml",
        "`MicroserviceError::body::<T>()`",
    ),
    row(
        "`application/x-www-form-urlencoded`, `text/plain`, `octet-stream`, other media",
        Supported,
        "features/media.yaml",
        "form struct, `&str`, bytes",
    ),
    row(
        "`multipart/form-data`",
        Supported,
        "features/multipart_body.yaml",
        "a `Multipart` builder; a file part whole or read from a stream (`file_stream`, sent as it is read)",
    ),
    row(
        "answers in bytes: `application/octet-stream`, `format: binary`, other media the client does not decode",
        Supported,
        "features/media.yaml",
        "`.send_streaming()` on the call builder: the body read chunk by chunk, in bounded memory, with an idle timeout",
    ),
    row(
        "`text/event-stream` answers (server-sent events)",
        Supported,
        "features/media.yaml",
        "`.events()` on the call builder: each event's `data` decoded as the content's `itemSchema` or schema (JSON for a plain string); reconnects with `Last-Event-ID`",
    ),
    row(
        "list operations: recognised (cursor, Stripe's `starting_after`, next-page URL, `Link` header, offset, page number) or declared with `x-pagination`",
        Supported,
        "features/paging.yaml",
        "`.pages()` and `.items()` on the call builder, each page a call with the builder's settings",
    ),
    row(
        "security: bearer, basic, API key (header, query, cookie), OAuth 2",
        Supported,
        "features/security.yaml",
        "credentials from configuration",
    ),
    row(
        "security requirements combining schemes (`[{a: [], b: []}]`)",
        Supported,
        "features/security_and.yaml",
        "all schemes of a requirement sent together (`Credentials::all`); the first requirement met wins",
    ),
    row(
        "`x-frontend-link`, `x-idempotent`, `Idempotency-Key`",
        Supported,
        "features/links.yaml",
        "links resolved against `FRONTEND_URL` in JSON and form bodies (a field, or the whole body)",
    ),
    row(
        "`x-frontend-link` on a parameter or in a multipart, text or binary body",
        Skipped,
        "invalid/link_outside_body.yaml",
        "move the link into a JSON or form body field (the runtime could not resolve it)",
    ),
    row(
        "OpenAPI Overlay 1.0 (`update`, `remove`, RFC 9535 JSONPath targets)",
        Supported,
        "features/overlaid.yaml",
        "`<spec>.overlay.yaml` beside the spec, or `--overlay FILE` (by `extends`); applied before validation",
    ),
    row(
        "names clashing with the prelude, keywords, each other",
        Supported,
        "features/naming.yaml",
        "`Model` suffix, raw identifiers, numbering",
    ),
    row(
        "FastAPI's `X-Input`/`X-Output` pairs and `Literal`s several models share",
        Supported,
        "features/naming.yaml",
        "the output is `X`, the input `XInput`; an inline enum declared alike under one property name in several schemas is named after the property (`LeaveType`)",
    ),
    row(
        "webhooks and callbacks",
        Skipped,
        "features/webhooks_31.yaml",
        "a client does not receive requests",
    ),
    row(
        "parameters with `content` instead of `schema`",
        Skipped,
        "invalid/content_param.yaml",
        "describe the parameter with `schema`",
    ),
    row(
        "`matrix` and `label` parameter styles",
        Skipped,
        "invalid/matrix_param.yaml",
        "use the default style",
    ),
    row(
        "object parameters in the path or a header, unions of scalars and arrays",
        Supported,
        "features/object_params.yaml",
        "`simple` style: `k,v,k2,v2`, exploded `k=v,k2=v2`; a union's array comma-joined or repeated",
    ),
    row(
        "Swagger-style `in: body` parameters",
        Skipped,
        "invalid/body_param.yaml",
        "use `requestBody`",
    ),
    row(
        "dangling `$ref`s, `$ref`s to URLs",
        Skipped,
        "invalid/dangling_ref.yaml",
        "fix the reference, or save the referenced document next to the spec",
    ),
    row(
        "cycles through `allOf` or `$ref` aliases",
        Skipped,
        "invalid/allof_cycle.yaml",
        "break the cycle",
    ),
    row(
        "undeclared path parameters",
        Lenient,
        "invalid/undeclared_path_param.yaml",
        "a required `&str` path parameter; declare every `{name}` of the path",
    ),
    row(
        "parameters with neither `schema` nor `content`",
        Lenient,
        "features/lenient_params.yaml",
        "a `&str` parameter; describe it with `schema`",
    ),
    row(
        "undefined security schemes",
        Skipped,
        "invalid/undefined_security.yaml",
        "define it in `components/securitySchemes`",
    ),
    row(
        "overlays that are not valid (bad JSONPath, wrong action)",
        Rejected,
        "invalid/bad_overlay.yaml",
        "the error points into the overlay (`#/actions/N/target`)",
    ),
    row(
        "Swagger 2.0 and OpenAPI versions other than 3.0/3.1",
        Rejected,
        "invalid/swagger2.yaml",
        "convert to OpenAPI 3 first",
    ),
    row(
        "documents that are not valid YAML/JSON objects",
        Rejected,
        "invalid/syntax_error.yaml",
        "the error gives line and column",
    ),
];

/// The README table.
pub fn markdown_table() -> String {
    let mut table = String::from(
        "| construct | status | in Rust / what to do | fixture |\n|---|---|---|---|\n",
    );
    for construct in SURFACE {
        let status = match construct.support {
            Supported => "supported",
            Skipped => "skipped with a warning (error with `--strict`)",
            Lenient => "generated with a warning (error with `--strict`)",
            Rejected => "rejected",
        };
        table.push_str(&format!(
            "| {} | {} | {} | `generator/tests/{}` |\n",
            construct.name, status, construct.note, construct.fixture
        ));
    }
    table
}
