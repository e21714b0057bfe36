//go:build !unix

package main

// openFileLimit: the system has no open-file limit to read (0: none).
func openFileLimit() uint64 { return 0 }
