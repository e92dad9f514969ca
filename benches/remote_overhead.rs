//! What the wire protocol costs: the same ops through the in-process
//! reference adapter and through `procspec serve-reference` behind a
//! `RemoteAdapter` (JSON lines over pipes).
//!
//! `cargo bench --bench remote_overhead`. Prints medians and p99 in µs, and
//! `RATIO <name> <remote median µs> <in-process median µs> <ratio>` lines.
//!
//! Unix only: the adapters it compares need fork and process groups.

#[cfg(unix)]
mod unix {
    //! The benchmark itself (Unix: it drives the in-process and remote reference).

    use procspec_harness::adapter::Adapter;
    use procspec_harness::reference_adapter::ReferenceAdapter;
    use procspec_harness::remote::{RemoteAdapter, RemoteCommand};
    use procspec_reference::StartMethod;
    use procspec_spec::vocab::{Op, Ref, Step, Target};
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    const NAME_OPS: usize = 2000;
    const LIFECYCLE_ROUNDS: usize = 200;
    const WARMUP: usize = 20;

    fn step(op: Op) -> Step {
        Step {
            at: Ref::main(),
            op,
        }
    }

    fn create(id: &str) -> Step {
        step(Op::Create {
            id: Ref::from(id),
            name: None,
            daemon: None,
            target: Target::Return,
            group: None,
        })
    }

    fn apply(adapter: &mut dyn Adapter, s: &Step) {
        let observed = adapter
            .apply(s)
            .unwrap_or_else(|e| panic!("`{s}` failed: {e}"));
        assert!(!observed.outcome.is_err(), "`{s}`: {:?}", observed.outcome);
    }

    /// Microseconds per sample: (median, p99).
    fn stats(mut samples: Vec<f64>) -> (f64, f64) {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.99))
    }

    fn micros(d: Duration) -> f64 {
        d.as_secs_f64() * 1e6
    }

    /// `name p1` repeated on one unstarted object.
    fn bench_name(adapter: &mut dyn Adapter) -> (f64, f64) {
        adapter.reset().expect("reset");
        apply(adapter, &create("p1"));
        let name = step(Op::Name { p: Ref::from("p1") });
        for _ in 0..WARMUP {
            apply(adapter, &name);
        }
        let samples = (0..NAME_OPS)
            .map(|_| {
                let t = Instant::now();
                apply(adapter, &name);
                micros(t.elapsed())
            })
            .collect();
        adapter.reset().expect("reset");
        stats(samples)
    }

    /// `create` + `start` + `join` of a `return` target, timed as one round
    /// (reset between rounds, untimed).
    fn bench_lifecycle(adapter: &mut dyn Adapter) -> (f64, f64) {
        let round = [
            create("p1"),
            step(Op::Start { p: Ref::from("p1") }),
            step(Op::Join {
                p: Ref::from("p1"),
                timeout_ms: None,
            }),
        ];
        let mut samples = Vec::with_capacity(LIFECYCLE_ROUNDS);
        for i in 0..WARMUP + LIFECYCLE_ROUNDS {
            adapter.reset().expect("reset");
            let t = Instant::now();
            for s in &round {
                apply(adapter, s);
            }
            if i >= WARMUP {
                samples.push(micros(t.elapsed()));
            }
        }
        adapter.reset().expect("reset");
        stats(samples)
    }

    /// The procspec binary of this build (`target/<profile>/procspec`), built
    /// by Cargo for the bench; a sibling of `deps/` otherwise.
    fn procspec_binary() -> PathBuf {
        if let Some(path) = option_env!("CARGO_BIN_EXE_procspec") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("current_exe");
        let path = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>/deps")
            .join("procspec");
        assert!(
            path.is_file(),
            "{} missing: cargo build --release --bin procspec",
            path.display()
        );
        path
    }

    fn report(what: &str, unit: &str, per: f64, remote: (f64, f64), local: (f64, f64)) {
        println!(
            "{what:<10} in-process median {:>9.1} µs  p99 {:>9.1} µs   ({unit})",
            local.0, local.1
        );
        println!(
            "{what:<10} remote     median {:>9.1} µs  p99 {:>9.1} µs   ({unit})",
            remote.0, remote.1
        );
        println!(
            "{what:<10} overhead   {:.1} µs per op (median)",
            (remote.0 - local.0) / per
        );
        println!(
            "RATIO remote-op-overhead-{what} {:.1} {:.1} {:.2}",
            remote.0,
            local.0,
            remote.0 / local.0
        );
    }

    pub fn main() {
        // Spawned reference children re-execute this binary.
        procspec_harness::reference_adapter::register_targets();
        procspec_reference::init();
        // `cargo bench` passes `--bench`; nothing to filter here.

        let binary = procspec_binary();
        let mut local = ReferenceAdapter::reference(StartMethod::Fork);
        let mut remote = RemoteAdapter::start(
            RemoteCommand::new(binary.to_string_lossy().into_owned())
                .arg("serve-reference")
                .arg("--start-method")
                .arg("fork"),
            Duration::from_secs(20),
        )
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        println!(
            "remote adapter: {} {} ({}), pid {}",
            remote.hello().implementation,
            remote.hello().version,
            remote.hello().start_method,
            remote.hello().pid
        );

        let name_local = bench_name(&mut local);
        let name_remote = bench_name(&mut remote);
        report("name", "per op", 1.0, name_remote, name_local);

        let life_local = bench_lifecycle(&mut local);
        let life_remote = bench_lifecycle(&mut remote);
        report(
            "lifecycle",
            "per create+start+join round",
            3.0,
            life_remote,
            life_local,
        );

        remote.shutdown().expect("shutdown");
    }
}

fn main() {
    #[cfg(unix)]
    unix::main();
}
