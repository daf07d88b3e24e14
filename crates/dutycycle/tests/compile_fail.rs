//! What the type system refuses: the runner handle gives no access to the agent, only `Send`
//! factories start agents, and nothing that is not `Send` leaves the agent thread. Each
//! `tests/ui/*.rs` must fail to compile with the error in its `.stderr` file (regenerate them
//! with `TRYBUILD=overwrite cargo test -p dutycycle --test compile_fail` after a compiler
//! upgrade, and read the diff).

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
