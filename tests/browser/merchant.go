// Package browser checks what people see: a small merchant checkout page that
// embeds A55's 3DS challenge the way a booking front end should, and, in its
// tests, headless Chromium driving that page and the Temporal Web UI against
// the real dev stack (dev server, sandbox, codec server, receiver, worker).
//
// The checkout page is also a reference for booking systems: it loads url_3ds
// in an iframe, accepts the challenge's 3ds-auth-complete message only from
// A55's origin and only from that iframe, and tells its own back end, which
// calls starter.Report3DSComplete. The message is only a trigger: the
// workflow re-reads the charge from A55 before it decides anything.
//
// The tests (go test ./tests/browser/, part of make test; -short skips them) need
// Debian's Chromium (apt-get install -y chromium) and bin/temporal, and fail
// without either. They write a screenshot of each step under
// screenshots/browser/ (git-ignored). Environment: CHROMIUM names another
// browser binary; BROWSER_KEEP_STATE=1 keeps the stack's temporary folder
// (logs, keys); BROWSER_UPDATE_DOCS=1 rewrites docs/temporal-ui-booking.png.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/workflows"
)

// Merchant serves the checkout page and the two calls it makes to its back end.
type Merchant struct {
	// ChallengeOrigin is A55's origin (scheme://host[:port]): url_3ds must be
	// on it, and it is the only origin whose messages the page accepts.
	ChallengeOrigin string
	// Report3DSComplete tells the booking's workflow that the card holder
	// finished the challenge (starter.Starter.Report3DSComplete).
	Report3DSComplete func(ctx context.Context, bookingID, chargeUUID string) error
	// PaymentStatus, when set, lets the page show the booking's payment status
	// (starter.Starter.Status) after the challenge.
	PaymentStatus func(ctx context.Context, bookingID string) (workflows.Status, error)
}

// Paths the merchant serves.
const (
	CheckoutPath   = "/checkout"     // GET ?booking=<id>&url_3ds=<url>
	CompletePath   = "/3ds-complete" // POST {"booking_id","charge_uuid"}
	StatusPath     = "/status"       // GET ?booking=<id> → {"status"}
	maxRequestBody = 4096
)

// CheckoutURL is the page for one booking's challenge, under base (the
// merchant's own URL).
func CheckoutURL(base, bookingID, url3DS string) string {
	return strings.TrimRight(base, "/") + CheckoutPath + "?" +
		url.Values{"booking": {bookingID}, "url_3ds": {url3DS}}.Encode()
}

// Handler routes the merchant's paths.
func (m *Merchant) Handler() (http.Handler, error) {
	origin, err := url.Parse(m.ChallengeOrigin)
	if err != nil || (origin.Scheme != "http" && origin.Scheme != "https") || origin.Host == "" || strings.Trim(origin.Path, "/") != "" {
		return nil, fmt.Errorf("ChallengeOrigin %q must be scheme://host[:port]", m.ChallengeOrigin)
	}
	if m.Report3DSComplete == nil {
		return nil, errors.New("Report3DSComplete is required")
	}
	m.ChallengeOrigin = origin.Scheme + "://" + origin.Host
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CheckoutPath, m.checkout)
	mux.HandleFunc("POST "+CompletePath, m.complete)
	mux.HandleFunc("GET "+StatusPath, m.status)
	return mux, nil
}

type checkoutPage struct {
	BookingID, URL3DS, ChallengeOrigin string
	ShowStatus                         bool
}

func (m *Merchant) checkout(w http.ResponseWriter, r *http.Request) {
	bookingID := r.URL.Query().Get("booking")
	if err := workflows.ValidateBookingID(bookingID); err != nil {
		http.Error(w, "booking: "+err.Error(), http.StatusBadRequest)
		return
	}
	raw := r.URL.Query().Get("url_3ds")
	u, err := url.Parse(raw)
	if err != nil || u.Scheme+"://"+u.Host != m.ChallengeOrigin {
		http.Error(w, "url_3ds must be a URL on "+m.ChallengeOrigin, http.StatusBadRequest)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Only A55 may be framed here, and nobody may frame the checkout.
	h.Set("Content-Security-Policy", "frame-src "+m.ChallengeOrigin+"; frame-ancestors 'none'")
	_ = checkoutTemplate.Execute(w, checkoutPage{
		BookingID: bookingID, URL3DS: u.String(), ChallengeOrigin: m.ChallengeOrigin,
		ShowStatus: m.PaymentStatus != nil,
	})
}

// CompleteRequest is what the page posts when the challenge says it is done.
type CompleteRequest struct {
	BookingID  string `json:"booking_id"`
	ChargeUUID string `json:"charge_uuid"`
}

func (m *Merchant) complete(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		// Also keeps plain cross-site form posts out: they cannot send JSON.
		http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	var req CompleteRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "body must be {\"booking_id\",\"charge_uuid\"}: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := workflows.ValidateBookingID(req.BookingID); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.ChargeUUID == "" || len(req.ChargeUUID) > 64 {
		http.Error(w, "charge_uuid is required (at most 64 characters)", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := m.Report3DSComplete(ctx, req.BookingID, req.ChargeUUID); err != nil {
		http.Error(w, "could not report the challenge: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (m *Merchant) status(w http.ResponseWriter, r *http.Request) {
	if m.PaymentStatus == nil {
		http.NotFound(w, r)
		return
	}
	bookingID := r.URL.Query().Get("booking")
	if err := workflows.ValidateBookingID(bookingID); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	s, err := m.PaymentStatus(ctx, bookingID)
	if err != nil {
		http.Error(w, "could not read the payment status: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": s, "terminal": s.Terminal()})
}

// The page keeps what it saw in the DOM (data-* attributes) so that people and
// tests read the same thing.
var checkoutTemplate = template.Must(template.New("checkout").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Checkout: card verification</title>
<style>
body{font-family:sans-serif;max-width:46em;margin:2em auto;color:#222}
iframe{width:100%;height:22em;border:1px solid #bbb;border-radius:6px}
#state,#payment{font-weight:bold}
#messages{font-size:.85em;color:#555}
</style>
</head>
<body>
<h1>Hotel booking <code id="booking">{{.BookingID}}</code></h1>
<p>Your bank asks you to confirm this card payment.</p>
<iframe id="challenge" title="Card verification" data-loads="0"></iframe>
<p id="state" data-state="waiting">Waiting for your bank&hellip;</p>
<p id="payment" data-status=""></p>
<h2>Messages received</h2>
<ol id="messages"></ol>
<script>
(function () {
  var bookingID = {{.BookingID}};
  var challengeOrigin = {{.ChallengeOrigin}};
  var showStatus = {{.ShowStatus}};
  var frame = document.getElementById('challenge');
  var state = document.getElementById('state');
  var payment = document.getElementById('payment');
  var reported = false;

  // The listener goes on before the challenge loads, so no load is missed.
  frame.addEventListener('load', function () { frame.dataset.loads = String(Number(frame.dataset.loads) + 1); });
  frame.src = {{.URL3DS}};

  function setState(s, text) { state.dataset.state = s; state.textContent = text; }
  function note(ev, accepted, why) {
    var li = document.createElement('li');
    li.dataset.origin = ev.origin;
    li.dataset.accepted = accepted ? 'true' : 'false';
    var charge = ev.data && typeof ev.data.chargeUuid === 'string' ? ev.data.chargeUuid : '';
    li.dataset.charge = charge;
    li.textContent = (accepted ? 'accepted ' : 'ignored ') + (ev.data && ev.data.event || '?') + ' from ' + ev.origin + (why ? ' (' + why + ')' : '');
    document.getElementById('messages').appendChild(li);
  }

  function pollStatus() {
    fetch('/status?booking=' + encodeURIComponent(bookingID), {cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        payment.dataset.status = s.status;
        payment.textContent = 'Payment status: ' + s.status;
        if (!s.terminal && s.status !== 'authorized') { setTimeout(pollStatus, 500); }
      })
      .catch(function () { setTimeout(pollStatus, 1000); });
  }

  window.addEventListener('message', function (ev) {
    // Any page can post to this window: only A55's origin, from the
    // challenge frame, counts.
    if (ev.origin !== challengeOrigin) { note(ev, false, 'wrong origin'); return; }
    if (ev.source !== frame.contentWindow) { note(ev, false, 'not the challenge frame'); return; }
    var d = ev.data;
    if (!d || d.event !== '3ds-auth-complete' || typeof d.chargeUuid !== 'string' || d.chargeUuid === '') {
      note(ev, false, 'not a 3ds-auth-complete message'); return;
    }
    note(ev, true, '');
    if (reported) { return; }
    reported = true;
    setState('reporting', 'Confirming with the hotel\u2026');
    fetch('/3ds-complete', {
      method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({booking_id: bookingID, charge_uuid: d.chargeUuid})
    }).then(function (r) {
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      setState('reported', 'Card verification finished.');
      if (showStatus) { pollStatus(); }
    }).catch(function (e) {
      reported = false;
      setState('report-failed', 'Could not confirm the verification: ' + e.message);
    });
  });
})();
</script>
</body>
</html>
`))
