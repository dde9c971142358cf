#![no_main]

mod target {
    include!("../targets/content_disposition.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| target::run(data));
