//! Feature fixtures' generated clients against a real local server: what
//! goes on the wire is what the spec declares.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_tests::features::media::{MediaClient, UpdateArticleBody};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};
use serde_json::json;

/// A `+json` media type goes out as declared: a JSON:API server answers 415
/// to `application/json`.
#[tokio::test]
async fn a_json_media_type_of_its_own_is_sent_as_declared() {
    let server = TestServer::start(|request| {
        if request.header("content-type") == Some("application/vnd.api+json") {
            Reply::json(200, json!({"data": {"id": "1", "type": "articles"}}))
        } else {
            Reply::status(415)
        }
    })
    .await;
    let media = MediaClient::from_service(client(&server.url(), |config| config));
    let body = UpdateArticleBody {
        data: [("type".to_owned(), json!("articles"))]
            .into_iter()
            .collect(),
    };
    let article = media.update_article("1", &body).await.unwrap();
    assert_eq!(article["data"]["id"], "1");
    assert_eq!(
        server.requests()[0].json(),
        json!({"data": {"type": "articles"}})
    );
}

/// A `{name}` no parameter declares is a required string path parameter; a
/// parameter with neither `schema` nor `content` is a string.
#[tokio::test]
async fn lenient_parameters_go_out_as_strings() {
    use clientgen_tests::features::lenient_params::LenientParamsClient;
    let server = TestServer::start(|_| Reply::status(204)).await;
    let lenient = LenientParamsClient::from_service(client(&server.url(), |config| config));
    lenient
        .get_repo("acme corp", "rocket", "t-1")
        .fields("name,stars")
        .await
        .unwrap();
    let request = clientgen_tests::fixtures::only_request(&server);
    assert_eq!(
        request.path_segments(),
        ["orgs", "acme corp", "repos", "rocket"]
    );
    assert_eq!(
        request.query_pairs(),
        [("fields".to_owned(), "name,stars".to_owned())]
    );
    assert_eq!(request.header("x-trace"), Some("t-1"));
}

/// Objects in the path and in a header follow OpenAPI's `simple` rows
/// (`x,1,y,2`, exploded `x=1,y=2`); a union of a scalar and an array is
/// comma-joined, or repeated when exploded.
#[tokio::test]
async fn object_parameters_follow_the_style_table() {
    use clientgen_tests::features::object_params::{
        GetPointCategory, GetPointTag, ObjectParamsClient, Point,
    };
    let server = TestServer::start(|_| Reply::status(204)).await;
    let objects = ObjectParamsClient::from_service(client(&server.url(), |config| config));
    let point = Point { x: 1, y: 2 };
    let shape = Point { x: 3, y: 4 };
    objects
        .get_point(&point, &shape, "etl daily")
        .x_filter(&point)
        .category(&GetPointCategory::IntegerList(vec![5, 6]))
        .tag(&GetPointTag::StringList(vec![
            "a".to_owned(),
            "b c".to_owned(),
        ]))
        .await
        .unwrap();
    let request = clientgen_tests::fixtures::only_request(&server);
    assert_eq!(
        request.path_segments(),
        ["points", "x,1,y,2", "x=3,y=4", "etl daily"]
    );
    assert_eq!(request.header("x-filter"), Some("x=1,y=2"));
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    };
    assert_eq!(
        request.query_pairs(),
        pairs(&[("category", "5,6"), ("tag", "a"), ("tag", "b c")])
    );
    objects
        .get_point(&point, &shape, "x")
        .category(&GetPointCategory::Integer(7))
        .await
        .unwrap();
    assert_eq!(
        server.requests()[1].query_pairs(),
        pairs(&[("category", "7")])
    );
}

/// An optional nullable field has three states: a PATCH that clears one
/// field (`null`) and leaves another alone (absent) says so on the wire,
/// and an answer's `null` and missing field decode apart.
#[tokio::test]
async fn a_patch_sends_null_for_one_field_and_omits_another() {
    use clientgen_runtime::types::Nullable;
    use clientgen_tests::features::nullable_patch::{Manager, NullablePatchClient, UserPatch};
    let server = TestServer::start(|request| {
        assert_eq!(request.method, "PATCH");
        Reply::json(200, json!({"version": null, "nickname": null}))
    })
    .await;
    let users = NullablePatchClient::from_service(client(&server.url(), |config| config));
    let patch = UserPatch {
        version: Some(3),
        nickname: Nullable::Null,
        manager: Nullable::Absent,
        email: None,
    };
    let answer = users.patch_user("u-1", &patch).await.unwrap();
    let request = clientgen_tests::fixtures::only_request(&server);
    assert_eq!(
        request.header("content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(request.json(), json!({"version": 3, "nickname": null}));
    assert_eq!(answer.version, None);
    assert_eq!(answer.nickname, Nullable::Null);
    assert_eq!(answer.manager, Nullable::Absent);

    let patch = UserPatch {
        version: None,
        nickname: Nullable::Value("ada".to_owned()),
        manager: Manager {
            id: "m-1".to_owned(),
        }
        .into(),
        email: Some("ada@example.com".to_owned()),
    };
    users.patch_user("u-1", &patch).await.unwrap();
    assert_eq!(
        server.requests()[1].json(),
        json!({"version": null, "nickname": "ada", "manager": {"id": "m-1"}, "email": "ada@example.com"})
    );
}

/// A variant struct serialises with its discriminator tag whether it is
/// sent on its own or inside its union, and the tag is written once.
#[tokio::test]
async fn a_variant_sent_on_its_own_carries_its_tag() {
    use clientgen_tests::features::tagged_variant::{Cat, Dog, Pet, TaggedVariantClient};
    let cat = Cat {
        name: "Tom".to_owned(),
        indoor: None,
    };
    let alone = serde_json::to_value(&cat).unwrap();
    assert_eq!(alone, json!({"petType": "cat", "name": "Tom"}));
    assert_eq!(serde_json::to_value(Pet::Cat(cat.clone())).unwrap(), alone);
    let dog = serde_json::to_string(&Pet::Dog(Dog {
        bark: "woof".to_owned(),
    }))
    .unwrap();
    assert_eq!(dog, r#"{"petType":"dog","bark":"woof"}"#);
    assert_eq!(
        serde_json::from_value::<Pet>(alone.clone()).unwrap(),
        Pet::Cat(cat.clone())
    );
    assert_eq!(serde_json::from_value::<Cat>(alone.clone()).unwrap(), cat);
    assert!(serde_json::to_value(Pet::Unknown).is_err());

    let server = TestServer::start(|request| Reply::json(200, request.json())).await;
    let pets = TaggedVariantClient::from_service(client(&server.url(), |config| config));
    let echoed = pets.create_cat(&cat).await.unwrap();
    assert_eq!(echoed, cat);
    assert_eq!(server.requests()[0].json(), alone);
}

/// A 2xx status the spec does not declare is not decoded as a declared
/// one: it is the success enum's `Other`, with its raw body; a `2XX` range
/// covers the statuses it leaves.
#[tokio::test]
async fn an_undeclared_success_status_is_other_not_the_last_variant() {
    use clientgen_tests::features::undeclared_2xx::{
        GetJobResponse, Queued, ResultModel as JobResult, StartJobResponse, Undeclared2xxClient,
    };
    let server = TestServer::start(|request| match request.path.as_str() {
        "/jobs" => Reply::json(203, json!({"output": "from a cache"})),
        "/jobs/1" => Reply::json(202, json!({"position": 3})),
        _ => Reply::json(206, json!({"output": "partial"})),
    })
    .await;
    let jobs = Undeclared2xxClient::from_service(client(&server.url(), |config| config));
    let started = jobs.start_job().await.unwrap();
    let StartJobResponse::Other { status, body } = started else {
        panic!("a 203 was decoded as a declared status: {started:?}");
    };
    assert_eq!(status, 203);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        json!({"output": "from a cache"})
    );
    assert_eq!(
        jobs.get_job("1").await.unwrap(),
        GetJobResponse::Accepted(Queued { position: 3 })
    );
    assert_eq!(
        jobs.get_job("2").await.unwrap(),
        GetJobResponse::Success(JobResult {
            output: "partial".to_owned()
        })
    );
}

/// A requirement that combines schemes sends all of them together; the
/// alternatives still take the first requirement the credentials meet.
#[tokio::test]
async fn a_combined_security_requirement_sends_every_scheme() {
    use clientgen_runtime::Credentials;
    use clientgen_tests::features::security_and::SecurityAndClient;
    let server = TestServer::start(|_| Reply::status(204)).await;
    let with = |credentials: Credentials| {
        SecurityAndClient::from_service(client(&server.url(), |config| {
            config.credentials("svc", credentials)
        }))
    };
    let both = with(Credentials::all([
        Credentials::bearer("t-1"),
        Credentials::api_key("k-1"),
    ]));
    both.list_reports().await.unwrap();
    let seen = &server.requests()[0];
    assert_eq!(seen.header("x-api-key"), Some("k-1"));
    assert_eq!(seen.header("authorization"), Some("Bearer t-1"));

    // The key alone meets neither requirement of `listReports`.
    let key = with(Credentials::api_key("k-1"));
    let error = key.list_reports().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("an API key and a bearer token or basic credentials"),
        "{error}"
    );
    // ... but is the one scheme `health` asks for.
    key.health().await.unwrap();
    assert_eq!(server.requests()[1].header("x-api-key"), Some("k-1"));

    let basic = with(Credentials::basic("u", "p"));
    basic.list_reports().await.unwrap();
    let seen = &server.requests()[2];
    assert_eq!(seen.header("authorization"), Some("Basic dTpw"));
    assert_eq!(seen.header("x-api-key"), None);
    assert_eq!(server.request_count(), 3);
}

/// A union reached through `$recursiveRef` (OpenAI's compound filters)
/// generates, and one whose members' tag values overlap is tried member by
/// member with each member's own tag field kept; `$dynamicRef` names the
/// schema with the `$dynamicAnchor`.
#[tokio::test]
async fn recursive_and_overlapping_unions_go_on_the_wire() {
    use clientgen_tests::features::discriminator_overlap::{
        ComparisonFilter, ComparisonFilterType, CompoundFilter, CompoundFilterFiltersItem,
        CompoundFilterType, DiscriminatorOverlapClient, Tree,
    };
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"label": "root", "children": [{"label": "leaf", "children": []}]}),
        )
    })
    .await;
    let filters = DiscriminatorOverlapClient::from_service(client(&server.url(), |c| c));
    let filter = CompoundFilter {
        r#type: CompoundFilterType::Or,
        filters: vec![
            CompoundFilterFiltersItem::ComparisonFilter(ComparisonFilter {
                r#type: ComparisonFilterType::EqModel,
                key: "region".to_owned(),
                value: "eu".to_owned(),
            }),
            CompoundFilterFiltersItem::CompoundFilter(CompoundFilter {
                r#type: CompoundFilterType::And,
                filters: Vec::new(),
            }),
        ],
    };
    let tree = filters.search(&filter).await.unwrap();
    let sent = clientgen_tests::fixtures::only_request(&server).json();
    assert_eq!(
        sent,
        json!({"type": "or", "filters": [
            {"type": "eq", "key": "region", "value": "eu"},
            {"type": "and", "filters": []}
        ]})
    );
    assert_eq!(
        serde_json::from_value::<CompoundFilter>(sent).unwrap(),
        filter
    );
    assert_eq!(tree.children.unwrap()[0].label.as_deref(), Some("leaf"));
    let _ = Tree::default();
}

/// A list operation's builder reads every page in the operation's scheme:
/// a cursor in the body, the `Link` header, and a page number its
/// `x-pagination` declares; the items decode as the list's item type, and
/// the call's settings and optional parameters go on every page.
#[tokio::test]
async fn list_operations_read_every_page_in_their_scheme() {
    use clientgen_tests::features::paging::PagingClient;
    let server = TestServer::start(|request| {
        let query = request.query_pairs();
        let value = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let ticket = |id: u32| json!({"id": id, "title": format!("ticket {id}")});
        match request.path_segments()[0].as_str() {
            "tickets" => match value("cursor").as_deref() {
                None => Reply::json(
                    200,
                    json!({"data": [ticket(1), ticket(2)], "next_cursor": "c2"}),
                ),
                Some("c2") => Reply::json(200, json!({"data": [ticket(3)], "next_cursor": null})),
                Some(_) => Reply::status(400),
            },
            "events" => match value("page").as_deref() {
                None => Reply::json(200, json!([ticket(10)]))
                    .header("Link", "</events?page=2&per_page=1>; rel=\"next\""),
                Some("2") => Reply::json(200, json!([ticket(11)])),
                Some(_) => Reply::status(400),
            },
            _ => match value("p").as_deref() {
                None | Some("0") => Reply::json(200, json!({"results": ["a", "b"]})),
                Some("1") => Reply::json(200, json!({"results": ["c"]})),
                Some(_) => Reply::json(200, json!({"results": []})),
            },
        }
    })
    .await;
    let paging = PagingClient::from_service(client(&server.url(), |config| config));

    let mut tickets = paging
        .list_tickets()
        .limit(2)
        .header("X-Trace", "t-1")
        .items();
    let mut titles = Vec::new();
    while let Some(ticket) = tickets.next().await {
        titles.push(ticket.unwrap().title);
    }
    assert_eq!(titles, ["ticket 1", "ticket 2", "ticket 3"]);

    let mut events = paging.list_events().per_page(1).items();
    let mut ids = Vec::new();
    while let Some(event) = events.next().await {
        ids.push(event.unwrap().id);
    }
    assert_eq!(ids, [10, 11]);

    let mut archive = paging.list_archive().items();
    let mut names = Vec::new();
    while let Some(name) = archive.next().await {
        names.push(name.unwrap());
    }
    assert_eq!(names, ["a", "b", "c"]);

    let requests = server.requests();
    let tickets: Vec<_> = requests
        .iter()
        .filter(|request| request.path.starts_with("/tickets"))
        .collect();
    assert_eq!(tickets.len(), 2);
    for request in tickets {
        assert_eq!(
            request.header("x-trace"),
            Some("t-1"),
            "settings on every page"
        );
        assert!(
            request
                .query_pairs()
                .contains(&("limit".to_owned(), "2".to_owned()))
        );
    }
    let archive_pages: Vec<Option<String>> = requests
        .iter()
        .filter(|request| request.path.starts_with("/archive"))
        .map(|request| request.query_pairs().first().map(|(_, page)| page.clone()))
        .collect();
    assert_eq!(
        archive_pages,
        [None, Some("1".to_owned()), Some("2".to_owned())],
        "the first page as asked, then counted from the declared first page (0)"
    );
}

/// A byte answer's builder streams it: `send_streaming()` returns at the
/// head, and the body arrives chunk by chunk, whole.
#[tokio::test]
async fn a_download_is_streamed_through_its_builder() {
    use clientgen_tests::features::media::MediaClient;
    const LEN: u64 = 8 * 1024 * 1024;
    let server = TestServer::start(|_| Reply::streamed(200, LEN)).await;
    let media = MediaClient::from_service(client(&server.url(), |config| config));
    let response = media
        .download_export("e-1")
        .header("X-Trace", "t-2")
        .send_streaming()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let (mut total, mut chunks) = (0u64, 0u32);
    while let Some(chunk) = body.chunk().await {
        total += chunk.unwrap().len() as u64;
        chunks += 1;
    }
    assert_eq!(total, LEN);
    assert!(chunks > 1, "read as it arrived, not whole");
    let request = clientgen_tests::fixtures::only_request(&server);
    assert_eq!(request.path, "/exports/e-1");
    assert_eq!(request.header("x-trace"), Some("t-2"));
}

/// A `const` is a type that holds its one value: it is written as that
/// value, a body with another one is refused, and `new` fills it; a
/// property's `default` fills what the server leaves out.
#[test]
fn consts_hold_their_one_value_and_defaults_fill_absent_fields() {
    use clientgen_tests::features::defaults::{
        Job, JobApiVersion, JobCreate, JobCreateKind, Priority,
    };
    let created = serde_json::to_value(JobCreate::new("nightly")).unwrap();
    assert_eq!(
        created,
        json!({"name": "nightly", "kind": "job", "priority": "normal", "retries": 3,
               "dry_run": false, "queue": "default-queue", "labels": [], "ratio": 0.5})
    );
    assert_eq!(JobCreateKind::default().as_str(), "job");
    let refused = serde_json::from_value::<JobCreate>(json!({"name": "n", "kind": "batch"}));
    assert!(refused.is_err(), "a const holds nothing else");
    let job: Job = serde_json::from_value(json!({"id": "j-1", "api_version": "v1"})).unwrap();
    assert_eq!((job.attempts, job.paused), (0, true));
    assert_eq!(job.api_version, Some(JobApiVersion::V1));
    let read: JobCreate = serde_json::from_value(json!({"name": "n", "kind": "job"})).unwrap();
    assert_eq!((read.priority, read.retries), (Priority::Normal, 3));
}

/// An operation that answers `text/event-stream` has `events()` on its
/// builder: each event's `data` decodes as the spec's event schema (JSON
/// when the spec says only "a string").
#[tokio::test]
async fn an_event_stream_is_read_through_its_builder() {
    use clientgen_tests::features::media::{MediaClient, Tick};
    let server = TestServer::start(|_| {
        Reply::text(
            200,
            "id: 1\ndata: {\"n\": 1}\n\nevent: tick\nid: 2\ndata: {\"n\": 2}\n\n",
        )
        .header("content-type", "text/event-stream")
    })
    .await;
    let media = MediaClient::from_service(client(&server.url(), |config| config));
    let mut ticks = media
        .ticks()
        .header("X-Trace", "t-3")
        .events()
        .await
        .unwrap();
    let first = ticks.next().await.unwrap().unwrap();
    assert_eq!(
        (first.id.as_deref(), &first.data),
        (Some("1"), &Tick { n: 1 })
    );
    let second = ticks.next().await.unwrap().unwrap();
    assert_eq!((second.event.as_str(), second.data.n), ("tick", 2));
    assert_eq!(server.requests()[0].header("x-trace"), Some("t-3"));

    let mut untyped = media.feed().events().await.unwrap();
    let first: serde_json::Value = untyped.next().await.unwrap().unwrap().data;
    assert_eq!(first["n"], 1);
}
