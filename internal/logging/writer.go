package logging

import (
	"bytes"
	"io"
	"sync"
)

// maxPendingLine bounds the bytes held while waiting for a newline; a longer
// "line" is redacted and written as it is rather than growing without limit.
const maxPendingLine = 1 << 20

// RedactingWriter rewrites each line written through it with Redact before
// passing it on. Writes may split or join lines arbitrarily: a trailing
// partial line is held until its newline arrives (or Flush is called).
// It is safe for concurrent use.
type RedactingWriter struct {
	mu      sync.Mutex
	out     io.Writer
	pending []byte
}

// NewRedactingWriter wraps w.
func NewRedactingWriter(w io.Writer) *RedactingWriter {
	return &RedactingWriter{out: w}
}

// Write implements io.Writer. It reports len(p) once the complete lines in p
// have been written to the underlying writer.
func (w *RedactingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, p...)
	var out []byte
	for {
		nl := bytes.IndexByte(w.pending, '\n')
		if nl < 0 {
			break
		}
		out = append(out, redactLine(w.pending[:nl])...)
		out = append(out, '\n')
		w.pending = w.pending[nl+1:]
	}
	if len(w.pending) > maxPendingLine {
		out = append(out, redactLine(w.pending)...)
		w.pending = nil
	}
	if len(w.pending) == 0 {
		w.pending = nil // let a large buffer go
	} else {
		w.pending = append([]byte(nil), w.pending...)
	}
	if len(out) > 0 {
		if _, err := w.out.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes a held partial line, redacted.
func (w *RedactingWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	line := redactLine(w.pending)
	w.pending = nil
	_, err := w.out.Write(line)
	return err
}

func redactLine(line []byte) []byte {
	body := line
	cr := len(body) > 0 && body[len(body)-1] == '\r'
	if cr {
		body = body[:len(body)-1]
	}
	red := []byte(Redact(string(body)))
	if cr {
		red = append(red, '\r')
	}
	return red
}
