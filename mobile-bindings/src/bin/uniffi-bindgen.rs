//! The uniffi bindings generator, pinned to the workspace's uniffi version:
//! `cargo run -p fieldcrm-mobile --features cli --bin uniffi-bindgen -- generate <lib.so> --language kotlin --out-dir <dir>`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
