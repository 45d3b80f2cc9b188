//! The socket message parser on any frame: no panic, limits honoured, messages round-trip.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::socket(data);
});
