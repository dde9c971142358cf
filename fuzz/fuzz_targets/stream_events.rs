#![no_main]

mod target {
    include!("../targets/stream_events.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| target::run(data));
