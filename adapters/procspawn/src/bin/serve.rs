//! procspawn behind procspec's wire protocol (protocol v1 on stdin and
//! stdout): the tracked implementation `procspawn-spawn`
//! (`fixtures/impls/procspawn-spawn.toml`), which `procspec run` builds and
//! starts like any other adapter process.

fn main() {
    // procspawn children re-execute this binary: they branch off into
    // their body here, before anything else happens.
    procspawn::init();
    let host = procspec_harness::lifecycle::Host::new(procspec_procspawn::Procspawn);
    if let Err(e) = procspec_harness::serve::serve(host, "procspawn") {
        eprintln!("procspec-procspawn-serve: {e}");
        std::process::exit(1);
    }
}
