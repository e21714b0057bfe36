//go:build unix

package sysfile

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ReadFile reads the named file whole, like [os.ReadFile], with four system
// calls (open, fstat, read, close) where os.ReadFile makes ten.
func ReadFile(name string) ([]byte, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := retry(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	// One byte more than the size: a read that fills the buffer means the
	// file grew, so read on. A regular file reads short only at its end,
	// which spares the read that returns 0; other files (/proc, pipes) are
	// read to that 0.
	regular := st.Mode&syscall.S_IFMT == syscall.S_IFREG
	data := make([]byte, 0, st.Size+1)
	for {
		var n int
		err := retry(func() (err error) {
			n, err = syscall.Read(fd, data[len(data):cap(data)])
			return err
		})
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		data = data[:len(data)+n]
		if n == 0 || regular && len(data) < cap(data) {
			return data, nil
		}
		data = append(data, 0)[:len(data)]
	}
}

// Create creates the file name, which must not exist, holding data: open,
// write and close, and nothing else. On error no file is left.
func Create(name string, data []byte, perm os.FileMode) error {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(perm.Perm()))
		return err
	})
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		err = retry(func() (err error) {
			n, err = syscall.Write(fd, data)
			return err
		})
		switch {
		case err != nil: // n is then -1
		case n == 0:
			err = io.ErrShortWrite
		default:
			data = data[n:]
		}
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		_ = syscall.Unlink(name)
		return &fs.PathError{Op: "write", Path: name, Err: err}
	}
	return nil
}

// retry calls fn again while it is interrupted by a signal.
func retry(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}
