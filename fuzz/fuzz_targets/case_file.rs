//! `cargo +nightly fuzz run case_file`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| procspec_fuzz::case_file(data));
