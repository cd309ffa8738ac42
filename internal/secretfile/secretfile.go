// Package secretfile reads a secret (the payload keys, the codec server's
// token) set either in a variable or in a file a second variable names, and
// writes a generated one for a first run, never over an existing one.
package secretfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FromEnv reads a secret set in the variable inline or in the file whose path
// the variable file holds: exactly one of them (blank counts as unset). It
// returns the value (the file's content, as read), the source to name in
// errors about it (the variable, or the file variable and the path), and
// set=false when neither is set.
func FromEnv(lookup func(string) (string, bool), inline, file string) (value, source string, set bool, err error) {
	value, haveValue := lookup(inline)
	path, havePath := lookup(file)
	haveValue = haveValue && strings.TrimSpace(value) != ""
	havePath = havePath && strings.TrimSpace(path) != ""
	switch {
	case haveValue && havePath:
		return "", "", false, fmt.Errorf("both %s and %s are set; set only one", inline, file)
	case haveValue:
		return value, inline, true, nil
	case havePath:
		data, err := os.ReadFile(path)
		if err != nil {
			return "", "", false, fmt.Errorf("%s: %w", file, err)
		}
		return string(data), file + " " + path, true, nil
	}
	return "", "", false, nil
}

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
