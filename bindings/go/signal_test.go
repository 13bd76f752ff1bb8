package nats

import "syscall"

// nats-server enters lame duck mode on SIGUSR2.
var sigLameDuck = syscall.SIGUSR2
