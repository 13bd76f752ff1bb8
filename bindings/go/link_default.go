//go:build !natsrs_pkgconfig

package nats

// By default the binding links the library built by `cargo build --release` in this repository
// (../../target/release) with its header from ../../include. CGO_CFLAGS / CGO_LDFLAGS given in
// the environment come first on the command line, so they win; or build with
// `-tags natsrs_pkgconfig` to use `pkg-config natsrs` instead (see README.md).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lnatsrs -Wl,-rpath,${SRCDIR}/../../target/release
*/
import "C"
