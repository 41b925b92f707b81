//! The generated typed fakes (`<service>::fake`, the `fakes` feature): what
//! a client writes, in every parameter style and body type, its fake reads
//! back as the same typed arguments; a request that drifts from the spec
//! fails the test with a message naming the place; answers carry their
//! status, headers and delays; fakes of two services share one upstream
//! without mixing their operations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clientgen_runtime::RuntimeConfig;
use clientgen_runtime::codegen::{self, Method, Operation, Request};
use service_clients::fakes::{Answer, FakeUpstream, Fakes};
use service_clients::leaves_wallet::LeaveTransactionRequest;

/// A configuration with credentials for the six services (their URLs are
/// the fakes' placeholders).
fn config() -> codegen::RuntimeConfigBuilder {
    clientgen_tests::fixtures::every_service(RuntimeConfig::builder(), |service| {
        format!("http://{service}.test")
    })
}

#[tokio::test(start_paused = true)]
async fn objects_in_the_path_a_header_and_the_query_read_back_as_sent() {
    use clientgen_tests::features::object_params::fake::ObjectParamsFake;
    use clientgen_tests::features::object_params::{GetPointCategory, GetPointTag, Point};
    let fake = ObjectParamsFake::new(&FakeUpstream::new());
    fake.on_get_point(|_| Answer::ok(()));
    let client = fake.client(config()).unwrap();
    let point = Point { x: 1, y: 2 };
    let shape = Point { x: 3, y: -4 };
    let category = GetPointCategory::IntegerList(vec![5, 6]);
    let tag = GetPointTag::StringList(vec!["a".to_owned(), "b c,d".to_owned()]);
    client
        .get_point(&point, &shape, "etl/daily run")
        .x_filter(&point)
        .category(&category)
        .tag(&tag)
        .await
        .unwrap();
    client
        .get_point(&point, &shape, "x")
        .category(&GetPointCategory::Integer(7))
        .await
        .unwrap();
    let calls = fake.get_point_calls();
    assert_eq!(calls.len(), 2);
    let first = &calls[0];
    assert_eq!(
        (&first.point, &first.shape, first.dag_id.as_str()),
        (&point, &shape, "etl/daily run")
    );
    assert_eq!(first.x_filter.as_ref(), Some(&point));
    assert_eq!(first.category.as_ref(), Some(&category));
    assert_eq!(first.tag.as_ref(), Some(&tag));
    assert_eq!(calls[1].category, Some(GetPointCategory::Integer(7)));
    assert_eq!(
        (calls[1].x_filter.as_ref(), calls[1].tag.as_ref()),
        (None, None)
    );
}

#[tokio::test(start_paused = true)]
async fn deep_objects_spread_objects_cookies_and_lists_read_back_as_sent() {
    use clientgen_tests::features::{arrays_maps, cookie_param, deep_object, object_query_param};
    let upstream = FakeUpstream::new();

    let deep = deep_object::fake::DeepObjectFake::new(&upstream);
    deep.on_get_x(|_| Answer::ok(()));
    let filter = deep_object::GetXFilter {
        status: Some("open now".to_owned()),
    };
    let lines = vec![
        deep_object::GetXLinesItem {
            amount: Some(3),
            description: Some("tea".to_owned()),
        },
        deep_object::GetXLinesItem {
            amount: None,
            description: Some("cake".to_owned()),
        },
    ];
    let client = deep.client(config()).unwrap();
    client.get_x().filter(&filter).lines(&lines).await.unwrap();
    let call = &deep.get_x_calls()[0];
    assert_eq!(call.filter.as_ref(), Some(&filter));
    assert_eq!(call.lines.as_ref(), Some(&lines));

    let spread = object_query_param::fake::ObjectQueryParamFake::new(&upstream);
    spread.on_get_x(|_| Answer::ok(()));
    let filter = object_query_param::GetXFilter {
        status: Some("closed".to_owned()),
    };
    let client = spread.client(config()).unwrap();
    client.get_x().filter(&filter).await.unwrap();
    client.get_x().await.unwrap();
    let calls = spread.get_x_calls();
    assert_eq!(calls[0].filter.as_ref(), Some(&filter));
    assert_eq!(calls[1].filter, None, "nothing sent reads as nothing");

    let cookies = cookie_param::fake::CookieParamFake::new(&upstream);
    cookies.on_get_x(|_| Answer::ok(()));
    let client = cookies.client(config()).unwrap();
    client.get_x("s-42; a=b c").await.unwrap();
    assert_eq!(cookies.get_x_calls()[0].session, "s-42; a=b c");

    let lists = arrays_maps::fake::ArraysMapsFake::new(&upstream);
    lists.on_list_items(|args| {
        Answer::ok(arrays_maps::ItemPage {
            items: Vec::new(),
            total: args.ids.len() as i64,
            matrix: None,
        })
    });
    let since: Vec<codegen::DateTime> = vec!["2026-01-02T03:04:05Z".parse().unwrap()];
    let client = lists.client(config()).unwrap();
    client
        .list_items(&[3, -1])
        .tag(&["x y".to_owned(), "z".to_owned()])
        .since(&since)
        .await
        .unwrap();
    let call = &lists.list_items_calls()[0];
    assert_eq!(call.ids, [3, -1]);
    assert_eq!(
        call.tag.as_deref(),
        Some(&["x y".to_owned(), "z".to_owned()][..])
    );
    assert_eq!(call.since.as_deref(), Some(&since[..]));

    // Two services whose operations share the id `getX` kept apart.
    assert_eq!(deep.get_x_calls().len(), 1);
    assert_eq!(spread.get_x_calls().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn form_text_and_binary_bodies_read_back_as_sent() {
    use clientgen_tests::features::media::fake::MediaFake;
    use clientgen_tests::features::media::{ChargeForm, ChargeFormCard, CreateChargeResponse};
    let fake = MediaFake::new(&FakeUpstream::new());
    fake.on_create_charge(|args| {
        Answer::ok(CreateChargeResponse {
            id: Some(format!("ch-{}", args.body.amount)),
        })
    })
    .on_add_note(|args| Answer::ok(args.body.to_uppercase()))
    .on_upload(|_| Answer::ok(()));
    let client = fake.client(config()).unwrap();
    let mut form = ChargeForm::new(1200);
    form.card = Some(ChargeFormCard {
        number: Some("4242 4242".to_owned()),
        exp_month: Some(9),
    });
    let charge = client.create_charge(&form).await.unwrap();
    assert_eq!(charge.id.as_deref(), Some("ch-1200"));
    assert_eq!(fake.create_charge_calls()[0].body, form);

    let note = client
        .add_note("déjà vu & more")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(note.status(), 201, "the spec's own success status");
    assert_eq!(note.body(), "DÉJÀ VU & MORE");
    assert_eq!(fake.add_note_calls()[0].body, "déjà vu & more");

    let bytes = codegen::Bytes::from_static(&[0, 159, 146, 150]);
    client.upload().body(bytes.clone()).await.unwrap();
    assert_eq!(fake.upload_calls()[0].body, bytes);
}

#[tokio::test(start_paused = true)]
async fn answers_carry_their_status_headers_and_delay_on_tokio_clock() {
    use service_clients::leaves_wallet::fake::DebitLeaveError;
    use service_clients::leaves_wallet::{ErrorDetail, LeaveTransaction, TransactionKind};
    let fakes = Fakes::new();
    fakes
        .leaves_wallet
        .script_debit_leave([
            Answer::drop_connection().after(Duration::from_secs(1)),
            Answer::error(DebitLeaveError::Conflict(ErrorDetail {
                detail: "twice".to_owned(),
            })),
        ])
        .on_debit_leave(|args| {
            Answer::ok(LeaveTransaction {
                id: "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b".parse().unwrap(),
                employee_id: args.employee_id,
                kind: TransactionKind::Debit,
                days: args.body.days,
                balance_after: 1.0,
                created_at: "2026-11-26T12:00:00Z".parse().unwrap(),
            })
            .header("etag", "\"v7\"")
            .after(Duration::from_secs(3))
        });
    let clients = fakes.clients(config()).unwrap();
    let body = LeaveTransactionRequest::new(2.0, "trip");
    let started = tokio::time::Instant::now();
    let error = clients
        .leaves_wallet
        .debit_leave("emp-1", "key-1", &body)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(409), "{error:?}");
    assert_eq!(
        error.body::<ErrorDetail>().map(|body| body.detail.as_str()),
        Some("twice")
    );
    let keys: Vec<String> = fakes
        .leaves_wallet
        .debit_leave_calls()
        .into_iter()
        .map(|args| args.idempotency_key)
        .collect();
    assert_eq!(
        keys,
        ["key-1", "key-1"],
        "the dropped attempt was retried with its key"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));

    let started = tokio::time::Instant::now();
    let reply = clients
        .leaves_wallet
        .debit_leave("emp-1", "key-2", &body)
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(3),
        "the paused clock skipped the delay"
    );
    assert_eq!(reply.status(), 201, "debitLeave's declared success status");
    assert_eq!(reply.headers().get("etag"), Some("\"v7\""));
    assert_eq!(reply.body().employee_id, "emp-1");
}

#[tokio::test(start_paused = true)]
async fn several_kinds_of_success_answer_as_their_own_status() {
    use clientgen_tests::features::undeclared_2xx::fake::Undeclared2xxFake;
    use clientgen_tests::features::undeclared_2xx::{Queued, StartJobResponse};
    let fake = Undeclared2xxFake::new(&FakeUpstream::new());
    fake.script_start_job([
        Answer::ok(StartJobResponse::Accepted(Queued { position: 4 })),
        Answer::ok(StartJobResponse::Other {
            status: 207,
            body: codegen::Bytes::from_static(b"raw"),
        }),
    ]);
    let client = fake.client(config()).unwrap();
    let reply = client.start_job().send_with_response().await.unwrap();
    assert_eq!(reply.status(), 202);
    assert_eq!(
        reply.body(),
        &StartJobResponse::Accepted(Queued { position: 4 })
    );
    let other = client.start_job().await.unwrap();
    assert!(
        matches!(other, StartJobResponse::Other { status: 207, .. }),
        "{other:?}"
    );
}

/// The message a task's panic carried.
async fn panic_of(task: tokio::task::JoinHandle<()>) -> String {
    let error = task.await.expect_err("the fake failed the call");
    let payload = error.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

/// `debitLeave` as a client written against another version of the spec
/// would send it: `edit` changes the request.
fn drifted(fakes: &Fakes, edit: fn(Request) -> Request) -> tokio::task::JoinHandle<()> {
    static DEBIT: Operation =
        Operation::new("debitLeave", Method::Post, "/wallets/{employee_id}/debits")
            .in_service("leaves_wallet");
    let clients = fakes.clients(config()).unwrap();
    tokio::spawn(async move {
        let request = Request::new(&DEBIT).path_param("employee_id", "emp-1");
        let _ = clients.leaves_wallet.service().execute(edit(request)).await;
    })
}

#[tokio::test(start_paused = true)]
async fn a_request_that_drifts_from_the_spec_fails_the_test_naming_the_place() {
    let fakes = Fakes::new();
    let message = panic_of(drifted(&fakes, |request| {
        request
            .header("Idempotency-Key", "k")
            .json(&serde_json::json!({"reason": "trip"}))
    }))
    .await;
    assert!(
        message.starts_with(
            "fake `leaves_wallet`: the request to `debitLeave` (POST /wallets/{employee_id}/debits) does not match the spec: the body: missing field `days`"
        ),
        "{message}"
    );

    let message = panic_of(drifted(&fakes, |request| {
        request.json(&LeaveTransactionRequest::new(1.0, "trip"))
    }))
    .await;
    assert!(
        message.ends_with("header `Idempotency-Key`: it is missing"),
        "{message}"
    );

    // Scripted answers check the request too.
    fakes
        .leaves_wallet
        .script_debit_leave([Answer::status(500)]);
    let message = panic_of(drifted(&fakes, |request| {
        request
            .header("Idempotency-Key", "k")
            .query("dry_run", true)
            .json(&LeaveTransactionRequest::new(1.0, "trip"))
    }))
    .await;
    assert!(
        message.ends_with("query parameter `dry_run`: the spec declares no such parameter"),
        "{message}"
    );

    let message = panic_of(drifted(&fakes, |request| {
        request
            .header("Idempotency-Key", "k")
            .json(&serde_json::json!({"days": "two", "reason": "trip"}))
    }))
    .await;
    assert!(
        message.contains("the body: invalid type: string \"two\", expected f64"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_value_the_spec_rules_out_fails_the_test_though_its_type_holds_it() {
    let fakes = Fakes::new();
    let clients = fakes.clients(config()).unwrap();
    // `days` has `exclusiveMinimum: 0`: an `f64` holds 0, the spec does not.
    let wallet = clients.leaves_wallet.clone();
    let message = panic_of(tokio::spawn(async move {
        let body = LeaveTransactionRequest::new(0.0, "trip");
        let _ = wallet.debit_leave("emp-1", "k", &body).await;
    }))
    .await;
    assert!(
        message.ends_with("the body: at `/days`: 0 is not greater than 0"),
        "{message}"
    );
    // `title` has `maxLength: 200`.
    use service_clients::notification::{Channel, NotificationRequest};
    let notification = clients.notification.clone();
    let message = panic_of(tokio::spawn(async move {
        let recipient = "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10".parse().unwrap();
        let request = NotificationRequest::new(recipient, Channel::Email, "x".repeat(201), "body");
        let _ = notification.send_notification(&request).await;
    }))
    .await;
    assert!(
        message.ends_with("the body: at `/title`: 201 characters, more than maxLength 200"),
        "{message}"
    );
    // Parameters too: `limit` has `minimum: 1`, the key `maxLength: 255`.
    let audit = clients.audit.clone();
    let message = panic_of(tokio::spawn(async move {
        let _ = audit.list_audit_events().limit(0).await;
    }))
    .await;
    assert!(
        message.ends_with("query parameter `limit`: 0 is less than the minimum 1"),
        "{message}"
    );
    let wallet = clients.leaves_wallet.clone();
    let message = panic_of(tokio::spawn(async move {
        let body = LeaveTransactionRequest::new(1.0, "trip");
        let _ = wallet.debit_leave("emp-1", &"k".repeat(256), &body).await;
    }))
    .await;
    assert!(
        message.ends_with("header `Idempotency-Key`: 256 characters, more than maxLength 255"),
        "{message}"
    );
    // Within the bounds, the same call goes through to the handler.
    use service_clients::notification::{DeliveryStatus, NotificationAccepted};
    fakes.notification.on_send_notification(|_| {
        Answer::ok(NotificationAccepted {
            id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d".parse().unwrap(),
            status: DeliveryStatus::Queued,
            queued_at: "2026-11-26T12:00:01Z".parse().unwrap(),
        })
    });
    let request = NotificationRequest::new(
        "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10".parse().unwrap(),
        Channel::Email,
        "x".repeat(200),
        "body",
    );
    clients
        .notification
        .send_notification(&request)
        .await
        .unwrap();
    let sent = fakes.notification.send_notification_calls();
    assert_eq!(sent.len(), 1, "the refused request is left out");
    assert_eq!(sent[0].body.title.len(), 200);
}

#[tokio::test(start_paused = true)]
async fn a_fake_without_a_handler_answers_501_naming_the_operation() {
    let fakes = Fakes::new();
    // The test configuration's placeholder credentials are sent.
    let clients = fakes.clients(Fakes::test_config()).unwrap();
    let error = clients
        .leaves_wallet
        .get_leave_balance("emp-1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(501));
    assert!(
        error
            .body_excerpt()
            .unwrap_or_default()
            .contains("no handler for operation `getLeaveBalance` of service `leaves_wallet`"),
        "{error:?}"
    );
    assert_eq!(fakes.leaves_wallet.get_leave_balance_calls().len(), 1);
    let raw = fakes.upstream().calls();
    assert_eq!(raw[0].header("authorization"), Some("Bearer fake-token"));
}
