//! The moderation rules engine on any text: no panic, hits are exact slices of the text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::rules(data);
});
