//! The IR: one service's operations and types, resolved, named and ready to
//! emit, with no trace of the OpenAPI document they came from.
//!
//! Lowering ([`crate::lower`]) builds it; emitting ([`crate::emit`]) reads it.
//! Names here are already valid, unique Rust identifiers; wire names are
//! kept beside them for serde and HTTP.

/// One upstream service: a client and its models.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// The module name, e.g. `leaves_wallet`.
    pub module: String,
    /// The runtime's service name (configuration key), e.g. `leaves_wallet`.
    pub service_name: String,
    /// The client type, e.g. `LeavesWalletClient`.
    pub client: String,
    /// The spec file, relative as given, for the `@generated` header.
    pub source: String,
    /// `info.title` and `info.version`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub docs: Option<String>,
    /// Operations in document order.
    pub operations: Vec<Operation>,
    /// Named types, sorted by name.
    pub types: Vec<TypeDef>,
}

/// A reference to a type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TypeRef {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// An RFC 3339 date-time.
    DateTime,
    /// A calendar date.
    Date,
    /// A UUID.
    Uuid,
    /// Base64-encoded bytes (`format: byte`).
    Base64,
    /// Raw bytes (a binary body).
    Bytes,
    /// Any JSON value.
    Json,
    /// A named type of this service.
    Named(String),
    /// `Vec<T>`.
    Array(Box<TypeRef>),
    /// `BTreeMap<String, T>`.
    Map(Box<TypeRef>),
    /// `Option<T>`: the value may be `null`.
    Nullable(Box<TypeRef>),
    /// `Box<T>`: breaks a recursive cycle.
    Boxed(Box<TypeRef>),
}

impl TypeRef {
    /// Whether the type is a cheap `Copy` scalar, passed by value.
    pub fn is_copy(&self) -> bool {
        matches!(
            self,
            Self::Bool
                | Self::I32
                | Self::I64
                | Self::U32
                | Self::U64
                | Self::F32
                | Self::F64
                | Self::Date
                | Self::DateTime
                | Self::Uuid
        )
    }

    /// Whether values of this type print as one plain parameter value
    /// (scalars, string enums, unions of those), or, when `arrays`, as a
    /// list of them. `lookup` finds named types.
    pub fn is_scalar_like<'a>(
        &self,
        lookup: &dyn Fn(&str) -> Option<&'a TypeKind>,
        arrays: bool,
    ) -> bool {
        match self {
            Self::Array(item) if arrays => item.is_scalar_like(lookup, false),
            Self::Named(name) => match lookup(name) {
                Some(TypeKind::Enum { .. }) => true,
                Some(TypeKind::Alias(inner)) => inner.is_scalar_like(lookup, arrays),
                Some(TypeKind::Untagged { variants }) => variants
                    .iter()
                    .all(|variant| variant.ty.is_scalar_like(lookup, false)),
                _ => false,
            },
            Self::Array(_)
            | Self::Map(_)
            | Self::Json
            | Self::Nullable(_)
            | Self::Boxed(_)
            | Self::Base64
            | Self::Bytes => false,
            _ => true,
        }
    }

    /// Removes one `Nullable` layer, if any.
    pub fn non_null(&self) -> &TypeRef {
        match self {
            Self::Nullable(inner) => inner,
            other => other,
        }
    }
}

impl TypeKind {
    /// The types a value of this kind holds: fields, union members, an
    /// alias's target.
    pub fn held_types(&self) -> Vec<&TypeRef> {
        match self {
            TypeKind::Struct { fields } => fields.iter().map(|field| &field.ty).collect(),
            TypeKind::Tagged { variants, .. } => {
                variants.iter().map(|variant| &variant.ty).collect()
            }
            TypeKind::Untagged { variants } => variants.iter().map(|variant| &variant.ty).collect(),
            TypeKind::Alias(target) => vec![target],
            TypeKind::Enum { .. } => Vec::new(),
        }
    }
}

/// A named type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    /// The Rust name.
    pub name: String,
    /// The JSON pointer of the schema it was made from.
    pub pointer: String,
    /// Rustdoc.
    pub docs: Option<String>,
    /// What it is.
    pub kind: TypeKind,
    /// Defined once for several services (`share`): the service's module
    /// re-exports it instead of defining it.
    pub shared: bool,
}

/// The shape of a named type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// An object with known properties.
    Struct {
        /// Fields in document order.
        fields: Vec<Field>,
    },
    /// A string enum; unknown values land in a fallback variant, unless
    /// it is closed.
    Enum {
        /// Variants in document order.
        variants: Vec<EnumVariant>,
        /// A `const`: the one value, and no fallback (a type that can only
        /// hold it).
        closed: bool,
    },
    /// A `oneOf` with a discriminator: an internally tagged enum.
    Tagged {
        /// The discriminator property.
        tag: String,
        /// Variants in document order.
        variants: Vec<TaggedVariant>,
    },
    /// A `oneOf`/`anyOf` without a discriminator: tried in order.
    Untagged {
        /// Variants in document order.
        variants: Vec<UntaggedVariant>,
    },
    /// Another name for a type.
    Alias(TypeRef),
}

/// A struct field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The Rust name.
    pub name: String,
    /// The JSON property name.
    pub wire: String,
    /// The type (with `Nullable` when `null` is allowed).
    pub ty: TypeRef,
    /// Whether the property is required.
    pub required: bool,
    /// Rustdoc.
    pub docs: Option<String>,
    /// Whether the field is a frontend link (`x-frontend-link: true`).
    pub link: bool,
    /// The spec's `default` for the property, if it gives one.
    pub default: Option<serde_json::Value>,
}

/// A string enum variant.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumVariant {
    /// The Rust name.
    pub name: String,
    /// The value on the wire.
    pub wire: String,
}

/// A variant of a discriminated union.
#[derive(Clone, Debug, PartialEq)]
pub struct TaggedVariant {
    /// The Rust name.
    pub name: String,
    /// The discriminator value.
    pub wire: String,
    /// The variant's struct.
    pub ty: TypeRef,
}

/// A variant of an untagged union.
#[derive(Clone, Debug, PartialEq)]
pub struct UntaggedVariant {
    /// The Rust name.
    pub name: String,
    /// The variant's type.
    pub ty: TypeRef,
}

/// The HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `PATCH`
    Patch,
    /// `TRACE`
    Trace,
}

impl HttpMethod {
    /// Parses a path item key.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "get" => Self::Get,
            "head" => Self::Head,
            "post" => Self::Post,
            "put" => Self::Put,
            "delete" => Self::Delete,
            "options" => Self::Options,
            "patch" => Self::Patch,
            "trace" => Self::Trace,
            _ => return None,
        })
    }

    /// The runtime's variant name.
    pub fn variant(self) -> &'static str {
        match self {
            Self::Get => "Get",
            Self::Head => "Head",
            Self::Post => "Post",
            Self::Put => "Put",
            Self::Delete => "Delete",
            Self::Options => "Options",
            Self::Patch => "Patch",
            Self::Trace => "Trace",
        }
    }
}

/// One operation: one client method.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The operation id (or a name derived from method and path).
    pub id: String,
    /// The Rust method name.
    pub method_name: String,
    /// The name of the method's call builder (`GetUserCall`).
    pub builder_name: String,
    /// The HTTP method.
    pub http_method: HttpMethod,
    /// The URL template.
    pub path: String,
    /// Rustdoc (summary and description).
    pub docs: Option<String>,
    /// Whether the spec marks it deprecated.
    pub deprecated: bool,
    /// Parameters: path ones in template order, then the rest in spec order.
    pub params: Vec<Param>,
    /// The request body.
    pub body: Option<Body>,
    /// What a success returns.
    pub success: Success,
    /// The first 2xx status the spec declares (200 when it declares none,
    /// or only a range).
    pub success_status: u16,
    /// Typed error bodies per status.
    pub errors: Vec<ErrorBody>,
    /// Declared idempotent (`x-idempotent: true`).
    pub idempotent: bool,
    /// The idempotency key header, when the spec has one.
    pub idempotency_header: Option<String>,
    /// Accepted security requirements, in the spec's order of preference:
    /// any one of them, each met by all of its schemes together.
    pub security: Vec<Vec<SecurityScheme>>,
    /// Whether anonymous calls are allowed too.
    pub security_optional: bool,
    /// JSON pointers of link fields in the body.
    pub link_fields: Vec<String>,
    /// How the operation's list is read page by page, when it is one.
    pub paging: Option<crate::paging::Paging>,
    /// When a 2xx answer is a `text/event-stream`: the type each event's
    /// `data` decodes as (its `itemSchema`, else its schema when that is
    /// not a plain string; `Json` when the spec gives neither).
    pub events: Option<TypeRef>,
}

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamLocation {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
}

/// How a parameter's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamStyle {
    /// `form` (query default): arrays comma-joined or repeated, objects
    /// exploded into their properties.
    Form,
    /// `simple` (path and header default): comma-joined.
    Simple,
    /// `spaceDelimited` arrays.
    SpaceDelimited,
    /// `pipeDelimited` arrays.
    PipeDelimited,
    /// `deepObject`: `name[key]=value`.
    DeepObject,
}

/// An operation parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The Rust argument name.
    pub name: String,
    /// The wire name.
    pub wire: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// Its type (never `Nullable`; optional ones are `Option` arguments).
    pub ty: TypeRef,
    /// Whether it is required.
    pub required: bool,
    /// For arrays in the query: `name=a&name=b` (true) or `name=a,b`.
    pub explode: bool,
    /// How the value is written.
    pub style: ParamStyle,
    /// Whether values print as one plain value (scalars, string enums, and
    /// arrays of them), as opposed to objects.
    pub scalar_like: bool,
    /// Whether the value is written through its JSON form
    /// (`codegen::simple`): an object in the path or a header, or a union
    /// of scalars and arrays, or an object in a non-exploded `form` query.
    pub structured: bool,
    /// Rustdoc.
    pub docs: Option<String>,
    /// Its schema bundled with every schema its references reach (JSON
    /// text), when it holds a constraint the type cannot (`minimum`,
    /// `maxLength`, `enum`, ...): the typed fakes check received values
    /// against it.
    pub schema: Option<String>,
}

/// A request body.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// Its type.
    pub ty: TypeRef,
    /// Its media type.
    pub media: Media,
    /// The exact content type to send.
    pub content_type: String,
    /// Whether it is required.
    pub required: bool,
    /// For a JSON body: its schema bundled with every schema its
    /// references reach (JSON text), which the typed fakes check received
    /// bodies against; `None` for other media, when it constrains nothing
    /// its type cannot hold, or when too big.
    pub schema: Option<String>,
}

/// A media type the generator knows how to send or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/json` (and `+json` types).
    Json,
    /// `text/plain`.
    Text,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// `application/octet-stream` and any other type, as raw bytes.
    Binary,
}

/// What a successful call returns.
#[derive(Clone, Debug, PartialEq)]
pub enum Success {
    /// Nothing (204, or no content declared).
    Empty,
    /// One type.
    One {
        /// The type.
        ty: TypeRef,
        /// How it is encoded.
        media: Media,
    },
    /// Several 2xx statuses with different types: an enum named `name`.
    Several {
        /// The enum's name.
        name: String,
        /// `(status, variant name, type, media)`; `None` type for no content.
        variants: Vec<SuccessVariant>,
        /// Whether a `2XX` range (or a success `default`) covers statuses
        /// not listed; it is then the last variant. Without one, an
        /// undeclared 2xx is the enum's `Other` variant.
        catch_all: bool,
    },
}

/// One success status of several.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessVariant {
    /// The status code.
    pub status: u16,
    /// The variant name, e.g. `Created`.
    pub name: String,
    /// The body type, if any.
    pub ty: Option<TypeRef>,
    /// How the body is encoded.
    pub media: Media,
}

/// Which statuses an error body applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusMatch {
    /// One status.
    Code(u16),
    /// A class such as `4XX` (the hundreds digit).
    Class(u16),
    /// Any other status (`default`).
    Default,
}

/// A typed error body.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBody {
    /// The statuses it applies to.
    pub status: StatusMatch,
    /// Its type.
    pub ty: TypeRef,
}

/// A security scheme an operation accepts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityScheme {
    /// Bearer token (HTTP bearer, OAuth 2, OpenID Connect).
    Bearer,
    /// HTTP basic.
    Basic,
    /// API key in a header.
    ApiKeyHeader(String),
    /// API key in the query.
    ApiKeyQuery(String),
    /// API key in a cookie.
    ApiKeyCookie(String),
}
