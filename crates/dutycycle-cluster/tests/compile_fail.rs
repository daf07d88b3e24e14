//! The seed's bug does not compile. An Aeron Cluster gateway died with SIGSEGV during a
//! cluster failover because the main thread's signal handler closed the `AeronCluster` client
//! while the gateway thread was still polling egress on it. Here the cluster client, the
//! cluster agent, the Aeron client and a publication slot are neither `Send` nor `Sync`:
//! each `tests/ui/*.rs` closes one of them from a signal handler
//! (`signal_hook::low_level::register`) or from another thread, and must fail to compile with
//! the "cannot be sent / shared between threads safely" errors in its `.stderr` file. The
//! case in `tests/ui/pass/` is the right way, and it runs: the handler only signals the
//! runner's termination, and the agent closes its client in `on_close`.
//!
//! Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p dutycycle-cluster --test compile_fail` after a compiler
//! or rusteron upgrade or a change to the handles' fields, and read the diff. The first run
//! builds Aeron's C client once more, in trybuild's own target directory.

#[test]
fn closing_a_handle_off_its_thread_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
