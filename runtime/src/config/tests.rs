use std::time::Duration;

use super::*;
use crate::auth::Credentials;

fn vars(pairs: &[(&str, &str)]) -> Result<RuntimeConfig, ConfigError> {
    RuntimeConfig::from_vars(pairs.iter().copied())
}

fn invalid_variable(pairs: &[(&str, &str)]) -> String {
    match vars(pairs) {
        Ok(config) => panic!("expected an error for {pairs:?}, got {config:?}"),
        Err(error) => {
            let variable = error.variable().unwrap_or_default().to_owned();
            assert!(
                error.to_string().starts_with(&variable),
                "message names the variable: {error}"
            );
            variable
        }
    }
}

#[test]
fn defaults_with_an_empty_environment() {
    let config = vars(&[]).expect("defaults are valid");
    assert_eq!(config.frontend_url(), "http://localhost:3000");
    assert_eq!(
        config.auth_callback_url().as_str(),
        "http://localhost:3000/auth/callback"
    );
    assert_eq!(config.timeouts(), Timeouts::default());
    assert_eq!(config.retry().max_attempts(), 3);
    assert_eq!(config.max_body_bytes(), 4 * 1024 * 1024);
    assert_eq!(config.service_names().count(), 0);
    let http = config.http();
    assert_eq!(http.user_agent, crate::transport::DEFAULT_USER_AGENT);
    assert!(http.user_agent.starts_with("clientgen/"));
    assert_eq!(http.version, crate::transport::HttpVersion::Negotiated);
    assert_eq!(http.proxy, crate::transport::ProxySettings::default());
    assert!(http.root_certificates.is_empty());
}

#[test]
fn reads_every_service_and_setting() {
    let config = vars(&[
        ("FRONTEND_URL", "https://hr.example.com/app/"),
        ("AUTH_SERVICE_URL", "http://auth.internal:8080"),
        ("CONFIG_SERVICE_URL", "http://config.internal"),
        ("NOTIFICATION_SERVICE_URL", "http://notify.internal/v1"),
        ("LEAVES_WALLET_SERVICE_URL", "http://leaves.internal"),
        ("EXPENSIVE_WALLET_SERVICE_URL", "http://expenses.internal"),
        ("AUDIT_SERVICE_URL", "https://audit.internal"),
        ("BILLING_SERVICE_URL", "https://billing.internal"),
        ("AUTH_SERVICE_TOKEN", "tok"),
        ("AUDIT_SERVICE_USERNAME", "svc"),
        ("AUDIT_SERVICE_PASSWORD", "pw"),
        ("CLIENTGEN_ATTEMPT_TIMEOUT_MS", "1500"),
        ("CLIENTGEN_MAX_ATTEMPTS", "5"),
        ("CLIENTGEN_BREAKER_MINIMUM_CALLS", "20"),
        ("CLIENTGEN_RETRY_BUDGET_RATIO", "0.1"),
        ("CLIENTGEN_USER_AGENT", "hr-backend/2.3"),
        ("UNRELATED", "ignored"),
    ])
    .expect("valid");
    assert_eq!(config.frontend_url(), "https://hr.example.com/app");
    assert_eq!(
        config.auth_callback_url().as_str(),
        "https://hr.example.com/app/auth/callback"
    );
    let names: Vec<_> = config.service_names().collect();
    assert_eq!(
        names,
        [
            "audit",
            "auth",
            "billing",
            "config",
            "expensive_wallet",
            "leaves_wallet",
            "notification"
        ]
    );
    let leaves = config.service("leaves-wallet").expect("normalised lookup");
    assert_eq!(leaves.base_url().as_str(), "http://leaves.internal/");
    assert!(matches!(
        config.service("auth").and_then(ServiceConfig::credentials),
        Some(Credentials::Bearer(_))
    ));
    assert!(matches!(
        config.service("audit").and_then(ServiceConfig::credentials),
        Some(Credentials::Basic { .. })
    ));
    assert_eq!(config.timeouts().attempt, Duration::from_millis(1500));
    assert_eq!(config.retry().max_attempts(), 5);
    assert_eq!(config.breaker().minimum_calls, 20);
    assert!((config.budget().ratio - 0.1).abs() < f64::EPSILON);
    assert_eq!(config.http().user_agent, "hr-backend/2.3");
}

#[test]
fn reads_the_http_client_settings_and_the_standard_proxy_variables() {
    let config = vars(&[
        ("CLIENTGEN_CONNECT_TIMEOUT_MS", "750"),
        ("CLIENTGEN_POOL_IDLE_TIMEOUT_MS", "5000"),
        ("CLIENTGEN_POOL_MAX_IDLE_PER_HOST", "8"),
        ("CLIENTGEN_HTTP1_ONLY", "true"),
        ("HTTP_PROXY", "http://upper.proxy:3128"),
        ("http_proxy", "http://lower.proxy:3128"),
        ("ALL_PROXY", "http://all.proxy:8080"),
        ("NO_PROXY", "localhost,.internal"),
    ])
    .expect("valid");
    let http = config.http();
    assert_eq!(http.connect_timeout, Duration::from_millis(750));
    assert_eq!(http.pool_idle_timeout, Duration::from_secs(5));
    assert_eq!(http.pool_max_idle_per_host, 8);
    assert_eq!(http.version, crate::transport::HttpVersion::Http1Only);
    let proxy = |url: &Option<Url>| url.as_ref().map(Url::as_str).map(str::to_owned);
    assert_eq!(
        proxy(&http.proxy.http).as_deref(),
        Some("http://lower.proxy:3128/")
    );
    assert_eq!(
        proxy(&http.proxy.https).as_deref(),
        Some("http://all.proxy:8080/")
    );
    assert_eq!(http.proxy.no_proxy.as_deref(), Some("localhost,.internal"));
}

#[test]
fn a_proxy_password_is_never_shown_and_a_socks_all_proxy_is_ignored() {
    let config = vars(&[
        (
            "HTTPS_PROXY",
            "http://user:pr0xy-s3cret@proxy.internal:3128",
        ),
        ("ALL_PROXY", "socks5://127.0.0.1:1080"),
    ])
    .expect("valid");
    let shown = format!("{config:?}");
    assert!(!shown.contains("pr0xy-s3cret"), "{shown}");
    assert!(shown.contains("proxy.internal"), "{shown}");
    assert_eq!(
        config.http().proxy.http,
        None,
        "SOCKS is left to other tools"
    );
}

#[test]
fn a_token_and_an_api_key_of_one_service_are_held_together() {
    let config = vars(&[
        ("AUDIT_SERVICE_URL", "http://audit.internal"),
        ("AUDIT_SERVICE_TOKEN", "tok"),
        ("AUDIT_SERVICE_API_KEY", "k3y"),
        ("AUTH_SERVICE_URL", "http://auth.internal"),
        ("AUTH_SERVICE_TOKEN", "tok"),
    ])
    .expect("valid");
    assert!(matches!(
        config.service("audit").and_then(ServiceConfig::credentials),
        Some(Credentials::All(members)) if members.len() == 2
    ));
    assert!(matches!(
        config.service("auth").and_then(ServiceConfig::credentials),
        Some(Credentials::Bearer(_))
    ));
}

#[test]
fn bad_http_settings_name_their_variable() {
    for (name, value) in [
        ("HTTPS_PROXY", "socks://proxy"),
        ("CLIENTGEN_HTTP1_ONLY", "sometimes"),
        ("CLIENTGEN_CA_FILE", "/nonexistent/ca.pem"),
        ("CLIENTGEN_CLIENT_KEY_FILE", "/nonexistent/key.pem"),
        ("CLIENTGEN_USER_AGENT", "line\nbreak"),
    ] {
        let error = vars(&[(name, value)]).expect_err(name);
        let expected = if name == "CLIENTGEN_CLIENT_KEY_FILE" {
            "CLIENTGEN_CLIENT_CERT_FILE"
        } else {
            name
        };
        assert_eq!(error.variable(), Some(expected), "{name}: {error}");
    }
}

#[test]
fn every_bad_value_names_its_variable() {
    let cases: &[(&str, &str)] = &[
        ("FRONTEND_URL", "not a url"),
        ("FRONTEND_URL", "ftp://files.example"),
        ("FRONTEND_URL", "https://user:pw@hr.example.com"),
        ("FRONTEND_URL", "https://hr.example.com/app?x=1"),
        ("AUTH_CALLBACK_URL", "/relative/callback"),
        ("AUTH_CALLBACK_URL", "javascript:alert(1)"),
        ("AUTH_SERVICE_URL", "auth.internal:8080"),
        ("AUTH_SERVICE_URL", "http://user:secret@auth.internal"),
        ("AUTH_SERVICE_URL", "http://auth.internal/?x=1"),
        ("LEAVES_WALLET_SERVICE_URL", "mailto:x@y.z"),
        ("AUTH_SERVICE_TOKEN", "  "),
        ("AUTH_SERVICE_API_KEY", ""),
        ("CLIENTGEN_CONNECT_TIMEOUT_MS", "fast"),
        ("CLIENTGEN_CONNECT_TIMEOUT_MS", "0"),
        ("CLIENTGEN_ATTEMPT_TIMEOUT_MS", "-1"),
        ("CLIENTGEN_DEADLINE_MS", "0"),
        ("CLIENTGEN_MAX_ATTEMPTS", "0"),
        ("CLIENTGEN_MAX_ATTEMPTS", "11"),
        ("CLIENTGEN_BACKOFF_BASE_MS", "0"),
        ("CLIENTGEN_RETRY_AFTER_CAP_MS", "1.5"),
        ("CLIENTGEN_RETRY_BUDGET_RATIO", "1.5"),
        ("CLIENTGEN_RETRY_BUDGET_RATIO", "NaN"),
        ("CLIENTGEN_RETRY_BUDGET_MIN_PER_SECOND", "-3"),
        ("CLIENTGEN_BREAKER_FAILURE_RATIO", "0"),
        ("CLIENTGEN_BREAKER_MINIMUM_CALLS", "0"),
        ("CLIENTGEN_BREAKER_WINDOW_MS", "0"),
        ("CLIENTGEN_BREAKER_OPEN_MS", "0"),
        ("CLIENTGEN_BREAKER_HALF_OPEN_PROBES", "0"),
        ("CLIENTGEN_MAX_BODY_BYTES", "0"),
        ("CLIENTGEN_MAX_BODY_BYTES", "lots"),
        ("CLIENTGEN_USER_AGENT", "two\nlines"),
        ("CLIENTGEN_USER_AGENT", " "),
        ("CLIENTGEN_MAX_ATTEMPS", "3"),
    ];
    for (variable, value) in cases {
        assert_eq!(
            invalid_variable(&[(variable, value)]),
            *variable,
            "{variable}={value:?}"
        );
    }
    assert_eq!(
        invalid_variable(&[
            ("CLIENTGEN_BACKOFF_BASE_MS", "500"),
            ("CLIENTGEN_BACKOFF_MAX_MS", "100")
        ]),
        "CLIENTGEN_BACKOFF_MAX_MS"
    );
    assert_eq!(
        invalid_variable(&[("AUDIT_SERVICE_USERNAME", "svc")]),
        "AUDIT_SERVICE_PASSWORD"
    );
}

#[test]
fn error_messages_never_repeat_secret_values() {
    let error = vars(&[("AUTH_SERVICE_URL", "http://user:hunter2@auth.internal")])
        .expect_err("userinfo refused");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

#[test]
fn secrets_are_absent_from_debug() {
    let config = vars(&[
        ("AUTH_SERVICE_URL", "http://auth.internal"),
        ("AUTH_SERVICE_TOKEN", "tok-hunter2"),
        ("AUDIT_SERVICE_URL", "http://audit.internal"),
        ("AUDIT_SERVICE_API_KEY", "key-hunter2"),
        ("CONFIG_SERVICE_URL", "http://config.internal"),
        ("CONFIG_SERVICE_USERNAME", "svc"),
        ("CONFIG_SERVICE_PASSWORD", "pw-hunter2"),
    ])
    .expect("valid");
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("auth.internal"));
}

#[test]
fn missing_service_names_its_variable() {
    let error = RuntimeConfig::missing_service("leaves-wallet");
    assert_eq!(error.variable(), Some("LEAVES_WALLET_SERVICE_URL"));
    assert_eq!(
        error.to_string(),
        "LEAVES_WALLET_SERVICE_URL is not set: set it to the base URL of the leaves_wallet service"
    );
}

#[test]
fn builder_uses_the_variable_names_too() {
    let error = RuntimeConfig::builder()
        .attempt_timeout(Duration::ZERO)
        .build()
        .expect_err("zero timeout");
    assert_eq!(error.variable(), Some("CLIENTGEN_ATTEMPT_TIMEOUT_MS"));
    let error = RuntimeConfig::builder()
        .service_url("billing", "billing.internal")
        .build()
        .expect_err("relative URL");
    assert_eq!(error.variable(), Some("BILLING_SERVICE_URL"));
}
