//! `cargo +nightly fuzz run clauses_file`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| procspec_fuzz::clauses_file(data));
