//! Regenerates include/natsrs.h from src/ffi with the pinned cbindgen (with the version macros
//! written from CARGO_PKG_VERSION), and sets the shared library's link arguments on Linux: the
//! soname `libnatsrs.so.<major>` and the export version script `natsrs.map`.
//! The test suite fails if the committed header differs from a fresh generation.

use std::path::{Path, PathBuf};

/// The linker version script: only `natsrs_*` symbols are global.
const VERSION_SCRIPT: &str = "natsrs.map";
/// Set to any value to build without the version script (e.g. with a linker that rejects it).
const NO_VERSION_SCRIPT_ENV: &str = "NATSRS_NO_VERSION_SCRIPT";
/// The first rustc whose x86_64 Linux target links with its bundled lld by default: lld merges
/// our version script with rustc's own export list; GNU ld (bfd) refuses two anonymous scripts.
const FIRST_RUSTC_MINOR_WITH_LLD: u32 = 90;

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_default()
}

/// The version macros and the compatibility-check macro, placed after the header's #includes.
fn version_block() -> String {
    let (major, minor, patch) = (env("CARGO_PKG_VERSION_MAJOR"), env("CARGO_PKG_VERSION_MINOR"), env("CARGO_PKG_VERSION_PATCH"));
    format!(
        "\n/* The version of libnatsrs this header belongs to (natsrs_version() gives the library's at run time). */\n\
         #define NATSRS_VERSION_MAJOR {major}\n\
         #define NATSRS_VERSION_MINOR {minor}\n\
         #define NATSRS_VERSION_PATCH {patch}\n\
         #define NATSRS_VERSION_STRING \"{version}\"\n\
         /* (major << 16) | (minor << 8) | patch, for #if comparisons. */\n\
         #define NATSRS_VERSION_NUMBER (({major} << 16) | ({minor} << 8) | {patch})\n\
         /* NATSRS_STATUS_OK when the library loaded at run time can serve a program built with this header. */\n\
         #define NATSRS_CHECK_COMPATIBILITY() natsrs_check_compatibility(NATSRS_VERSION_MAJOR, NATSRS_VERSION_MINOR, NATSRS_VERSION_PATCH)",
        version = env("CARGO_PKG_VERSION"),
    )
}

fn generate_header(dir: &Path) {
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(version_block());
    let bindings = match cbindgen::Builder::new().with_crate(dir).with_config(config).generate() {
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

/// The minor version of the rustc running this build (0 when unknown).
fn rustc_minor() -> u32 {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc).arg("--version").output().ok();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    text.split_whitespace().nth(1).and_then(|v| v.split('.').nth(1)).and_then(|m| m.parse().ok()).unwrap_or(0)
}

/// Whether the cdylib link uses rustc's bundled lld, which accepts our version script.
fn links_with_lld() -> bool {
    let flags = env("CARGO_ENCODED_RUSTFLAGS");
    if flags.contains("fuse-ld=lld") || flags.contains("linker-flavor=gnu-lld") {
        return true;
    }
    if flags.contains("fuse-ld=") || flags.contains("link-self-contained=-linker") || !env("RUSTC_LINKER").is_empty() {
        return false;
    }
    env("TARGET") == "x86_64-unknown-linux-gnu" && rustc_minor() >= FIRST_RUSTC_MINOR_WITH_LLD
}

/// Soname and version script for the shared library (Linux only). The soname makes programs
/// linked with -lnatsrs load `libnatsrs.so.<major>`, so a `libnatsrs.so.<major>` link is also
/// made next to the build's libnatsrs.so (programs linked against target/<profile> keep running).
fn link_args(dir: &Path) {
    if env("CARGO_CFG_TARGET_OS") != "linux" {
        return;
    }
    let soname = format!("libnatsrs.so.{}", env("CARGO_PKG_VERSION_MAJOR"));
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    println!("cargo:rerun-if-env-changed={NO_VERSION_SCRIPT_ENV}");
    if std::env::var_os(NO_VERSION_SCRIPT_ENV).is_none() && links_with_lld() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={}", dir.join(VERSION_SCRIPT).display());
    }
    // OUT_DIR is <target>/<profile>/build/natsrs-<hash>/out.
    if let Some(profile_dir) = PathBuf::from(env("OUT_DIR")).ancestors().nth(3) {
        let link = profile_dir.join(&soname);
        if std::fs::symlink_metadata(&link).is_err() {
            #[cfg(unix)]
            let _ = std::os::unix::fs::symlink("libnatsrs.so", &link);
        }
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={VERSION_SCRIPT}");
    generate_header(&dir);
    link_args(&dir);
}
