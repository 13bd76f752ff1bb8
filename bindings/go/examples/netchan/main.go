// Go channels bound to subjects (nats.go README "Using Go Channels (netchan)").
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

type person struct {
	Name    string
	Address string
	Age     int
}

func main() {
	url := os.Getenv("NATS_URL")
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	ec, _ := nats.NewEncodedConn(nc, nats.JSON_ENCODER)
	defer ec.Close()

	recvCh := make(chan *person)
	ec.BindRecvChan("hello", recvCh)
	sendCh := make(chan *person)
	ec.BindSendChan("hello", sendCh)
	ec.Flush()

	me := &person{Name: "derek", Age: 22, Address: "140 New Montgomery Street"}
	sendCh <- me
	select {
	case who := <-recvCh:
		fmt.Printf("Received via channel: %+v\n", who)
		if *who != *me {
			log.Fatal("mismatch")
		}
	case <-time.After(5 * time.Second):
		log.Fatal("nothing received")
	}
	fmt.Println("netchan: ok")
}
