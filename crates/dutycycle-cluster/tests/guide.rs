//! docs/CLUSTER.md stays true to the code it shows.

use std::path::Path;

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_guide_shows_the_gateway_example_as_it_is() {
    let example = read("examples/gateway_in_30_lines.rs");
    // The program without its `//!` header, which the guide says in prose.
    let code: String =
        example.lines().skip_while(|l| l.starts_with("//!")).map(|l| format!("{l}\n")).collect();
    let guide = read("../../docs/CLUSTER.md");
    assert!(
        guide.contains(&format!("```rust\n{code}```")),
        "docs/CLUSTER.md does not show examples/gateway_in_30_lines.rs as it is"
    );
}
