module github.com/libnatsrs/natsrs/bindings/go

go 1.24
