// Package logging sets up the project's JSON logs. Every line passes through
// redaction of card numbers, CVVs, cardholder names, tokens and client
// secrets, so a careless log call cannot leak them.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/log"
)

// ParseLevel accepts trace, debug, info, warn, error, fatal, panic, disabled
// (case-insensitive; "" means info).
func ParseLevel(level string) (zerolog.Level, error) {
	if strings.TrimSpace(level) == "" {
		return zerolog.InfoLevel, nil
	}
	l, err := zerolog.ParseLevel(strings.ToLower(strings.TrimSpace(level)))
	if err != nil || l == zerolog.NoLevel {
		return zerolog.InfoLevel, fmt.Errorf("log level %q: want one of trace, debug, info, warn, error, fatal, panic, disabled", level)
	}
	return l, nil
}

// New returns a JSON logger writing redacted lines to w, tagged with
// component. An unknown level falls back to info and says so in the log.
func New(w io.Writer, level string, component string) zerolog.Logger {
	lvl, err := ParseLevel(level)
	zl := zerolog.New(NewRedactingWriter(w)).Level(lvl).With().
		Timestamp().
		Str("component", component).
		Logger()
	if err != nil {
		zl.Warn().Err(err).Msg("using log level info")
	}
	return zl
}

// SDKLogger adapts zl for client.Options.Logger and worker logging, so the
// Temporal SDK's own lines are JSON and redacted like ours.
func SDKLogger(zl zerolog.Logger) log.Logger {
	return log.NewStructuredLogger(slog.New(zerolog.NewSlogHandler(zl)))
}
