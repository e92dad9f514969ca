//! `cargo +nightly fuzz run protocol_decoder`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| procspec_fuzz::protocol_decoder(data));
