//! Round-trip properties of hostile values, checked on many random values
//! (seeded, so a failure names a reproducible seed): path parameters arrive
//! as the literal value in one segment, query values arrive exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};

static LOOKUP: Operation = Operation::new("lookup", Method::Get, "/items/{id}/versions");

/// Characters that break naive URL building, plus some unicode.
const HOSTILE: &[char] = &[
    '/', '\\', '?', '#', '%', '&', '=', '+', ' ', '.', ';', ',', ':', '@', '!', '$', '\'', '(',
    ')', '*', '[', ']', '~', '"', '<', '>', '{', '}', '|', '^', '`', 'a', 'Z', '0', '9', '-', '_',
    'é', 'ß', 'Ω', '中', '😀', '\u{200b}',
];

fn random_value(rng: &mut fastrand::Rng) -> String {
    let length = rng.usize(1..12);
    (0..length)
        .map(|_| HOSTILE[rng.usize(..HOSTILE.len())])
        .collect()
}

#[tokio::test]
async fn hostile_path_and_query_values_round_trip_exactly() {
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config);
    let mut sent = Vec::new();
    for _ in 0..300 {
        let id = random_value(&mut rng);
        if matches!(id.as_str(), "." | "..") {
            // Refused by design: they cannot travel as one segment.
            let error = svc
                .execute(Request::new(&LOOKUP).path_param("id", &id))
                .await
                .unwrap_err();
            assert!(error.is_invalid_request(), "seed {seed}: {id:?}");
            continue;
        }
        let query = random_value(&mut rng);
        svc.execute(
            Request::new(&LOOKUP)
                .path_param("id", &id)
                .query("q", &query),
        )
        .await
        .unwrap_or_else(|error| panic!("seed {seed}: {id:?} / {query:?}: {error}"));
        sent.push((id, query));
    }
    let received = server.requests();
    assert_eq!(received.len(), sent.len(), "seed {seed}");
    for ((id, query), request) in sent.iter().zip(&received) {
        assert_eq!(
            request.path_segments(),
            ["items".to_owned(), id.clone(), "versions".to_owned()],
            "seed {seed}: path {:?}",
            request.path
        );
        assert_eq!(
            request.query_pairs(),
            [("q".to_owned(), query.clone())],
            "seed {seed}: query {:?}",
            request.query
        );
    }
}
