// Package nats is the Go binding of libnatsrs: nats.go's API (names, signatures, semantics)
// for the NATS core client, JetStream, key-value and the object store, backed by the libnatsrs C
// library through cgo, so that code written for github.com/nats-io/nats.go compiles with only the
// import path changed:
//
//	import "github.com/libnatsrs/natsrs/bindings/go" // package nats
//
// See README.md for how the library is linked, the internals and the differences.
package nats
