package stack

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// BookingSystem stands in for a booking system's notification endpoint in
// the local stack (Project.Notify): a real HTTP server that verifies every
// delivery with starter.ConstructEvent and records each event once per id,
// per booking, in arrival order. FailNext makes it answer 500 for a while
// (a booking system that is down).
type BookingSystem struct {
	// URL is where the worker delivers (NOTIFY_URL).
	URL    string
	secret string
	srv    *http.Server

	mu         sync.Mutex
	events     map[string][]workflows.Event // by booking id
	deliveries map[string]int               // by event id: every verified delivery, redeliveries included
	refused    int                          // deliveries that failed verification
	failNext   map[string]int               // by booking id
	raw        map[string]Delivery          // by event id: its first accepted delivery
	// now is the receiver's clock for the timestamp tolerance.
	now func() time.Time
}

// NotifyPath is the booking system's notification path.
const NotifyPath = "/notifications"

// EnvNotifySecret names the dev stack's generated notification secret (the
// worker's NOTIFY_SECRET).
const EnvNotifySecret = "NOTIFY_SECRET"

// NewNotifySecret is a fresh Standard Webhooks secret: whsec_ and the
// base64 of 32 random bytes.
func NewNotifySecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// StartBookingSystem serves on addr (host:port; port 0 picks one), verifying
// with secret.
func StartBookingSystem(addr, secret string) (*BookingSystem, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &BookingSystem{
		URL: "http://" + ln.Addr().String() + NotifyPath, secret: secret,
		events: map[string][]workflows.Event{}, deliveries: map[string]int{}, failNext: map[string]int{},
		raw: map[string]Delivery{}, now: time.Now,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+NotifyPath, b.receive)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *BookingSystem) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ev, err := starter.ConstructEventWithOptions(body, r.Header, b.secret, starter.NotificationOptions{Now: b.now})
	if err != nil {
		b.refused++
		http.Error(w, "invalid notification", http.StatusBadRequest)
		return
	}
	if b.failNext[ev.BookingID] > 0 {
		b.failNext[ev.BookingID]--
		http.Error(w, "booking system unavailable", http.StatusInternalServerError)
		return
	}
	b.deliveries[ev.ID]++
	if b.deliveries[ev.ID] == 1 {
		b.events[ev.BookingID] = append(b.events[ev.BookingID], ev)
		b.raw[ev.ID] = Delivery{Body: body, Header: r.Header.Clone()}
	}
	w.WriteHeader(http.StatusNoContent)
}

// Events are the booking's events, each once, in arrival order.
func (b *BookingSystem) Events(bookingID string) []workflows.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]workflows.Event(nil), b.events[bookingID]...)
}

// Deliveries is how many verified deliveries of the event id were accepted
// (more than one: a redelivery, which the booking system deduplicates).
func (b *BookingSystem) Deliveries(eventID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.deliveries[eventID]
}

// Refused counts deliveries that failed verification (forged, replayed).
func (b *BookingSystem) Refused() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}

// FailNext answers the booking's next n verified deliveries with 500.
func (b *BookingSystem) FailNext(bookingID string, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext[bookingID] = n
}

// Delivery is one request as the booking system received it.
type Delivery struct {
	Body   []byte
	Header http.Header
}

// Received is the event's first accepted delivery, as received.
func (b *BookingSystem) Received(eventID string) (Delivery, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.raw[eventID]
	return d, ok
}

// Close stops the server.
func (b *BookingSystem) Close() error {
	if b == nil {
		return nil
	}
	err := b.srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
