// Authentication (nats.go README "Authentication (Nkeys and User Credentials)"): a creds file,
// JWT + seed files and an nkey seed file. Servers and files come from the environment set by
// scripts/test.sh: NATS_CREDS_URL, NATS_CREDS_FILE, NATS_NKEY_URL, NATS_NKEY_SEED_FILE.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/libnatsrs/natsrs/bindings/go"
)

func main() {
	credsURL, creds := os.Getenv("NATS_CREDS_URL"), os.Getenv("NATS_CREDS_FILE")
	nkeyURL, seed := os.Getenv("NATS_NKEY_URL"), os.Getenv("NATS_NKEY_SEED_FILE")
	if credsURL == "" || nkeyURL == "" {
		fmt.Println("auth: skipped (NATS_CREDS_URL / NATS_NKEY_URL not set)")
		return
	}
	nc, err := nats.Connect(credsURL, nats.UserCredentials(creds))
	if err != nil {
		log.Fatal(err)
	}
	nc.Close()

	dir := filepath.Dir(creds)
	nc, err = nats.Connect(credsURL, nats.UserCredentials(filepath.Join(dir, "user.jwt"), filepath.Join(dir, "user.seed")))
	if err != nil {
		log.Fatal(err)
	}
	nc.Close()

	opt, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		log.Fatal(err)
	}
	nc, err = nats.Connect(nkeyURL, opt)
	if err != nil {
		log.Fatal(err)
	}
	nc.Close()

	// Wrong credentials are an authorization error.
	if _, err := nats.Connect(nkeyURL); err == nil {
		log.Fatal("connected without credentials")
	} else {
		fmt.Printf("Without credentials: %v\n", err)
	}
	fmt.Println("auth: ok")
}
