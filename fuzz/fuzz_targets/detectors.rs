//! The normaliser and every built-in detector on any text: no panic, no invisible characters or
//! odd spaces left in the readable text, hits are exact slices of the input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::detectors(data);
});
