//! `cargo +nightly fuzz run expectations_file`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| procspec_fuzz::expectations_file(data));
