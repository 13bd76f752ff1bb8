//! Version checks: `natsrs_check_compatibility` tells a program whether the library it runs with
//! can serve the header it was built with (`NATSRS_CHECK_COMPATIBILITY()` in natsrs.h passes the
//! header's numbers). `natsrs_version()` (status.rs) gives the library's version string.

use super::boundary::guard;
use super::status::natsrs_status;
use crate::error::{err, Result};

/// The library's version numbers, from Cargo.toml.
fn library_version() -> (u32, u32, u32) {
    let n = |s: &str| s.parse::<u32>().unwrap_or(0);
    (n(env!("CARGO_PKG_VERSION_MAJOR")), n(env!("CARGO_PKG_VERSION_MINOR")), n(env!("CARGO_PKG_VERSION_PATCH")))
}

/// The rule: same major version, and the library is at least as new as the header
/// (a newer minor or patch only adds to the ABI).
fn check(header: (u32, u32, u32), library: (u32, u32, u32)) -> Result<()> {
    let (hm, hn, hp) = header;
    let (lm, ln, lp) = library;
    if hm != lm {
        return Err(err!(
            InvalidArgument,
            "libnatsrs {}.{}.{} is not compatible with a program built with natsrs.h {}.{}.{}: the major versions differ (rebuild the program)",
            lm,
            ln,
            lp,
            hm,
            hn,
            hp
        ));
    }
    if (ln, lp) < (hn, hp) {
        return Err(err!(
            InvalidArgument,
            "libnatsrs {}.{}.{} is older than the natsrs.h {}.{}.{} the program was built with (install libnatsrs >= {}.{}.{})",
            lm,
            ln,
            lp,
            hm,
            hn,
            hp,
            hm,
            hn,
            hp
        ));
    }
    Ok(())
}

/// Checks that this library can serve a program built with natsrs.h version
/// `major.minor.patch`: the major versions must be equal and the library at least as new as the
/// header. Pass the header's numbers: `NATSRS_CHECK_COMPATIBILITY()` does. Returns
/// NATSRS_STATUS_OK, or NATSRS_STATUS_INVALID_ARGUMENT (negative numbers, or not compatible; the
/// last error message says which versions met).
#[no_mangle]
pub extern "C" fn natsrs_check_compatibility(major: i32, minor: i32, patch: i32) -> natsrs_status {
    guard(|| {
        let num = |v: i32, name: &str| u32::try_from(v).map_err(|_| err!(InvalidArgument, "'{}' must not be negative (got {})", name, v));
        let header = (num(major, "major")?, num(minor, "minor")?, num(patch, "patch")?);
        check(header, library_version())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_major_and_not_newer_header_is_compatible() {
        assert!(check((1, 2, 3), (1, 2, 3)).is_ok());
        assert!(check((1, 2, 3), (1, 2, 4)).is_ok());
        assert!(check((1, 2, 3), (1, 3, 0)).is_ok());
        assert!(check((1, 2, 4), (1, 2, 3)).is_err());
        assert!(check((1, 3, 0), (1, 2, 9)).is_err());
        assert!(check((2, 0, 0), (1, 9, 9)).is_err());
        assert!(check((0, 1, 0), (1, 1, 0)).is_err());
    }

    #[test]
    fn the_exported_call_checks_its_arguments() {
        let (m, n, p) = library_version();
        assert_eq!(natsrs_check_compatibility(m as i32, n as i32, p as i32), natsrs_status::Ok);
        assert_eq!(natsrs_check_compatibility(-1, 0, 0), natsrs_status::InvalidArgument);
        assert_eq!(natsrs_check_compatibility(m as i32 + 1, 0, 0), natsrs_status::InvalidArgument);
    }
}
