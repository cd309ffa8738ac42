// Package secretfile writes a generated secret (a payload key file, the
// codec server's token) for a first run, and never over an existing one.
package secretfile

import (
	"errors"
	"os"
	"path/filepath"
)

// CreateNew creates path with content, mode 0600 (parent directories 0700),
// unless a file is already there. It reports whether it created one.
func CreateNew(path, content string) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		os.Remove(path)
		return false, err
	}
	return true, f.Close()
}
