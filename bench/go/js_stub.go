//go:build !natsgo

package main

// The Go binding has no JetStream API yet: JetStream, KV and object store cases are
// unsupported for natsrs-go (see js_natsgo.go for nats.go).
func jsCase(bcase, url string, n uint64) (result, bool) { return result{}, false }
