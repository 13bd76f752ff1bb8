//go:build natsgo

package main

import nats "github.com/nats-io/nats.go"

// nats.go itself (go build -tags natsgo), same program.
const clientName = "nats.go"

type (
	Conn         = nats.Conn
	Msg          = nats.Msg
	Subscription = nats.Subscription
)

var connect = func(url string) (*Conn, error) { return nats.Connect(url) }
