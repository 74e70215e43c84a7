//! Bytes → `StanceModel::from_bytes`: a bad model file must be an error, never a panic or an
//! allocation the size of a hand-edited header.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stance::StanceModel::from_bytes(data, "fuzz.json");
});
