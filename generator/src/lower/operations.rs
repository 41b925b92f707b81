//! Lowering paths and operations: parameters, bodies, responses, security,
//! idempotency and link fields.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::types::{Types, description};
use crate::diagnostics::Diagnostic;
use crate::ir::{
    Body, ErrorBody, HttpMethod, Media, Operation, Param, ParamLocation, ParamStyle,
    SecurityScheme, StatusMatch, Success, SuccessVariant, TypeRef,
};
use crate::naming::{Names, fastapi_function, pascal, snake};
use crate::spec::{At, resolve};

/// Method names a generated client defines itself.
pub(crate) const CLIENT_METHODS: &[&str] = &["new", "from_service", "with_options", "service"];

/// Lowers every operation of the document, in document order.
pub(crate) fn lower_operations<'a>(
    root: &'a Value,
    types: &mut Types<'a>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<Operation>, Diagnostic> {
    let doc = At::root(root);
    let mut methods = Names::with_taken(CLIENT_METHODS.iter().copied());
    let global_security = doc.get("security");
    let mut operations = Vec::new();
    let short_names = fastapi_names(root);
    for (path, item) in doc.entries("paths") {
        let item = resolve(root, item)?;
        let shared = item.items("parameters");
        for (key, operation) in item.object_entries() {
            let Some(method) = HttpMethod::from_key(key) else {
                continue;
            };
            let context = OperationContext {
                root,
                path,
                method,
                shared: &shared,
                global_security: global_security.as_ref(),
                short_name: short_names.get(&(path, key)).map(String::as_str),
            };
            let mut notes = Vec::new();
            match context.lower(&operation, types, &mut methods, &mut notes) {
                Ok(lowered) => {
                    operations.push(lowered);
                    warnings.extend(
                        notes
                            .into_iter()
                            .map(|note| generated_anyway(key, path, &operation, note)),
                    );
                }
                Err(diagnostic) => warnings.push(skipped(key, path, &operation, diagnostic)),
            }
        }
    }
    Ok(operations)
}

/// The method names FastAPI's operation ids hold, by path and method:
/// `get_leave_balance` for `get_leave_balance_leave_wallets__employee_id__balance_get`.
/// A function name two operations share is left out: they keep their
/// whole ids, so the names do not depend on the order of the spec.
fn fastapi_names(root: &Value) -> BTreeMap<(&str, &str), String> {
    let mut found: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for (path, item) in At::root(root).entries("paths") {
        let Ok(item) = resolve(root, item) else {
            continue;
        };
        for (key, operation) in item.object_entries() {
            let function = operation
                .str("operationId")
                .and_then(|id| fastapi_function(id, path, key));
            if let Some(function) = function {
                found.insert((path, key), snake(function));
            }
        }
    }
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for name in found.values() {
        *uses.entry(name.as_str()).or_default() += 1;
    }
    let shared: BTreeSet<String> = uses
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(name, _)| name.to_owned())
        .collect();
    found.retain(|_, name| !shared.contains(name));
    found
}

/// The warning for an operation left out of the client.
pub(crate) fn skipped(method: &str, path: &str, at: &At<'_>, cause: Diagnostic) -> Diagnostic {
    let id = at.str("operationId").map_or_else(
        || format!("{} {path}", method.to_ascii_uppercase()),
        |id| format!("`{id}`"),
    );
    Diagnostic::warning(
        &cause.pointer,
        format!("operation {id} skipped: {}", cause.message),
        cause.help,
    )
}

/// The warning for an operation generated with a guess where the spec
/// breaks a rule whose intent is plain.
fn generated_anyway(method: &str, path: &str, at: &At<'_>, cause: Diagnostic) -> Diagnostic {
    let id = at.str("operationId").map_or_else(
        || format!("{} {path}", method.to_ascii_uppercase()),
        |id| format!("`{id}`"),
    );
    Diagnostic::warning(
        &cause.pointer,
        format!("operation {id}: {}", cause.message),
        cause.help,
    )
}

struct OperationContext<'a, 'b> {
    root: &'a Value,
    path: &'a str,
    method: HttpMethod,
    shared: &'b [At<'a>],
    global_security: Option<&'b At<'a>>,
    /// The method name FastAPI's operation id holds, when it has that
    /// form and no other operation shares the name.
    short_name: Option<&'b str>,
}

impl<'a> OperationContext<'a, '_> {
    fn lower(
        &self,
        at: &At<'a>,
        types: &mut Types<'a>,
        methods: &mut Names,
        notes: &mut Vec<Diagnostic>,
    ) -> Result<Operation, Diagnostic> {
        let id = at
            .str("operationId")
            .map_or_else(|| derived_id(self.method, self.path), str::to_owned);
        let method_name =
            methods.unique(&self.short_name.map_or_else(|| snake(&id), str::to_owned));
        let type_prefix = pascal(&id);
        let params = self.params(at, types, &type_prefix, notes)?;
        self.refuse_unresolvable_links(at)?;
        let body = self.body(at, types, &type_prefix)?;
        let (success, success_status, errors) = self.responses(at, types, &type_prefix)?;
        let (security, security_optional) = self.security(at)?;
        let paging =
            match crate::paging::detect(self.root, at, &self.method.variant().to_ascii_lowercase())
            {
                Ok(paging) => paging,
                Err(problem) => {
                    notes.push(Diagnostic::warning(
                        &problem.pointer,
                        format!(
                            "operation {id}: {}; generated without paging",
                            problem.message
                        ),
                        problem.help,
                    ));
                    None
                }
            };
        let events = self.events(at, types, &type_prefix)?;
        let builder_name = types.reserve_name(&format!(
            "{}Call",
            pascal(method_name.trim_start_matches("r#"))
        ));
        let idempotency_header = params
            .iter()
            .find(|param| {
                param.location == ParamLocation::Header
                    && param.wire.eq_ignore_ascii_case("idempotency-key")
            })
            .map(|param| param.wire.clone());
        let link_fields = match &body {
            Some(body) if self.body_is_a_link(at) => vec![String::new()],
            Some(body) => link_pointers(&body.ty, types, "", 0),
            None => Vec::new(),
        };
        Ok(Operation {
            id,
            method_name,
            builder_name,
            http_method: self.method,
            path: self.path.to_owned(),
            docs: operation_docs(at),
            deprecated: at.flag("deprecated"),
            params,
            body,
            success,
            success_status,
            errors,
            idempotent: at.flag("x-idempotent"),
            idempotency_header,
            security,
            security_optional,
            link_fields,
            paging,
            events,
        })
    }

    /// Refuses an operation whose `x-frontend-link` marker the runtime
    /// could not honour: on a parameter, or inside a body that is neither
    /// JSON nor a form. Generating it would send such a link unresolved
    /// (an open redirect) while its docs promise resolution.
    fn refuse_unresolvable_links(&self, at: &At<'a>) -> Result<(), Diagnostic> {
        let mut places: Vec<(String, &'static str)> = Vec::new();
        for param in at.items("parameters").iter().chain(self.shared) {
            let param = resolve(self.root, param.clone())?;
            if marks_a_link(self.root, param.value, 0) {
                places.push((param.pointer.clone(), "a parameter"));
            }
        }
        if let Some(body) = at.get("requestBody") {
            let body = resolve(self.root, body)?;
            if let Some((media, _, content)) = pick_media(&body)
                && !matches!(media, Media::Json | Media::Form)
                && let Some(schema) = content.get("schema")
                && marks_a_link(self.root, schema.value, 0)
            {
                places.push((schema.pointer.clone(), "a multipart, text or binary body"));
            }
        }
        match places.into_iter().next() {
            None => Ok(()),
            Some((pointer, place)) => Err(Diagnostic::error(
                &pointer,
                format!(
                    "`x-frontend-link` in {place} cannot be resolved against FRONTEND_URL: \
                     links are resolved in JSON and form-urlencoded bodies only"
                ),
                "move the link into a JSON or form body field, or remove the marker",
            )),
        }
    }

    /// Whether the JSON body's schema is itself a link (a `$ref` to a
    /// marked string, say), so the whole body is resolved.
    fn body_is_a_link(&self, at: &At<'a>) -> bool {
        let schema = at
            .get("requestBody")
            .and_then(|body| resolve(self.root, body).ok())
            .and_then(|body| pick_media(&body))
            .filter(|(media, _, _)| *media == Media::Json)
            .and_then(|(_, _, content)| content.get("schema"))
            .and_then(|schema| resolve(self.root, schema).ok());
        schema.is_some_and(|schema| schema.flag("x-frontend-link"))
    }

    fn params(
        &self,
        at: &At<'a>,
        types: &mut Types<'a>,
        prefix: &str,
        notes: &mut Vec<Diagnostic>,
    ) -> Result<Vec<Param>, Diagnostic> {
        // Operation parameters override path-level ones with the same name and location.
        let mut all: Vec<At<'a>> = Vec::new();
        let own = at.items("parameters");
        let mut keys = BTreeSet::new();
        for param in own.iter().chain(self.shared) {
            let resolved = resolve(self.root, param.clone())?;
            let key = (
                resolved.str("name").unwrap_or_default().to_owned(),
                resolved.str("in").unwrap_or_default().to_owned(),
            );
            if keys.insert(key) {
                all.push(resolved);
            }
        }
        // Names the generated method body uses for its own locals.
        let mut names = Names::with_taken([
            "body", "self", "request", "response", "value", "values", "codegen",
        ]);
        let mut lowered = Vec::new();
        for param in all {
            let Some(wire) = param.str("name") else {
                return Err(Diagnostic::error(
                    param.pointer(),
                    "a parameter has no `name`",
                    "give every parameter a `name`",
                ));
            };
            let location = match param.str("in") {
                Some("path") => ParamLocation::Path,
                Some("query") => ParamLocation::Query,
                Some("header") => ParamLocation::Header,
                Some("cookie") => ParamLocation::Cookie,
                other => {
                    return Err(Diagnostic::error(
                        param.pointer(),
                        format!("parameters in `{}` are not supported", other.unwrap_or("?")),
                        "use a path, query or header parameter",
                    ));
                }
            };
            let ty = match (param.get("schema"), param.get("content")) {
                (Some(schema), _) => {
                    types.type_of(&schema, &format!("{prefix}{}", pascal(wire)))?
                }
                (None, Some(_)) => {
                    return Err(Diagnostic::error(
                        param.pointer(),
                        format!("parameter `{wire}` is described with `content`, not `schema`"),
                        "describe the parameter with `schema:` (parameters with `content:` are not supported)",
                    ));
                }
                // Against the rules, but the intent is plain: a string.
                (None, None) => {
                    notes.push(Diagnostic::warning(
                        param.pointer(),
                        format!(
                            "parameter `{wire}` has neither `schema` nor `content`; generated as a string"
                        ),
                        "describe the parameter with `schema:`",
                    ));
                    TypeRef::String
                }
            };
            let ty = match types.resolve_aliases(ty) {
                TypeRef::Nullable(inner) => types.resolve_aliases(*inner),
                other => other,
            };
            // A schema that allows any value (`{}`, a title alone): the
            // value of a parameter is text.
            let ty = if ty == TypeRef::Json {
                TypeRef::String
            } else {
                ty
            };
            let style = match param.str("style") {
                None if location == ParamLocation::Query || location == ParamLocation::Cookie => {
                    ParamStyle::Form
                }
                None | Some("simple") => ParamStyle::Simple,
                Some("form") => ParamStyle::Form,
                Some("spaceDelimited") => ParamStyle::SpaceDelimited,
                Some("pipeDelimited") => ParamStyle::PipeDelimited,
                Some("deepObject") => ParamStyle::DeepObject,
                Some(other) => {
                    return Err(Diagnostic::error(
                        param.pointer(),
                        format!("parameter style `{other}` is not supported"),
                        "use the default style, or form, spaceDelimited, pipeDelimited or deepObject",
                    ));
                }
            };
            let explode = param
                .value
                .get("explode")
                .and_then(Value::as_bool)
                .unwrap_or(style == ParamStyle::Form);
            let object_ok = location == ParamLocation::Query
                && (style == ParamStyle::DeepObject
                    || (style == ParamStyle::Form && explode && !types.is_scalar_union(&ty)));
            let scalar_like = types.is_scalar_like(&ty, true);
            // Written through its JSON form, per OpenAPI's style table.
            let structured = !scalar_like
                && !object_ok
                && match location {
                    ParamLocation::Path | ParamLocation::Header => style == ParamStyle::Simple,
                    ParamLocation::Query => {
                        style == ParamStyle::Form && !matches!(ty, TypeRef::Array(_))
                    }
                    ParamLocation::Cookie => false,
                };
            if !scalar_like && !object_ok && !structured {
                return Err(Diagnostic::error(
                    param.pointer(),
                    format!(
                        "parameter `{wire}` is an object, which cannot be sent as a plain value"
                    ),
                    "use a scalar, an enum or an array of them, an object in the path, a header or a form query parameter, or a query parameter with style deepObject",
                ));
            }
            lowered.push(Param {
                name: names.unique(&snake(wire)),
                wire: wire.to_owned(),
                location,
                ty,
                required: location == ParamLocation::Path || param.flag("required"),
                explode,
                style,
                scalar_like,
                structured,
                docs: description(param.value),
                schema: param
                    .get("schema")
                    .and_then(|schema| super::body_schema::bundle(self.root, schema.value)),
            });
        }
        for wire in undeclared_path_params(self.path, &lowered) {
            notes.push(Diagnostic::warning(
                at.pointer(),
                format!(
                    "the path has `{{{wire}}}` but no path parameter `{wire}` is declared; generated as a required string"
                ),
                format!(
                    "add `- {{name: {wire}, in: path, required: true, schema: {{type: string}}}}`"
                ),
            ));
            lowered.push(Param {
                name: names.unique(&snake(&wire)),
                wire,
                location: ParamLocation::Path,
                ty: TypeRef::String,
                required: true,
                explode: false,
                style: ParamStyle::Simple,
                scalar_like: true,
                structured: false,
                docs: None,
                schema: None,
            });
        }
        check_path_params(self.path, at, &lowered)?;
        // Path parameters first, in template order; the rest keep spec order.
        let order = |param: &Param| match param.location {
            ParamLocation::Path => self
                .path
                .find(&format!("{{{}}}", param.wire))
                .unwrap_or(usize::MAX),
            _ => usize::MAX,
        };
        lowered.sort_by_key(|param| (param.location != ParamLocation::Path, order(param)));
        Ok(lowered)
    }

    fn body(
        &self,
        at: &At<'a>,
        types: &mut Types<'a>,
        prefix: &str,
    ) -> Result<Option<Body>, Diagnostic> {
        let Some(body) = at.get("requestBody") else {
            return Ok(None);
        };
        let body = resolve(self.root, body)?;
        let Some((media, content_type, content)) = pick_media(&body) else {
            return Ok(None);
        };
        let ty = match (media, content.get("schema")) {
            (Media::Json | Media::Form, Some(schema)) => {
                types.type_of(&schema, &format!("{prefix}Body"))?
            }
            (Media::Json, None) => TypeRef::Json,
            (Media::Form, None) => TypeRef::Map(Box::new(TypeRef::String)),
            (Media::Text, _) => TypeRef::String,
            (Media::Multipart | Media::Binary, _) => TypeRef::Bytes,
        };
        let schema = match (media, content.get("schema")) {
            (Media::Json, Some(schema)) => super::body_schema::bundle(self.root, schema.value),
            _ => None,
        };
        Ok(Some(Body {
            ty,
            media,
            content_type,
            required: body.flag("required"),
            schema,
        }))
    }

    /// The type of the events of a 2xx `text/event-stream` answer, if the
    /// operation has one.
    fn events(
        &self,
        at: &At<'a>,
        types: &mut Types<'a>,
        prefix: &str,
    ) -> Result<Option<TypeRef>, Diagnostic> {
        for (status, response) in at.entries("responses") {
            if !status.starts_with('2') {
                continue;
            }
            let response = resolve(self.root, response)?;
            for (media, content) in response.entries("content") {
                let essence = media.split(';').next().unwrap_or(media).trim();
                if !essence.eq_ignore_ascii_case("text/event-stream") {
                    continue;
                }
                let hint = format!("{prefix}Event");
                if let Some(item) = content.get("itemSchema") {
                    return types.type_of(&item, &hint).map(Some);
                }
                return match content.get("schema") {
                    Some(schema) => match types.type_of(&schema, &hint)? {
                        TypeRef::String => Ok(Some(TypeRef::Json)),
                        ty => Ok(Some(ty)),
                    },
                    None => Ok(Some(TypeRef::Json)),
                };
            }
        }
        Ok(None)
    }

    fn responses(
        &self,
        at: &At<'a>,
        types: &mut Types<'a>,
        prefix: &str,
    ) -> Result<(Success, u16, Vec<ErrorBody>), Diagnostic> {
        let mut successes = Vec::new();
        let mut errors = Vec::new();
        let entries = at.entries("responses");
        let success_count = entries
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .count();
        let only_default = success_count == 0
            && entries
                .iter()
                .all(|(status, _)| *status == "default" || !status.starts_with(['1', '2', '3']));
        let default_is_success = only_default && !has_error_statuses(&entries);
        for (status, response) in entries {
            let response = resolve(self.root, response)?;
            let Some(matcher) = status_match(status) else {
                return Err(Diagnostic::error(
                    response.pointer(),
                    format!("`{status}` is not a status code"),
                    "use a code such as `200`, a class such as `4XX`, or `default`",
                ));
            };
            let is_success = matches!(
                matcher,
                StatusMatch::Code(200..=299) | StatusMatch::Class(2)
            ) || (default_is_success && matcher == StatusMatch::Default);
            let hint = if is_success && success_count == 1 {
                format!("{prefix}Response")
            } else {
                format!("{prefix}Response{}", status.to_ascii_uppercase())
            };
            let body = match pick_media(&response) {
                None => None,
                Some((Media::Json, _, content)) => Some((
                    Media::Json,
                    match content.get("schema") {
                        Some(schema) => types.type_of(&schema, &hint)?,
                        None => TypeRef::Json,
                    },
                )),
                Some((Media::Text, _, _)) => Some((Media::Text, TypeRef::String)),
                Some(_) => Some((Media::Binary, TypeRef::Bytes)),
            };
            if is_success {
                // A range (`2XX`, or `default` as the only answer) covers
                // whatever status the others do not: sorted last.
                let code = match matcher {
                    StatusMatch::Code(code) => code,
                    _ => CATCH_ALL,
                };
                successes.push((code, body));
            } else if let Some((Media::Json, ty)) = body {
                errors.push(ErrorBody {
                    status: matcher,
                    ty,
                });
            }
        }
        let several = successes
            .iter()
            .map(|(_, body)| body.as_ref().map(|(_, ty)| ty))
            .collect::<BTreeSet<_>>()
            .len()
            > 1;
        let name = if several {
            types.reserve_name(&format!("{prefix}Response"))
        } else {
            String::new()
        };
        let first_status = successes
            .iter()
            .map(|(code, _)| *code)
            .filter(|code| *code != CATCH_ALL)
            .min()
            .unwrap_or(200);
        Ok((success(successes, name), first_status, errors))
    }

    fn security(&self, at: &At<'a>) -> Result<(Vec<Vec<SecurityScheme>>, bool), Diagnostic> {
        let Some(requirements) = at.get("security").or_else(|| self.global_security.cloned())
        else {
            return Ok((Vec::new(), true));
        };
        let schemes = At::root(self.root)
            .get("components")
            .and_then(|components| components.get("securitySchemes"));
        let mut accepted = Vec::new();
        let mut optional = false;
        for requirement in array_items(&requirements) {
            let names = requirement.object_entries();
            if names.is_empty() {
                optional = true;
            }
            // Every scheme of one requirement is applied together.
            let mut together: Vec<SecurityScheme> = Vec::new();
            for (name, _) in names {
                let Some(scheme) = schemes.as_ref().and_then(|schemes| schemes.get(name)) else {
                    return Err(Diagnostic::error(
                        requirement.pointer(),
                        format!("security scheme `{name}` is not defined"),
                        "define it under `components/securitySchemes`",
                    ));
                };
                let scheme = resolve(self.root, scheme)?;
                if let Some(lowered) = lower_scheme(&scheme)
                    && !together.contains(&lowered)
                {
                    together.push(lowered);
                }
            }
            if !together.is_empty() && !accepted.contains(&together) {
                accepted.push(together);
            }
        }
        Ok((
            accepted,
            optional || requirements.value.as_array().is_some_and(Vec::is_empty),
        ))
    }
}

/// The `{name}`s of the template that no path parameter declares, once
/// each, in template order.
fn undeclared_path_params(path: &str, params: &[Param]) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        if !name.is_empty()
            && !missing.iter().any(|seen| seen == name)
            && !params
                .iter()
                .any(|p| p.location == ParamLocation::Path && p.wire == name)
        {
            missing.push(name.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    missing
}

/// Every path parameter needs its `{name}` in the template.
fn check_path_params(path: &str, at: &At<'_>, params: &[Param]) -> Result<(), Diagnostic> {
    for param in params.iter().filter(|p| p.location == ParamLocation::Path) {
        if !path.contains(&format!("{{{}}}", param.wire)) {
            return Err(Diagnostic::error(
                at.pointer(),
                format!(
                    "path parameter `{}` does not appear in the path `{path}`",
                    param.wire
                ),
                "remove the parameter or add it to the path template",
            ));
        }
    }
    Ok(())
}

/// Whether any 4xx/5xx response is declared besides `default`.
fn has_error_statuses(entries: &[(&str, At<'_>)]) -> bool {
    entries
        .iter()
        .any(|(status, _)| status.starts_with(['4', '5']))
}

/// The items of an array node.
fn array_items<'a>(at: &At<'a>) -> Vec<At<'a>> {
    match at.value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, value)| At {
                value,
                pointer: format!("{}/{i}", at.pointer()),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn lower_scheme(scheme: &At<'_>) -> Option<SecurityScheme> {
    match scheme.str("type")? {
        "http" => match scheme.str("scheme")?.to_ascii_lowercase().as_str() {
            "bearer" => Some(SecurityScheme::Bearer),
            "basic" => Some(SecurityScheme::Basic),
            _ => None,
        },
        "oauth2" | "openIdConnect" => Some(SecurityScheme::Bearer),
        "apiKey" => {
            let name = scheme.str("name")?.to_owned();
            match scheme.str("in")? {
                "header" => Some(SecurityScheme::ApiKeyHeader(name)),
                "query" => Some(SecurityScheme::ApiKeyQuery(name)),
                "cookie" => Some(SecurityScheme::ApiKeyCookie(name)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The media type to use from a `content` map, by preference: JSON, form,
/// multipart, text, then anything else as raw bytes. Returns the media kind,
/// the exact content type and its node; `None` when there is no content.
fn pick_media<'a>(at: &At<'a>) -> Option<(Media, String, At<'a>)> {
    let content = at.entries("content");
    let classify = |media: &str| {
        let media = media
            .split(';')
            .next()
            .unwrap_or(media)
            .trim()
            .to_ascii_lowercase();
        if media == "application/json" || media.ends_with("+json") || media == "*/*" {
            Media::Json
        } else if media == "application/x-www-form-urlencoded" {
            Media::Form
        } else if media == "multipart/form-data" {
            Media::Multipart
        } else if media.starts_with("text/plain") {
            Media::Text
        } else {
            Media::Binary
        }
    };
    let rank = |media: Media| match media {
        Media::Json => 0,
        Media::Form => 1,
        Media::Multipart => 2,
        Media::Text => 3,
        Media::Binary => 4,
    };
    content
        .into_iter()
        .map(|(media, node)| (classify(media), media.to_owned(), node))
        .min_by_key(|(kind, _, _)| rank(*kind))
}

/// Whether `x-frontend-link: true` appears in `value` or below it,
/// following local `$ref`s (to a bounded depth, which also stops cycles).
fn marks_a_link(root: &Value, value: &Value, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    match value {
        Value::Object(map) => {
            if map.get("x-frontend-link") == Some(&Value::Bool(true)) {
                return true;
            }
            let referenced = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix('#'))
                .and_then(|pointer| root.pointer(pointer));
            referenced.is_some_and(|target| marks_a_link(root, target, depth + 1))
                || map
                    .iter()
                    .filter(|(key, _)| {
                        key.as_str() != "$ref"
                            && key.as_str() != "example"
                            && key.as_str() != "examples"
                    })
                    .any(|(_, child)| marks_a_link(root, child, depth + 1))
        }
        Value::Array(items) => items.iter().any(|item| marks_a_link(root, item, depth + 1)),
        _ => false,
    }
}

fn status_match(status: &str) -> Option<StatusMatch> {
    if status == "default" {
        return Some(StatusMatch::Default);
    }
    let upper = status.to_ascii_uppercase();
    if let Some(class) = upper.strip_suffix("XX") {
        return class
            .parse::<u16>()
            .ok()
            .filter(|c| (1..=5).contains(c))
            .map(StatusMatch::Class);
    }
    status
        .parse::<u16>()
        .ok()
        .filter(|code| (100..=599).contains(code))
        .map(StatusMatch::Code)
}

/// The status a success range stands for while the successes are sorted.
const CATCH_ALL: u16 = u16::MAX;

fn success(mut successes: Vec<(u16, Option<(Media, TypeRef)>)>, name: String) -> Success {
    successes.sort_by_key(|(code, _)| *code);
    let catch_all = successes.iter().any(|(code, _)| *code == CATCH_ALL);
    let distinct: BTreeSet<_> = successes
        .iter()
        .map(|(_, body)| body.as_ref().map(|(_, ty)| ty.clone()))
        .collect();
    match successes.as_slice() {
        [] => Success::Empty,
        _ if distinct.len() == 1 => match successes.swap_remove(0).1 {
            None => Success::Empty,
            Some((media, ty)) => Success::One { ty, media },
        },
        _ => Success::Several {
            name,
            catch_all,
            variants: successes
                .into_iter()
                .map(|(status, body)| SuccessVariant {
                    status: if status == CATCH_ALL { 200 } else { status },
                    name: if status == CATCH_ALL {
                        "Success".to_owned()
                    } else {
                        status_name(status)
                    },
                    media: body.as_ref().map_or(Media::Json, |(media, _)| *media),
                    ty: body.map(|(_, ty)| ty),
                })
                .collect(),
        },
    }
}

fn status_name(status: u16) -> String {
    match status {
        200 => "Ok".to_owned(),
        201 => "Created".to_owned(),
        202 => "Accepted".to_owned(),
        203 => "NonAuthoritative".to_owned(),
        204 => "NoContent".to_owned(),
        206 => "PartialContent".to_owned(),
        other => format!("Status{other}"),
    }
}

/// A stable name for an operation without an id: `get /users/{id}/posts`
/// -> `get_users_by_id_posts`.
fn derived_id(method: HttpMethod, path: &str) -> String {
    let mut parts = vec![method.variant().to_ascii_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => parts.push(format!("by_{param}")),
            None => parts.push(segment.to_owned()),
        }
    }
    parts.join("_")
}

fn operation_docs(at: &At<'_>) -> Option<String> {
    let summary = at.str("summary").map(str::trim).filter(|s| !s.is_empty());
    let description = description(at.value);
    match (summary, description) {
        (Some(summary), Some(description)) if description != summary => {
            Some(format!("{summary}\n\n{description}"))
        }
        (Some(summary), _) => Some(summary.to_owned()),
        (None, description) => description,
    }
}

/// JSON pointers of the link fields inside a value of type `ty`.
fn link_pointers(ty: &TypeRef, types: &Types<'_>, prefix: &str, depth: usize) -> Vec<String> {
    if depth > 8 {
        return Vec::new();
    }
    match ty {
        TypeRef::Nullable(inner) | TypeRef::Boxed(inner) => {
            link_pointers(inner, types, prefix, depth)
        }
        TypeRef::Array(item) | TypeRef::Map(item) => {
            link_pointers(item, types, &format!("{prefix}/*"), depth + 1)
        }
        TypeRef::Named(name) => match types.defs.get(name).map(|def| &def.kind) {
            Some(crate::ir::TypeKind::Struct { fields }) => fields
                .iter()
                .flat_map(|field| {
                    let pointer =
                        format!("{prefix}/{}", crate::diagnostics::escape_token(&field.wire));
                    if field.link {
                        vec![pointer]
                    } else {
                        link_pointers(&field.ty, types, &pointer, depth + 1)
                    }
                })
                .collect(),
            Some(crate::ir::TypeKind::Alias(inner)) => {
                link_pointers(inner, types, prefix, depth + 1)
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}
