// Clustered usage (nats.go README "Clustered Usage"): server lists, reconnect options and the
// connection event handlers. NATS_URL may hold a comma-separated list.
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

func main() {
	servers := os.Getenv("NATS_URL")
	if servers == "" {
		servers = "nats://localhost:1222, nats://localhost:1223, nats://localhost:1224"
	}
	closed := make(chan struct{})
	nc, err := nats.Connect(servers,
		nats.MaxReconnects(5),
		nats.ReconnectWait(2*time.Second),
		nats.ReconnectJitter(500*time.Millisecond, 2*time.Second),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return time.Duration(attempts) * 100 * time.Millisecond
		}),
		nats.DontRandomize(),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			fmt.Printf("Got disconnected! Reason: %q\n", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			fmt.Printf("Got reconnected to %v!\n", nc.ConnectedUrl())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			fmt.Printf("Connection closed. Reason: %q\n", nc.LastError())
			close(closed)
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Connected to %s (server %s); known servers: %v\n", nc.ConnectedUrl(), nc.ConnectedServerId(), nc.Servers())
	if err := nc.ForceReconnect(); err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !nc.IsConnected() || nc.Stats().Reconnects == 0 {
		if time.Now().After(deadline) {
			log.Fatal("did not reconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	nc.Close()
	<-closed
	fmt.Println("cluster: ok")
}
