//! Turning spec names into Rust identifiers: casing, keywords, collisions.

use std::collections::BTreeSet;

/// Rust keywords (strict and reserved, all editions).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names the generated code uses unqualified; a schema of the same name
/// gets a suffix.
const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Self",
    "Default",
    "Clone",
    "Debug",
    "PartialEq",
    "Serialize",
    "Deserialize",
    "Send",
    "Sync",
    "Sized",
    "Copy",
    "Eq",
    "Hash",
    "Ord",
];

/// Splits a name into lower-case words at separators, case changes and
/// before an upper-case letter that follows a digit: `HTTPValidationError`
/// -> `http validation error`, `v2Items` -> `v2 items`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if p.is_alphanumeric() => {
                (c.is_uppercase() && p.is_lowercase())
                    || (c.is_uppercase()
                        && p.is_uppercase()
                        && next.is_some_and(char::is_lowercase))
                    || (c.is_uppercase() && p.is_ascii_digit())
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Keeps only characters valid in an identifier (ASCII letters, digits, `_`).
fn ascii_only(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// `snake_case`, as a valid identifier (`r#type` for keywords).
pub fn snake(name: &str) -> String {
    let joined = words(name)
        .iter()
        .map(|w| ascii_only(w))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    fix_ident(if joined.is_empty() {
        "value".to_owned()
    } else {
        joined
    })
}

/// `PascalCase`, as a valid identifier not clashing with the prelude.
pub fn pascal(name: &str) -> String {
    let joined: String = words(name)
        .iter()
        .map(|w| ascii_only(w))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    let joined = if joined.is_empty() {
        "Value".to_owned()
    } else {
        joined
    };
    let joined = if joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{joined}")
    } else {
        joined
    };
    if RESERVED_TYPES.contains(&joined.as_str()) {
        format!("{joined}Model")
    } else {
        fix_ident(joined)
    }
}

/// Makes `name` a usable identifier: a leading digit gets a prefix, a keyword
/// becomes a raw identifier (or gets `_` where raw is not allowed).
fn fix_ident(name: String) -> String {
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    };
    if KEYWORDS.contains(&name.as_str()) {
        if matches!(name.as_str(), "self" | "Self" | "super" | "crate") {
            format!("{name}_")
        } else {
            format!("r#{name}")
        }
    } else {
        name
    }
}

/// Names the crate root or every Rust file already gives a meaning: a
/// service module of such a name would shadow it (`std`, the runtime, the
/// `session` field of `Clients`, the `upstream` field of `Fakes`) or be a
/// file the crate needs (`lib.rs`, `fakes.rs`).
const TAKEN_MODULES: &[&str] = &[
    "lib",
    "main",
    "mod",
    "runtime",
    "codegen",
    "clients",
    "session",
    "fakes",
    "upstream",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "serde",
    "clientgen_runtime",
];

/// What a spec file's name gives a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNames {
    /// Its name in the configuration (`leaves_wallet`: the variables are
    /// `LEAVES_WALLET_SERVICE_URL` and so on).
    pub service: String,
    /// Its module: the name, or the name with `_service` when the name is a
    /// keyword or already taken in the crate (`type` -> `type_service`).
    pub module: String,
}

/// The names of the service whose spec file's stem is `stem`, or why the
/// stem cannot name one.
pub fn service_names(stem: &str) -> Result<ServiceNames, String> {
    let usable = stem.starts_with(|c: char| c.is_ascii_alphabetic())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !usable {
        return Err(format!(
            "the file name `{stem}` cannot name a service: it becomes the module and the \
             environment variables, so it must start with an ASCII letter and hold only ASCII \
             letters, digits, `-`, `_` and `.`"
        ));
    }
    let service = words(stem).join("_");
    let module =
        if KEYWORDS.contains(&service.as_str()) || TAKEN_MODULES.contains(&service.as_str()) {
            format!("{service}_service")
        } else {
            service.clone()
        };
    Ok(ServiceNames { service, module })
}

/// The function name inside an operation id FastAPI made up: FastAPI's
/// default id is the function's name, then the path with every character
/// other than a letter, digit or `_` written as `_`, then `_` and the
/// method (`get_leave_balance_leave_wallets__employee_id__balance_get` for
/// `get_leave_balance` at `GET /leave-wallets/{employee_id}/balance`).
/// `None` when the id does not have that form.
pub fn fastapi_function<'a>(operation_id: &'a str, path: &str, method: &str) -> Option<&'a str> {
    let route: String = path
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let function = operation_id.strip_suffix(&format!("{route}_{method}"))?;
    (!function.is_empty() && function.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then_some(function)
}

/// Hands out names unique within one scope.
#[derive(Clone, Debug, Default)]
pub struct Names {
    used: BTreeSet<String>,
}

impl Names {
    /// A scope where `taken` are already used.
    pub fn with_taken<'a>(taken: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            used: taken.into_iter().map(str::to_owned).collect(),
        }
    }

    /// `base`, or `base2`, `base3`... if taken. Records the result.
    pub fn unique(&mut self, base: &str) -> String {
        let bare = base.trim_start_matches("r#");
        let mut candidate = base.to_owned();
        let mut n = 2;
        while self.used.contains(candidate.trim_start_matches("r#")) {
            candidate = format!("{bare}{n}");
            n += 1;
        }
        self.used
            .insert(candidate.trim_start_matches("r#").to_owned());
        candidate
    }

    /// Whether `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.used.contains(name.trim_start_matches("r#"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_modules_that_compile_or_are_refused() {
        let names = |stem: &str| service_names(stem).map(|n| (n.service, n.module));
        let named = |service: &str, module: &str| Ok((service.to_owned(), module.to_owned()));
        assert_eq!(
            names("leaves-wallet"),
            named("leaves_wallet", "leaves_wallet")
        );
        assert_eq!(
            names("LeavesWallet"),
            named("leaves_wallet", "leaves_wallet")
        );
        for taken in [
            "type",
            "self",
            "crate",
            "session",
            "fakes",
            "std",
            "core",
            "clientgen_runtime",
            "lib",
        ] {
            assert_eq!(names(taken), named(taken, &format!("{taken}_service")));
        }
        for refused in ["été", "1password", "", "-x", "a b", "über-api"] {
            assert!(names(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn fastapi_ids_give_their_function_names() {
        fn function<'a>(id: &'a str, path: &str, method: &str) -> Option<&'a str> {
            fastapi_function(id, path, method)
        }
        assert_eq!(
            function(
                "get_leave_balance_leave_wallets__employee_id__balance_get",
                "/leave-wallets/{employee_id}/balance",
                "get"
            ),
            Some("get_leave_balance")
        );
        assert_eq!(
            function(
                "delete_notification_notifications__notification_id__delete",
                "/notifications/{notification_id}",
                "delete"
            ),
            Some("delete_notification")
        );
        assert_eq!(
            function(
                "send_notification_notifications_post",
                "/notifications",
                "post"
            ),
            Some("send_notification")
        );
        assert_eq!(
            function("getUser", "/users/{id}", "get"),
            None,
            "not FastAPI's form"
        );
        assert_eq!(
            function("_notifications_post", "/notifications", "post"),
            None,
            "no function left"
        );
        assert_eq!(
            function("list_items_get", "/items", "post"),
            None,
            "another method"
        );
    }

    #[test]
    fn snake_case_of_common_shapes() {
        for (input, expected) in [
            ("getUser", "get_user"),
            ("user_id", "user_id"),
            ("HTTPValidationError", "http_validation_error"),
            ("X-Request-ID", "x_request_id"),
            ("Idempotency-Key", "idempotency_key"),
            ("type", "r#type"),
            ("self", "self_"),
            ("123abc", "_123abc"),
            ("", "value"),
            ("$top", "top"),
            ("ÜberName", "ber_name"),
            ("v2Items", "v2_items"),
            ("balanceAfterCents", "balance_after_cents"),
        ] {
            assert_eq!(snake(input), expected, "{input}");
        }
    }

    #[test]
    fn pascal_case_avoids_the_prelude_and_keywords() {
        for (input, expected) in [
            ("user", "User"),
            ("HTTPValidationError", "HttpValidationError"),
            ("leaves_wallet", "LeavesWallet"),
            ("Result", "ResultModel"),
            ("option", "OptionModel"),
            ("2fa-method", "N2faMethod"),
            ("self", "SelfModel"),
            ("hr_admin", "HrAdmin"),
        ] {
            assert_eq!(pascal(input), expected, "{input}");
        }
    }

    #[test]
    fn collisions_get_numbered() {
        let mut names = Names::with_taken(["User"]);
        assert_eq!(names.unique("User"), "User2");
        assert_eq!(names.unique("User"), "User3");
        assert_eq!(names.unique("Role"), "Role");
        let mut fields = Names::default();
        assert_eq!(fields.unique("r#type"), "r#type");
        assert_eq!(fields.unique("r#type"), "type2");
    }
}
