//! `cargo +nightly fuzz run impl_file`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| procspec_fuzz::impl_file(data));
