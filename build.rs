//! Regenerates include/natsrs.h from src/ffi with the pinned cbindgen.
//! The test suite fails if the committed header differs from a fresh generation.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(b) => b,
        Err(e) => {
            // Keep the build going when the sources are mid-edit; the header check catches staleness.
            println!("cargo:warning=cbindgen failed: {e}");
            return;
        }
    };
    let out = dir.join("include").join("natsrs.h");
    let _ = std::fs::create_dir_all(dir.join("include"));
    let mut buf = Vec::new();
    bindings.write(&mut buf);
    if std::fs::read(&out).ok().as_deref() != Some(&buf[..]) {
        std::fs::write(&out, &buf).expect("write include/natsrs.h");
    }
}
