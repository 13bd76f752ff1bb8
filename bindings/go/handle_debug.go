//go:build debug

package nats

import (
	"runtime"
	"runtime/cgo"
)

// handleValue forces a garbage collection before every handle access (build tag "debug"), so
// that a value only reachable from C, or a Go pointer kept by C, shows up at once in tests.
func handleValue(h cgo.Handle) any {
	runtime.GC()
	return h.Value()
}

const debugBuild = true
