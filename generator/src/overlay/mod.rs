//! OpenAPI Overlay 1.0 documents: checked, then applied to a spec's JSON
//! value, action after action.
//!
//! `update` merges into each selected node: into an object, the update's
//! properties are merged recursively (objects merged, arrays concatenated,
//! anything else replaced); into an array, the update is appended as one
//! entry, or, when it is itself an array, its entries are (Overlay 1.1's
//! clarification, and what 1.0 tools do). `remove: true` removes each
//! selected node from its object or array.

mod jsonpath;

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, child};

/// A checked overlay document, ready to apply.
#[derive(Clone, Debug)]
pub(crate) struct Overlay {
    /// The overlay file, as given.
    pub(crate) file: String,
    actions: Vec<Action>,
    extends: Option<String>,
}

#[derive(Clone, Debug)]
struct Action {
    /// `#/actions/N`, in the overlay document.
    pointer: String,
    target: String,
    query: jsonpath::Query,
    description: Option<String>,
    change: Change,
}

#[derive(Clone, Debug)]
enum Change {
    Update(Value),
    /// `update_ignored`: the action also had an `update`, which the spec
    /// says has no effect next to `remove: true`.
    Remove {
        update_ignored: bool,
    },
}

/// Whether `value` is an overlay (it has a top-level `overlay` field)
/// rather than an OpenAPI document.
pub(crate) fn is_overlay(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|root| root.contains_key("overlay"))
}

/// Checks the overlay document `value`, read from `file`.
pub(crate) fn parse(file: &str, value: &Value) -> Result<Overlay, Diagnostic> {
    let (actions, extends) = parse_root(value).map_err(|d| d.in_file(file))?;
    Ok(Overlay {
        file: file.to_owned(),
        actions,
        extends,
    })
}

fn error<T>(
    pointer: &str,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Result<T, Diagnostic> {
    Err(Diagnostic::error(pointer, message, help))
}

/// Rejects fields other than `known` and `x-` extensions.
fn known_fields(
    fields: &Map<String, Value>,
    pointer: &str,
    known: &[&str],
    help: &str,
) -> Result<(), Diagnostic> {
    match fields
        .keys()
        .find(|key| !key.starts_with("x-") && !known.contains(&key.as_str()))
    {
        Some(key) => error(&child(pointer, key), format!("unknown field `{key}`"), help),
        None => Ok(()),
    }
}

fn is_supported(version: &str) -> bool {
    version
        .strip_prefix("1.0.")
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_root(value: &Value) -> Result<(Vec<Action>, Option<String>), Diagnostic> {
    let Some(root) = value.as_object() else {
        return error(
            "#",
            "the overlay is not an object",
            "an overlay is a mapping with `overlay`, `info` and `actions`",
        );
    };
    known_fields(
        root,
        "#",
        &["overlay", "info", "extends", "actions"],
        "an overlay has `overlay`, `info`, `actions`, an optional `extends`, and `x-` extensions",
    )?;
    match root.get("overlay") {
        None => error(
            "#",
            "the `overlay` version field is missing",
            "add `overlay: 1.0.0` at the top of the overlay",
        )?,
        Some(Value::String(version)) if is_supported(version) => {}
        Some(Value::String(version)) => error(
            "#/overlay",
            format!("Overlay version {version} is not supported"),
            "clientgen applies Overlay 1.0.x documents",
        )?,
        Some(_) => error(
            "#/overlay",
            "the `overlay` field is not a string",
            "quote the version: `overlay: \"1.0.0\"`",
        )?,
    }
    parse_info(root.get("info"))?;
    let extends = match root.get("extends") {
        None => None,
        Some(Value::String(extends)) => Some(extends.clone()),
        Some(_) => error(
            "#/extends",
            "`extends` is not a string",
            "give the URI reference of the spec the overlay is for, or leave it out",
        )?,
    };
    let actions = match root.get("actions") {
        None => error(
            "#",
            "the `actions` field is missing",
            "add `actions:` with at least one action (`target` and `update` or `remove: true`)",
        )?,
        Some(Value::Array(actions)) if actions.is_empty() => error(
            "#/actions",
            "`actions` is empty",
            "add at least one action (`target` and `update` or `remove: true`)",
        )?,
        Some(Value::Array(actions)) => actions,
        Some(_) => error(
            "#/actions",
            "`actions` is not an array",
            "make `actions` a list of actions",
        )?,
    };
    let actions = actions
        .iter()
        .enumerate()
        .map(|(index, action)| parse_action(index, action))
        .collect::<Result<_, _>>()?;
    Ok((actions, extends))
}

fn parse_info(info: Option<&Value>) -> Result<(), Diagnostic> {
    let Some(info) = info else {
        return error(
            "#",
            "the `info` field is missing",
            "add `info:` with a `title` and a `version`",
        );
    };
    let Some(fields) = info.as_object() else {
        return error(
            "#/info",
            "`info` is not an object",
            "make `info` a mapping with a `title` and a `version`",
        );
    };
    known_fields(
        fields,
        "#/info",
        &["title", "version", "description"],
        "`info` has a `title`, a `version`, an optional `description`, and `x-` extensions",
    )?;
    for field in ["title", "version"] {
        match fields.get(field) {
            None => error(
                "#/info",
                format!("`info` has no `{field}`"),
                format!("add `{field}:` to `info`"),
            )?,
            Some(Value::String(_)) => {}
            Some(_) => error(
                &format!("#/info/{field}"),
                format!("the `{field}` is not a string"),
                format!("quote the {field}"),
            )?,
        }
    }
    Ok(())
}

fn parse_action(index: usize, value: &Value) -> Result<Action, Diagnostic> {
    let pointer = format!("#/actions/{index}");
    let Some(fields) = value.as_object() else {
        return error(
            &pointer,
            "the action is not an object",
            "an action is a mapping with a `target` and `update` or `remove: true`",
        );
    };
    known_fields(
        fields,
        &pointer,
        &["target", "description", "update", "remove"],
        "an action has `target`, `description`, `update` or `remove`, and `x-` extensions (Overlay 1.0)",
    )?;
    let target = match fields.get("target") {
        None => error(
            &pointer,
            "the action has no `target`",
            "add `target:` with a JSONPath query such as `$.paths['/users'].get`",
        )?,
        Some(Value::String(target)) => target.clone(),
        Some(_) => error(
            &child(&pointer, "target"),
            "the `target` is not a string",
            "write the JSONPath query as a string, e.g. `$.paths['/users'].get`",
        )?,
    };
    let query = jsonpath::parse(&target).or_else(|syntax| {
        error(
            &child(&pointer, "target"),
            format!("the target `{target}` is not a valid JSONPath query ({syntax})"),
            "write an RFC 9535 JSONPath query, e.g. `$.paths['/users/{id}'].get` or `$.paths.*[?@.operationId == 'get_user']`",
        )
    })?;
    let description = match fields.get("description") {
        None => None,
        Some(Value::String(description)) => Some(description.clone()),
        Some(_) => error(
            &child(&pointer, "description"),
            "the `description` is not a string",
            "quote the description, or leave it out",
        )?,
    };
    let remove = match fields.get("remove") {
        None => false,
        Some(Value::Bool(remove)) => *remove,
        Some(_) => error(
            &child(&pointer, "remove"),
            "`remove` is not a boolean",
            "write `remove: true`, or leave it out",
        )?,
    };
    let change = match (remove, fields.get("update")) {
        (true, update) => Change::Remove {
            update_ignored: update.is_some(),
        },
        (false, Some(update)) => Change::Update(update.clone()),
        (false, None) => error(
            &pointer,
            "the action has neither `update` nor `remove: true`",
            "add `update:` with the values to merge into the target, or `remove: true`",
        )?,
    };
    Ok(Action {
        pointer,
        target,
        query,
        description,
        change,
    })
}

impl Overlay {
    /// The URI reference of the document the overlay was written for.
    pub(crate) fn extends(&self) -> Option<&str> {
        self.extends.as_deref()
    }

    /// Applies the actions in order to `document` (each sees the previous
    /// ones' changes). Returns warnings (an action selecting nothing); an
    /// error stops at the failing action, the document holding the changes
    /// made so far.
    pub(crate) fn apply(&self, document: &mut Value) -> Result<Vec<Diagnostic>, Diagnostic> {
        let mut warnings = Vec::new();
        for action in &self.actions {
            let targets = action.query.select(document);
            if targets.is_empty() {
                warnings.push(nothing_selected(action).in_file(&self.file));
                continue;
            }
            let applied = match &action.change {
                Change::Update(update) => targets
                    .iter()
                    .try_for_each(|target| update_node(document, target, update, action)),
                Change::Remove { update_ignored } => {
                    if *update_ignored {
                        warnings.push(
                            Diagnostic::warning(
                                &child(&action.pointer, "update"),
                                "the `update` has no effect: the action also has `remove: true`",
                                "drop the `update`, or `remove` if an update was meant",
                            )
                            .in_file(&self.file),
                        );
                    }
                    remove_nodes(document, &targets, action)
                }
            };
            applied.map_err(|d| d.in_file(&self.file))?;
        }
        Ok(warnings)
    }
}

fn nothing_selected(action: &Action) -> Diagnostic {
    let mut message = format!("the target `{}` selects nothing", action.target);
    if let Some(description) = &action.description {
        let _ = write!(message, " (action: {description})");
    }
    let help = if action.target.contains("[?") {
        "nothing was changed; note that a filter `[?...]` tests the children of the node before it: to pick operations by operationId write `$.paths.*[?@.operationId == '...']`"
    } else {
        "nothing was changed; check the path against the spec (names are case-sensitive)"
    };
    Diagnostic::warning(&child(&action.pointer, "target"), message, help)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn update_node(
    document: &mut Value,
    target: &str,
    update: &Value,
    action: &Action,
) -> Result<(), Diagnostic> {
    // An earlier selected node's merge may have replaced this one.
    let Some(node) = document.pointer_mut(target) else {
        return Ok(());
    };
    match node {
        Value::Object(fields) => {
            let Value::Object(update) = update else {
                return error(
                    &child(&action.pointer, "update"),
                    format!(
                        "the target selects #{target}, an object, but the update is {}",
                        kind(update)
                    ),
                    "make `update` a mapping of the properties to merge into the object",
                );
            };
            merge_object(fields, update);
        }
        Value::Array(items) => match update {
            Value::Array(more) => items.extend(more.iter().cloned()),
            entry => items.push(entry.clone()),
        },
        primitive => {
            return error(
                &child(&action.pointer, "target"),
                format!(
                    "the target selects #{target}, {}, which an update cannot merge into",
                    kind(primitive)
                ),
                "select the object holding the value and update the property in it, e.g. `target: $.info` with `update: {title: ...}`",
            );
        }
    }
    Ok(())
}

/// Overlay merge: properties only in `update` are added; in both, objects
/// merge recursively, arrays concatenate, anything else is replaced.
fn merge_object(target: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        match target.get_mut(key) {
            Some(existing) => merge_value(existing, value),
            None => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

fn merge_value(existing: &mut Value, value: &Value) {
    match (existing, value) {
        (Value::Object(existing), Value::Object(value)) => merge_object(existing, value),
        (Value::Array(existing), Value::Array(value)) => existing.extend(value.iter().cloned()),
        (existing, value) => *existing = value.clone(),
    }
}

/// Removes every node at `targets` (pointers in document order): last
/// first, so array indexes still to remove do not shift, and a node inside
/// another goes before it.
fn remove_nodes(
    document: &mut Value,
    targets: &[String],
    action: &Action,
) -> Result<(), Diagnostic> {
    if targets.iter().any(String::is_empty) {
        return error(
            &child(&action.pointer, "target"),
            "the target selects the whole document, which cannot be removed",
            "select the parts of the document to remove",
        );
    }
    for target in targets.iter().rev() {
        let Some((parent, token)) = target.rsplit_once('/') else {
            continue;
        };
        let token = token.replace("~1", "/").replace("~0", "~");
        match document.pointer_mut(parent) {
            Some(Value::Object(fields)) => {
                fields.shift_remove(&token);
            }
            Some(Value::Array(items)) => {
                if let Ok(index) = token.parse::<usize>()
                    && index < items.len()
                {
                    items.remove(index);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::diagnostics::Severity;

    fn overlay(actions: Value) -> Value {
        json!({
            "overlay": "1.0.0",
            "info": {"title": "Fixes", "version": "1"},
            "actions": actions
        })
    }

    fn parsed(document: &Value) -> Overlay {
        match parse("fixes.yaml", document) {
            Ok(overlay) => overlay,
            Err(diagnostic) => panic!("{diagnostic}"),
        }
    }

    /// The pointer and message of the diagnostic `parse` returns.
    fn rejected(document: &Value) -> (String, String) {
        match parse("fixes.yaml", document) {
            Ok(_) => panic!("accepted {document}"),
            Err(diagnostic) => {
                assert_eq!(diagnostic.file, "fixes.yaml");
                assert_eq!(diagnostic.severity, Severity::Error);
                assert!(!diagnostic.help.is_empty());
                (diagnostic.pointer, diagnostic.message)
            }
        }
    }

    /// Applies `actions` to `spec`: the warnings' pointers, or the error.
    fn applied(actions: Value, spec: &mut Value) -> Result<Vec<Diagnostic>, Diagnostic> {
        parsed(&overlay(actions)).apply(spec)
    }

    fn spec() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "FastAPI", "version": "0.1.0"},
            "tags": [{"name": "notifications"}],
            "paths": {
                "/notifications": {
                    "post": {
                        "operationId": "send_notification_notifications_post",
                        "tags": ["notifications"],
                        "parameters": [
                            {"name": "x-a", "in": "header"},
                            {"name": "dry_run", "in": "query"},
                            {"name": "x-b", "in": "header"},
                            {"name": "x-c", "in": "header"},
                            {"name": "verbose", "in": "query"}
                        ],
                        "responses": {"200": {"description": "Successful Response"}}
                    }
                },
                "/users/{user_id}": {
                    "get": {
                        "operationId": "read_user_users__user_id__get",
                        "responses": {"200": {"description": "Successful Response"}}
                    }
                }
            },
            "components": {
                "schemas": {
                    "Notification": {
                        "type": "object",
                        "properties": {
                            "message": {"type": "string"},
                            "action_url": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Action Url"}
                        }
                    }
                }
            }
        })
    }

    #[test]
    fn tells_overlays_from_specs() {
        assert!(is_overlay(&overlay(json!([]))));
        assert!(!is_overlay(&spec()));
        assert!(!is_overlay(&json!(["overlay"])));
    }

    #[test]
    fn parses_a_valid_overlay() {
        let mut document = overlay(json!([
            {"target": "$.info", "description": "Rename", "update": {"title": "Notifier"}, "x-note": 1},
            {"target": "$.tags", "remove": true}
        ]));
        if let Some(root) = document.as_object_mut() {
            root.insert("extends".to_owned(), json!("./openapi.json"));
            root.insert("x-owner".to_owned(), json!("api-team"));
        }
        let overlay = parsed(&document);
        assert_eq!(overlay.file, "fixes.yaml");
        assert_eq!(overlay.extends(), Some("./openapi.json"));
        assert_eq!(overlay.actions.len(), 2);
        let overlay = parsed(&json!({
            "overlay": "1.0.12",
            "info": {"title": "t", "version": "v"},
            "actions": [{"target": "$", "update": {}}]
        }));
        assert_eq!(overlay.extends(), None);
    }

    #[test]
    fn parse_errors_point_into_the_overlay() {
        let action = json!({"target": "$", "update": {}});
        let with = |field: &str, value: Value| {
            let mut document = overlay(json!([action.clone()]));
            if let Some(root) = document.as_object_mut() {
                if value.is_null() {
                    root.remove(field);
                } else {
                    root.insert(field.to_owned(), value);
                }
            }
            rejected(&document).0
        };
        assert_eq!(rejected(&json!([1])).0, "#");
        assert_eq!(with("overlay", Value::Null), "#");
        assert_eq!(with("overlay", json!("2.0.0")), "#/overlay");
        assert_eq!(with("overlay", json!("1.0")), "#/overlay");
        assert_eq!(with("overlay", json!(1.0)), "#/overlay");
        assert_eq!(with("info", Value::Null), "#");
        assert_eq!(with("info", json!("Fixes")), "#/info");
        assert_eq!(with("info", json!({"version": "1"})), "#/info");
        assert_eq!(
            with("info", json!({"title": "t", "version": 1})),
            "#/info/version"
        );
        assert_eq!(
            with("info", json!({"title": "t", "version": "1", "owner": "x"})),
            "#/info/owner"
        );
        assert_eq!(with("extends", json!(["a"])), "#/extends");
        assert_eq!(with("actions", Value::Null), "#");
        assert_eq!(with("actions", json!([])), "#/actions");
        assert_eq!(with("actions", json!({"target": "$"})), "#/actions");
        assert_eq!(with("action", json!([])), "#/action");
    }

    #[test]
    fn action_errors_point_at_the_action() {
        let action_error = |bad: Value| {
            rejected(&overlay(json!([
                {"target": "$.info", "update": {}},
                {"target": "$.paths", "update": {}},
                bad
            ])))
        };
        assert_eq!(action_error(json!("remove")).0, "#/actions/2");
        assert_eq!(action_error(json!({"update": {}})).0, "#/actions/2");
        assert_eq!(
            action_error(json!({"target": 7, "update": {}})).0,
            "#/actions/2/target"
        );
        assert_eq!(action_error(json!({"target": "$.a"})).0, "#/actions/2");
        assert_eq!(
            action_error(json!({"target": "$.a", "remove": false})).0,
            "#/actions/2"
        );
        assert_eq!(
            action_error(json!({"target": "$.a", "remove": "yes"})).0,
            "#/actions/2/remove"
        );
        assert_eq!(
            action_error(json!({"target": "$.a", "update": {}, "description": ["x"]})).0,
            "#/actions/2/description"
        );
        assert_eq!(
            action_error(json!({"target": "$.a", "copy": "$.b"})).0,
            "#/actions/2/copy"
        );
        let (pointer, message) =
            action_error(json!({"target": "$.paths[?@.get ==]", "update": {}}));
        assert_eq!(pointer, "#/actions/2/target");
        assert!(message.contains("at byte 17"), "{message}");
        let (pointer, _) = action_error(json!({"target": "paths", "update": {}}));
        assert_eq!(pointer, "#/actions/2/target");
    }

    #[test]
    fn update_merges_recursively() {
        let mut spec = spec();
        let warnings = applied(
            json!([{
                "target": "$",
                "update": {
                    "info": {"title": "Notifier", "x-logo": {"url": "logo.png"}},
                    "paths": {"/notifications": {"post": {
                        "summary": "Send",
                        "tags": ["messaging"],
                        "responses": {"200": {"description": "Sent"}, "422": {"description": "Invalid"}}
                    }}}
                }
            }]),
            &mut spec,
        );
        assert_eq!(warnings.map(|w| w.len()), Ok(0));
        assert_eq!(
            spec["info"],
            json!({"title": "Notifier", "version": "0.1.0", "x-logo": {"url": "logo.png"}})
        );
        let post = &spec["paths"]["/notifications"]["post"];
        assert_eq!(post["summary"], "Send");
        assert_eq!(post["operationId"], "send_notification_notifications_post");
        // Arrays inside an object update are concatenated.
        assert_eq!(post["tags"], json!(["notifications", "messaging"]));
        assert_eq!(
            post["responses"],
            json!({"200": {"description": "Sent"}, "422": {"description": "Invalid"}})
        );
        // Key order is kept, new keys last.
        let keys: Vec<&String> = post
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["operationId", "tags", "parameters", "responses", "summary"]
        );
    }

    #[test]
    fn update_fastapi_targets() {
        let mut spec = spec();
        let result = applied(
            json!([
                {
                    "target": "$.paths.*[?@.operationId == 'send_notification_notifications_post']",
                    "update": {"x-retry": {"idempotent": true}}
                },
                {
                    "target": "$.components.schemas.Notification.properties.action_url",
                    "update": {"format": "uri", "title": "Action URL"}
                }
            ]),
            &mut spec,
        );
        assert_eq!(result, Ok(Vec::new()));
        assert_eq!(
            spec["paths"]["/notifications"]["post"]["x-retry"],
            json!({"idempotent": true})
        );
        assert_eq!(
            spec["components"]["schemas"]["Notification"]["properties"]["action_url"],
            json!({"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Action URL", "format": "uri"})
        );
    }

    #[test]
    fn update_appends_to_arrays() {
        let mut spec = spec();
        let result = applied(
            json!([
                {"target": "$.tags", "update": {"name": "users"}},
                {"target": "$.tags", "update": [{"name": "admin"}, {"name": "health"}]},
                {"target": "$.paths.*.*.parameters", "update": {"name": "trace", "in": "header"}}
            ]),
            &mut spec,
        );
        assert_eq!(result, Ok(Vec::new()));
        assert_eq!(
            spec["tags"],
            json!([{"name": "notifications"}, {"name": "users"}, {"name": "admin"}, {"name": "health"}])
        );
        let parameters = &spec["paths"]["/notifications"]["post"]["parameters"];
        assert_eq!(parameters.as_array().map(Vec::len), Some(6));
        assert_eq!(parameters[5]["name"], "trace");
    }

    #[test]
    fn update_errors() {
        let mut spec = spec();
        let error = applied(
            json!([
                {"target": "$.info", "update": {"x-a": 1}},
                {"target": "$.info.title", "update": "Renamed"}
            ]),
            &mut spec,
        )
        .err();
        assert_eq!(
            error
                .as_ref()
                .map(|e| (e.pointer.as_str(), e.file.as_str())),
            Some(("#/actions/1/target", "fixes.yaml"))
        );
        assert!(error.is_some_and(|e| e.message.contains("#/info/title, a string")));
        let error = applied(json!([{"target": "$.info", "update": ["x"]}]), &mut spec).err();
        assert_eq!(
            error.map(|e| e.pointer),
            Some("#/actions/0/update".to_owned())
        );
    }

    #[test]
    fn remove_nodes_and_array_elements() {
        let mut spec = spec();
        let result = applied(
            json!([
                {"target": "$.paths.*.*.parameters[?@.in == 'header']", "remove": true},
                {"target": "$.paths['/users/{user_id}']", "remove": true},
                {"target": "$.components.schemas.Notification.properties.action_url.anyOf[1]", "remove": true}
            ]),
            &mut spec,
        );
        assert_eq!(result, Ok(Vec::new()));
        assert_eq!(
            spec["paths"]["/notifications"]["post"]["parameters"],
            json!([{"name": "dry_run", "in": "query"}, {"name": "verbose", "in": "query"}])
        );
        assert_eq!(
            spec["paths"]
                .as_object()
                .map(|paths| paths.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["/notifications".to_owned()])
        );
        assert_eq!(
            spec["components"]["schemas"]["Notification"]["properties"]["action_url"]["anyOf"],
            json!([{"type": "string"}])
        );
    }

    #[test]
    fn remove_nested_selections() {
        // `..description` selects nodes inside other selected nodes.
        let mut document = json!({
            "a": {"description": {"description": "inner"}, "keep": [1, {"description": "x"}, 3]},
            "description": "top",
            "z": [{"description": 1}, {"description": 2}]
        });
        let result = applied(
            json!([
                {"target": "$..description", "remove": true},
                {"target": "$.a.keep[0,2,0]", "remove": true}
            ]),
            &mut document,
        );
        assert_eq!(result, Ok(Vec::new()));
        assert_eq!(document, json!({"a": {"keep": [{}]}, "z": [{}, {}]}));
        let error = applied(json!([{"target": "$", "remove": true}]), &mut document).err();
        assert_eq!(
            error.map(|e| e.pointer),
            Some("#/actions/0/target".to_owned())
        );
    }

    #[test]
    fn an_action_selecting_nothing_is_a_warning() {
        let mut spec = spec();
        let before = spec.clone();
        let warnings = applied(
            json!([
                {"target": "$.paths['/missing']", "description": "Tidy", "update": {"x": 1}},
                {"target": "$.paths.*.*[?@.operationId == 'send_notification_notifications_post']", "remove": true}
            ]),
            &mut spec,
        );
        assert_eq!(spec, before);
        let Ok(warnings) = warnings else {
            panic!("{warnings:?}");
        };
        let summary: Vec<(Severity, &str, &str)> = warnings
            .iter()
            .map(|w| (w.severity, w.pointer.as_str(), w.file.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (Severity::Warning, "#/actions/0/target", "fixes.yaml"),
                (Severity::Warning, "#/actions/1/target", "fixes.yaml")
            ]
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.message.contains("(action: Tidy)"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.help.contains("$.paths.*[?@.operationId"))
        );
    }

    #[test]
    fn actions_apply_in_order() {
        let mut spec = spec();
        let result = applied(
            json!([
                // Mark an operation, then remove what is marked.
                {"target": "$.paths['/users/{user_id}'].get", "update": {"x-internal": true}},
                {"target": "$.paths.*[?@.x-internal == true]", "remove": true},
                // Remove a schema, then re-create it.
                {"target": "$.components.schemas.Notification", "remove": true},
                {"target": "$.components.schemas", "update": {"Notification": {"type": "string"}}},
                // Replace an array wholesale: remove it, then set it.
                {"target": "$.paths['/notifications'].post.tags", "remove": true},
                {"target": "$.paths['/notifications'].post", "update": {"tags": ["alerts"]}}
            ]),
            &mut spec,
        );
        assert_eq!(result, Ok(Vec::new()));
        assert_eq!(spec["paths"]["/users/{user_id}"], json!({}));
        assert_eq!(
            spec["components"]["schemas"],
            json!({"Notification": {"type": "string"}})
        );
        assert_eq!(
            spec["paths"]["/notifications"]["post"]["tags"],
            json!(["alerts"])
        );
    }

    #[test]
    fn remove_wins_over_update_with_a_warning() {
        let mut spec = spec();
        let warnings = applied(
            json!([{"target": "$.tags", "update": [{"name": "x"}], "remove": true}]),
            &mut spec,
        );
        assert_eq!(
            warnings.map(|w| w.into_iter().map(|w| w.pointer).collect::<Vec<_>>()),
            Ok(vec!["#/actions/0/update".to_owned()])
        );
        assert!(spec.get("tags").is_none());
    }
}
