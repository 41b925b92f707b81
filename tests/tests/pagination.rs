//! Lists read page after page against real local servers, one per scheme
//! real APIs use, with the guards that stop a list that would not end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::error::DecodeReason;
use clientgen_runtime::pagination::{PageLimits, PageScheme, Paging};
use clientgen_runtime::{MicroserviceError, ServiceClient};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde::Deserialize;
use serde_json::{Value, json};

static LIST: Operation = Operation::new("listItems", Method::Get, "/items");

const ITEMS: u64 = 7;
const PAGE: u64 = 3;

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: u64,
}

fn param(request: &RecordedRequest, name: &str) -> Option<u64> {
    request
        .query_pairs()
        .into_iter()
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value.parse().ok())
}

/// The items from `start` on, one page's worth.
fn page_from(start: u64) -> Vec<Value> {
    (start..ITEMS.min(start + PAGE))
        .map(|id| json!({"id": id}))
        .collect()
}

async fn all_ids(
    svc: &ServiceClient,
    paging: Paging,
    limits: PageLimits,
) -> Result<Vec<u64>, MicroserviceError> {
    let mut items = svc
        .pages(Request::new(&LIST), paging, limits)
        .items::<Item>();
    let mut ids = Vec::new();
    while let Some(item) = items.next().await {
        ids.push(item?.id);
    }
    Ok(ids)
}

fn every_id() -> Vec<u64> {
    (0..ITEMS).collect()
}

#[tokio::test]
async fn a_cursor_in_the_body() {
    let server = TestServer::start(|request| {
        let start = param(request, "cursor").unwrap_or(0);
        let next = (start + PAGE < ITEMS).then(|| (start + PAGE).to_string());
        Reply::json(200, json!({"data": page_from(start), "next_cursor": next}))
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let paging = Paging {
        items: "/data",
        scheme: PageScheme::Cursor {
            param: "cursor",
            cursor: "/next_cursor",
            has_more: None,
        },
    };
    assert_eq!(
        all_ids(&svc, paging, PageLimits::default()).await.unwrap(),
        every_id()
    );
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn stripe_style_starting_after_and_has_more() {
    let server = TestServer::start(|request| {
        let start = param(request, "starting_after").map_or(0, |last| last + 1);
        Reply::json(
            200,
            json!({"object": "list", "data": page_from(start), "has_more": start + PAGE < ITEMS}),
        )
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let paging = Paging {
        items: "/data",
        scheme: PageScheme::LastItem {
            param: "starting_after",
            id: "/id",
            has_more: "/has_more",
        },
    };
    assert_eq!(
        all_ids(&svc, paging, PageLimits::default()).await.unwrap(),
        every_id()
    );
}

#[tokio::test]
async fn a_next_page_url_in_the_body() {
    let server = TestServer::start(|request| {
        let page = param(request, "page").unwrap_or(0);
        let next = ((page + 1) * PAGE < ITEMS).then(|| format!("/items?page={}", page + 1));
        Reply::json(
            200,
            json!({"results": page_from(page * PAGE), "next": next}),
        )
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let paging = Paging {
        items: "/results",
        scheme: PageScheme::NextUrl { next: "/next" },
    };
    assert_eq!(
        all_ids(&svc, paging, PageLimits::default()).await.unwrap(),
        every_id()
    );
}

#[tokio::test]
async fn github_style_link_headers() {
    let server = TestServer::start(|request| {
        let page = param(request, "page").unwrap_or(1);
        let reply = Reply::json(200, Value::Array(page_from((page - 1) * PAGE)));
        let host = request.header("host").unwrap_or_default().to_owned();
        if page * PAGE < ITEMS {
            let link = format!(
                r#"<http://{host}/items?page={}>; rel="next", <http://{host}/items?page=3>; rel="last""#,
                page + 1
            );
            reply.header("link", &link)
        } else {
            reply.header("link", &format!(r#"<http://{host}/items?page=1>; rel="first""#))
        }
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let paging = Paging {
        items: "",
        scheme: PageScheme::LinkHeader,
    };
    assert_eq!(
        all_ids(&svc, paging, PageLimits::default()).await.unwrap(),
        every_id()
    );
}

#[tokio::test]
async fn offsets_and_page_numbers() {
    let server = TestServer::start(|request| {
        let start = match param(request, "page") {
            Some(page) => (page - 1) * PAGE,
            None => param(request, "offset").unwrap_or(0),
        };
        Reply::json(200, json!({"items": page_from(start)}))
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let offsets = Paging {
        items: "/items",
        scheme: PageScheme::Offset { param: "offset" },
    };
    assert_eq!(
        all_ids(&svc, offsets, PageLimits::default()).await.unwrap(),
        every_id()
    );
    let pages = Paging {
        items: "/items",
        scheme: PageScheme::PageNumber {
            param: "page",
            first: 1,
        },
    };
    assert_eq!(
        all_ids(&svc, pages, PageLimits::default()).await.unwrap(),
        every_id()
    );
}

#[tokio::test]
async fn the_guards_stop_lists_that_would_not_end() {
    // A server that hands out the same cursor forever.
    let server =
        TestServer::start(|_| Reply::json(200, json!({"data": [{"id": 1}], "next": "same"}))).await;
    let svc = client(&server.url(), |config| config);
    let paging = Paging {
        items: "/data",
        scheme: PageScheme::Cursor {
            param: "cursor",
            cursor: "/next",
            has_more: None,
        },
    };
    let error = all_ids(&svc, paging, PageLimits::default())
        .await
        .unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(decode.reason(), DecodeReason::PageLoop);
    assert_eq!(server.request_count(), 2);

    // An endless list, read up to the limits.
    let server = TestServer::start(|request| {
        let start = param(request, "offset").unwrap_or(0);
        Reply::json(200, json!({"items": [{"id": start}, {"id": start + 1}]}))
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let offsets = Paging {
        items: "/items",
        scheme: PageScheme::Offset { param: "offset" },
    };
    let ids = all_ids(
        &svc,
        offsets,
        PageLimits {
            max_pages: 100,
            max_items: 5,
        },
    )
    .await
    .unwrap();
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    let ids = all_ids(
        &svc,
        offsets,
        PageLimits {
            max_pages: 2,
            max_items: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!(ids, [0, 1, 2, 3]);
}

#[tokio::test]
async fn a_next_page_on_another_origin_is_refused() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"results": [{"id": 1}], "next": "https://evil.example/items?page=2"}),
        )
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let paging = Paging {
        items: "/results",
        scheme: PageScheme::NextUrl { next: "/next" },
    };
    let error = all_ids(&svc, paging, PageLimits::default())
        .await
        .unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(decode.reason(), DecodeReason::ForeignPage);
    assert_eq!(server.request_count(), 1);
}
