package nats

import (
	"context"
	"testing"
	"time"
)

type person struct {
	Name    string
	Address string
	Age     int
}

func TestEncodedConnJSON(t *testing.T) {
	nc := connect(t)
	c, err := NewEncodedConn(nc, JSON_ENCODER)
	if err != nil {
		t.Fatal(err)
	}
	strs := make(chan string, 1)
	c.Subscribe("enc.foo", func(s string) { strs <- s })
	people := make(chan *person, 1)
	c.Subscribe("enc.hello", func(p *person) { people <- p })
	subjects := make(chan string, 1)
	c.Subscribe("enc.hello", func(subj string, p *person) { subjects <- subj + ":" + p.Name })
	values := make(chan person, 1)
	c.Subscribe("enc.hello", func(subj, reply string, p person) { values <- p })
	raw := make(chan *Msg, 1)
	c.Subscribe("enc.hello", func(m *Msg) { raw <- m })
	if _, err := c.Subscribe("enc.foo", nil); err == nil {
		t.Fatal("nil handler accepted")
	}
	c.Flush()
	c.Publish("enc.foo", "Hello World")
	me := &person{Name: "derek", Age: 22, Address: "140 New Montgomery Street, San Francisco, CA"}
	c.Publish("enc.hello", me)
	if s := <-strs; s != "Hello World" {
		t.Fatalf("string %q", s)
	}
	if p := <-people; *p != *me {
		t.Fatalf("person %+v", p)
	}
	if s := <-subjects; s != "enc.hello:derek" {
		t.Fatal(s)
	}
	if p := <-values; p != *me {
		t.Fatal(p)
	}
	if m := <-raw; len(m.Data) == 0 {
		t.Fatal("raw")
	}
	c.Subscribe("enc.help", func(subj, reply string, msg string) { c.Publish(reply, "I can help!") })
	c.Flush()
	var response string
	if err := c.Request("enc.help", "help me", &response, time.Second); err != nil || response != "I can help!" {
		t.Fatalf("%q %v", response, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	type request struct {
		Message string `json:"message"`
	}
	type response2 struct {
		Code int `json:"code"`
	}
	c.Subscribe("enc.ctx", func(subj, reply string, r *request) { c.Publish(reply, &response2{Code: len(r.Message)}) })
	c.Flush()
	resp := &response2{}
	if err := c.RequestWithContext(ctx, "enc.ctx", &request{Message: "Hello"}, resp); err != nil || resp.Code != 5 {
		t.Fatalf("%+v %v", resp, err)
	}
	var m Msg
	if err := c.Request("enc.help", "x", &m, time.Second); err != nil || string(m.Data) != `"I can help!"` {
		t.Fatalf("%q %v", m.Data, err)
	}
}

func TestEncodedConnGobDefault(t *testing.T) {
	nc := connect(t)
	g, _ := NewEncodedConn(nc, GOB_ENCODER)
	got := make(chan *person, 1)
	g.Subscribe("gob.p", func(p *person) { got <- p })
	g.Flush()
	g.Publish("gob.p", &person{Name: "x", Age: 3})
	if p := <-got; p.Name != "x" || p.Age != 3 {
		t.Fatal(p)
	}
	d, _ := NewEncodedConn(nc, DEFAULT_ENCODER)
	ints := make(chan int, 1)
	d.Subscribe("def.i", func(i int) { ints <- i })
	d.Flush()
	d.Publish("def.i", 42)
	if i := <-ints; i != 42 {
		t.Fatal(i)
	}
	if _, err := NewEncodedConn(nc, "nope"); err == nil {
		t.Fatal("unknown encoder accepted")
	}
}

func TestNetChan(t *testing.T) {
	nc := connect(t)
	ec, _ := NewEncodedConn(nc, JSON_ENCODER)
	defer ec.Close()
	recvCh := make(chan *person)
	if _, err := ec.BindRecvChan("nc.hello", recvCh); err != nil {
		t.Fatal(err)
	}
	sendCh := make(chan *person)
	if err := ec.BindSendChan("nc.hello", sendCh); err != nil {
		t.Fatal(err)
	}
	ec.Flush()
	me := &person{Name: "derek", Age: 22, Address: "140 New Montgomery Street"}
	sendCh <- me
	select {
	case who := <-recvCh:
		if *who != *me {
			t.Fatal(who)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("nothing received")
	}
	if err := ec.BindSendChan("x", 1); err != ErrChanArg {
		t.Fatal(err)
	}
	close(sendCh)
}
