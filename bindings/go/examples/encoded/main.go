// Encoded connections (nats.go README "Encoded Connections"): JSON encoder, typed handlers,
// requests and replies.
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
	c, _ := nats.NewEncodedConn(nc, nats.JSON_ENCODER)
	defer c.Close()

	strs := make(chan string, 1)
	c.Subscribe("foo", func(s string) {
		fmt.Printf("Received a message: %s\n", s)
		strs <- s
	})
	people := make(chan *person, 1)
	c.Subscribe("hello", func(p *person) {
		fmt.Printf("Received a person: %+v\n", p)
		people <- p
	})
	c.Subscribe("help", func(subj, reply string, msg string) {
		c.Publish(reply, "I can help!")
	})
	c.Flush()

	c.Publish("foo", "Hello World")
	me := &person{Name: "derek", Age: 22, Address: "140 New Montgomery Street, San Francisco, CA"}
	c.Publish("hello", me)

	if s := <-strs; s != "Hello World" {
		log.Fatalf("got %q", s)
	}
	if p := <-people; *p != *me {
		log.Fatalf("got %+v", p)
	}
	var response string
	if err := c.Request("help", "help me", &response, time.Second); err != nil {
		log.Fatalf("Request failed: %v", err)
	}
	fmt.Printf("Reply: %s\n", response)
	fmt.Println("encoded: ok")
}
