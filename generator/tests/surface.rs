//! The README's supported-surface table is rendered from
//! `clientgen::support::SURFACE`, and every row's fixture behaves as the row
//! claims.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clientgen::Generator;
use clientgen::support::{SURFACE, Support, markdown_table};
use common::{in_workspace, workspace};

const START: &str = "<!-- surface:start -->\n";
const END: &str = "<!-- surface:end -->";

#[test]
fn readme_table_matches_the_surface() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let start = readme
        .find(START)
        .expect("README has the surface:start marker")
        + START.len();
    let end = readme.find(END).expect("README has the surface:end marker");
    let expected = markdown_table();
    if std::env::var_os("CLIENTGEN_BLESS").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(workspace().join("README.md"), updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        expected,
        "README's table is stale; run `CLIENTGEN_BLESS=1 cargo test -p clientgen --test surface`"
    );
}

#[test]
fn every_fixture_behaves_as_its_row_claims() {
    for construct in SURFACE {
        let path = format!("generator/tests/{}", construct.fixture);
        assert!(workspace().join(&path).exists(), "{path} is missing");
        let render = |strict: bool| {
            in_workspace(|| Generator::new("unused").spec(&path).strict(strict).render())
        };
        match construct.support {
            Support::Supported => {
                if let Err(error) = render(true) {
                    panic!(
                        "{}: {path} should generate cleanly:\n{error}",
                        construct.name
                    );
                }
            }
            Support::Skipped | Support::Lenient => {
                let rendered = render(false).unwrap_or_else(|error| {
                    panic!("{}: {path} should generate:\n{error}", construct.name)
                });
                assert!(
                    !rendered.warnings.is_empty(),
                    "{}: no warning",
                    construct.name
                );
                assert!(
                    render(true).is_err(),
                    "{}: --strict should fail",
                    construct.name
                );
            }
            Support::Rejected => {
                assert!(
                    render(false).is_err(),
                    "{}: {path} should fail",
                    construct.name
                );
            }
        }
    }
}
