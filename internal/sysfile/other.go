//go:build !unix

package sysfile

import "os"

// ReadFile reads the named file whole: [os.ReadFile] where the system calls
// of unix.go are not at hand.
func ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Create creates the file name, which must not exist, holding data. On
// error no file is left.
func Create(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
	}
	return err
}
