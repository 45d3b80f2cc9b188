//! The renderer on any text: no panic, output already clean, nothing in it can run script.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::render(data);
});
