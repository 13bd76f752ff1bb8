// TLS (nats.go README "TLS"): root CA and client certificate helpers, and a tls.Config.
// NATS_TLS_URL, NATS_CA_FILE, NATS_CERT_FILE, NATS_KEY_FILE come from scripts/test.sh.
package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"os"

	"github.com/libnatsrs/natsrs/bindings/go"
)

func main() {
	url, ca := os.Getenv("NATS_TLS_URL"), os.Getenv("NATS_CA_FILE")
	certFile, keyFile := os.Getenv("NATS_CERT_FILE"), os.Getenv("NATS_KEY_FILE")
	if url == "" {
		fmt.Println("tls: skipped (NATS_TLS_URL not set)")
		return
	}
	cert := nats.ClientCert(certFile, keyFile)
	nc, err := nats.Connect(url, nats.RootCAs(ca), cert)
	if err != nil {
		log.Fatal(err)
	}
	if err := nc.Publish("tls.hello", []byte("hi")); err != nil {
		log.Fatal(err)
	}
	nc.Flush()
	nc.Close()

	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		log.Fatalf("error parsing X509 certificate/key pair: %v", err)
	}
	config := &tls.Config{
		ServerName:   "localhost",
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
	}
	nc, err = nats.Connect(url, nats.Secure(config), nats.RootCAs(ca))
	if err != nil {
		log.Fatalf("Got an error on Connect with Secure Options: %+v\n", err)
	}
	nc.Close()
	fmt.Println("tls: ok")
}
