//go:build !natsgo

package main

import nats "github.com/libnatsrs/natsrs/bindings/go"

// The Go binding of libnatsrs (default build).
const clientName = "natsrs-go"

type (
	Conn         = nats.Conn
	Msg          = nats.Msg
	Subscription = nats.Subscription
)

var connect = func(url string) (*Conn, error) { return nats.Connect(url) }
