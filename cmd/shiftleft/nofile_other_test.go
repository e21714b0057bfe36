//go:build !unix

package main

import "errors"

func raiseOpenFileLimit() uint64 { return 0 }

func limitOpenFiles(uint64) error { return errors.ErrUnsupported }
