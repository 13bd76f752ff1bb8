//go:build !debug

package nats

import "runtime/cgo"

// handleValue resolves the userdata handle a C callback passed back.
func handleValue(h cgo.Handle) any { return h.Value() }

// debugBuild is true with -tags debug (GC forced at every handle access).
const debugBuild = false
