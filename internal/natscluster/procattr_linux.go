package natscluster

import "syscall"

// procAttr kills a node with the test process, should the test die before
// its cleanup.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
