package startup

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// SettingsExit turns the error of parsing a binary's settings into its exit
// code: done is false when there was none; otherwise code is 0 for -h and 2,
// with the error on stderr prefixed by name, for a bad configuration.
func SettingsExit(name string, err error, stderr io.Writer) (code int, done bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	default:
		fmt.Fprintln(stderr, name+":", err)
		return 2, true
	}
}
