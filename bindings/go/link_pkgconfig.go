//go:build natsrs_pkgconfig

package nats

/*
#cgo pkg-config: natsrs
*/
import "C"
