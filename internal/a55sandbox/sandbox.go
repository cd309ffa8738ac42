package a55sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sandbox is the simulator: an http.Handler holding all state in memory. It
// is safe for concurrent use. Call Close to stop its background goroutines
// (sweeper and webhook deliveries).
type Sandbox struct {
	cfg Config

	mu          sync.Mutex
	rng         *mathrand.Rand
	tokens      map[string]tokenInfo
	charges     map[string]*charge
	order       []*charge
	idem        map[idemKey]*idemEntry
	faults      map[string]Fault
	faultCounts map[string]int
	closed      bool

	webhookClient *http.Client
	stop          chan struct{}
	closeOnce     sync.Once
	wg            sync.WaitGroup
}

// New returns a running sandbox. Its sweeper goroutine runs until Close.
func New(cfg Config) *Sandbox {
	cfg = cfg.withDefaults()
	s := &Sandbox{
		cfg:           cfg,
		rng:           mathrand.New(mathrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		webhookClient: &http.Client{Timeout: cfg.WebhookTimeout},
		stop:          make(chan struct{}),
	}
	s.resetLocked()
	for name, f := range cfg.Faults {
		s.faults[name] = f
	}
	s.wg.Add(1)
	go s.sweeper()
	return s
}

// Close stops the sweeper and every pending webhook delivery, and waits for
// them to return. The handler keeps answering API calls afterwards but sends
// no more webhooks.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
	})
	s.wg.Wait()
}

// Reset forgets every charge, token, idempotency key, fault setting and
// fault counter. Webhook deliveries already scheduled still run.
func (s *Sandbox) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Sandbox) resetLocked() {
	s.tokens = make(map[string]tokenInfo)
	s.charges = make(map[string]*charge)
	s.order = nil
	s.idem = make(map[idemKey]*idemEntry)
	s.faults = make(map[string]Fault)
	s.faultCounts = make(map[string]int)
}

func (s *Sandbox) now() time.Time { return s.cfg.Clock() }

func (s *Sandbox) sweeper() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep applies every time-based transition that is due by the clock now:
// authorization expiry, 3DS challenge timeout, settlement, and forgets
// expired tokens and idempotency keys. The sweeper calls it periodically and
// every API request calls it first; tests with an injected clock may call it
// after moving the clock.
func (s *Sandbox) Sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
}

func (s *Sandbox) sweepLocked() {
	now := s.now()
	for _, c := range s.order {
		s.applyTimersLocked(c, now)
	}
	for k, t := range s.tokens {
		if !now.Before(t.expiresAt) {
			delete(s.tokens, k)
		}
	}
	for k, e := range s.idem {
		if e.done && !now.Before(e.at.Add(s.cfg.IdempotencyTTL)) {
			delete(s.idem, k)
		}
	}
}

// ---- request plumbing ----

// response is what a handler decided; the pipeline stores it for
// idempotent replay, then writes it (or drops the connection on a fault).
type response struct {
	status      int
	contentType string
	body        []byte
	header      http.Header
	chargeUUID  string // the charge this response is about, for replay counting
}

func jsonResponse(status int, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only sandbox-built values are marshalled
	}
	return &response{status: status, contentType: "application/json", body: b}
}

type apiRequest struct {
	r         *http.Request
	body      []byte
	clientID  string
	requestID string
	params    []string
}

type route struct {
	endpoint string // fault and log name: token, create, get, list, capture, cancel, refund, validate
	auth     bool
	handle   func(*apiRequest) *response
}

// ServeHTTP routes A55's paths, the 3DS challenge page and the /_sandbox admin endpoints.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if s.cfg.Logger != nil {
			// The path never carries card data; query strings are left out on purpose.
			s.cfg.Logger.Info("a55sandbox request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
		}
	}()
	path := r.URL.Path
	switch {
	case path == "/oauth2/token" || path == "/oauth2/token/":
		if r.Method != http.MethodPost {
			methodNotAllowed(rec, http.MethodPost)
			return
		}
		s.serve(rec, r, route{endpoint: "token", handle: s.handleToken})
	case strings.HasPrefix(path, "/api/v1/bank/wallet/"):
		rt, ok := s.walletRoute(rec, r, strings.TrimPrefix(path, "/api/v1/bank/wallet/"))
		if ok {
			s.serve(rec, r, rt)
		}
	case strings.HasPrefix(path, "/api/v1/bank/public/charge/authentication/"):
		parts := splitPath(strings.TrimPrefix(path, "/api/v1/bank/public/charge/authentication/"))
		if len(parts) != 2 || parts[1] != "validate" {
			writeResponse(rec, notFound(newRequestID(), r.URL.Path))
			return
		}
		if r.Method != http.MethodPost {
			methodNotAllowed(rec, http.MethodPost)
			return
		}
		s.serve(rec, r, route{endpoint: "validate", handle: func(q *apiRequest) *response { q.params = parts[:1]; return s.handleValidate(q) }})
	case strings.HasPrefix(path, "/3ds/challenge/"):
		s.serveChallenge(rec, r, strings.Trim(strings.TrimPrefix(path, "/3ds/challenge/"), "/"))
	case strings.HasPrefix(path, "/_sandbox/"):
		s.serveAdmin(rec, r, strings.Trim(strings.TrimPrefix(path, "/_sandbox/"), "/"))
	default:
		writeResponse(rec, notFound(newRequestID(), r.URL.Path))
	}
}

func (s *Sandbox) walletRoute(w http.ResponseWriter, r *http.Request, rest string) (route, bool) {
	parts := splitPath(rest)
	want := func(method string) bool {
		if r.Method != method {
			methodNotAllowed(w, method)
			return false
		}
		return true
	}
	switch {
	case len(parts) == 1 && parts[0] == "charge":
		switch r.Method {
		case http.MethodPost:
			return route{endpoint: "create", auth: true, handle: s.handleCreate}, true
		case http.MethodGet:
			return route{endpoint: "get", auth: true, handle: s.handleGet}, true
		}
		methodNotAllowed(w, "GET, POST")
		return route{}, false
	case len(parts) == 1 && parts[0] == "charges":
		return route{endpoint: "list", auth: true, handle: s.handleList}, want(http.MethodGet)
	case len(parts) == 2 && parts[0] == "charge" && parts[1] == "capture":
		return route{endpoint: "capture", auth: true, handle: s.handleCapture}, want(http.MethodPost)
	case len(parts) == 2 && parts[0] == "charge":
		return route{endpoint: "get", auth: true, handle: func(q *apiRequest) *response { q.params = parts[1:]; return s.handleGet(q) }}, want(http.MethodGet)
	case len(parts) == 4 && parts[0] == "charge" && parts[2] == "cancel":
		return route{endpoint: "cancel", auth: true, handle: func(q *apiRequest) *response { q.params = []string{parts[1], parts[3]}; return s.handleCancel(q) }}, want(http.MethodPost)
	case len(parts) == 4 && parts[0] == "charge" && parts[2] == "refund":
		return route{endpoint: "refund", auth: true, handle: func(q *apiRequest) *response { q.params = []string{parts[1], parts[3]}; return s.handleRefund(q) }}, want(http.MethodPost)
	}
	writeResponse(w, notFound(newRequestID(), r.URL.Path))
	return route{}, false
}

// serve runs one API call: faults before the work, authentication,
// idempotency, the handler, then faults after the work.
func (s *Sandbox) serve(w http.ResponseWriter, r *http.Request, rt route) {
	q := &apiRequest{r: r, requestID: newRequestID()}
	w.Header().Set("X-Request-Id", q.requestID)

	if resp := s.injectBefore(r, rt.endpoint, q.requestID); resp != nil {
		writeResponse(w, resp)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeResponse(w, apiError(http.StatusBadRequest, q.requestID, "INVALID_REQUEST", "", "request body could not be read or is larger than 1 MiB"))
		return
	}
	q.body = body
	if rt.auth {
		clientID, resp := s.authenticate(r, q.requestID)
		if resp != nil {
			writeResponse(w, resp)
			return
		}
		q.clientID = clientID
	} else {
		q.clientID = "public"
	}

	key := r.Header.Get("Idempotency-Key")
	var ik idemKey
	useKey := r.Method == http.MethodPost && key != "" && rt.endpoint != "token"
	if useKey {
		ik = idemKey{clientID: q.clientID, method: r.Method, path: strings.TrimSuffix(r.URL.Path, "/"), key: key}
		if resp := s.idemBegin(ik, body, q.requestID); resp != nil {
			writeResponse(w, resp)
			return
		}
	}

	s.injectLatency(r, rt.endpoint)
	resp := rt.handle(q)

	if useKey {
		s.idemFinish(ik, resp)
	}
	if s.injectLostResponse(rt.endpoint) {
		// The work is committed; the client sees the connection close without
		// an answer, exactly like a response lost in the network.
		panic(http.ErrAbortHandler)
	}
	writeResponse(w, resp)
}

func writeResponse(w http.ResponseWriter, resp *response) {
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if resp.contentType != "" {
		w.Header().Set("Content-Type", resp.contentType)
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	resp := apiError(http.StatusMethodNotAllowed, newRequestID(), "METHOD_NOT_ALLOWED", "", "method not allowed; use "+allow)
	w.Header().Set("Allow", allow)
	writeResponse(w, resp)
}

func notFound(requestID, path string) *response {
	return apiError(http.StatusNotFound, requestID, "NOT_FOUND", "", "no such endpoint: "+path)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// ---- error bodies ----

// errorItem is one entry of the "message" array of an error body.
type errorItem struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Field   string `json:"field,omitempty"`
}

// errorBody is the seeds' error shape, used for every 4xx except cancel's
// CANCEL_NOT_ALLOWED (shape A) and the OAuth endpoint (RFC 6749 shape):
// {"status":"error","code":"…","message":[{"message":"…","code":"…","field":"…"}],"request_id":"req_…"}.
type errorBody struct {
	Status    string      `json:"status"`
	Code      string      `json:"code"`
	Message   []errorItem `json:"message"`
	RequestID string      `json:"request_id"`
}

func apiError(status int, requestID, code, field, text string) *response {
	return jsonResponse(status, errorBody{Status: "error", Code: code, RequestID: requestID,
		Message: []errorItem{{Message: text, Code: code, Field: field}}})
}

func newRequestID() string { return "req_" + randomHex(12) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// newUUID returns a random version-4 UUID.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ---- idempotency ----

type idemKey struct{ clientID, method, path, key string }

type idemEntry struct {
	bodyHash [32]byte
	done     bool
	resp     *response
	at       time.Time
}

// canonicalHash hashes the JSON body independently of key order and
// whitespace, so a client that re-encodes the same request is not refused.
func canonicalHash(body []byte) [32]byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			return sha256.Sum256(b)
		}
	}
	return sha256.Sum256(body)
}

// idemBegin returns a response to send instead of running the handler (a
// replay or a conflict), or nil after reserving the key.
func (s *Sandbox) idemBegin(k idemKey, body []byte, requestID string) *response {
	h := canonicalHash(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.idem[k]
	if ok && e.done && !now.Before(e.at.Add(s.cfg.IdempotencyTTL)) {
		delete(s.idem, k)
		ok = false
	}
	if !ok {
		s.idem[k] = &idemEntry{bodyHash: h, at: now}
		return nil
	}
	if e.bodyHash != h {
		return apiError(http.StatusConflict, requestID, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key",
			"this Idempotency-Key was already used with a different request body; use a new key for a new operation")
	}
	if !e.done {
		resp := apiError(http.StatusConflict, requestID, "REQUEST_IN_PROGRESS", "Idempotency-Key",
			"a request with this Idempotency-Key is still in progress; retry later")
		resp.header = http.Header{"Retry-After": {"1"}}
		return resp
	}
	if c, ok := s.charges[e.resp.chargeUUID]; ok {
		c.calls.Replays++
	}
	replay := *e.resp
	replay.header = http.Header{"Idempotent-Replayed": {"true"}}
	return &replay
}

// IdempotencyInFlight reports how many requests hold an Idempotency-Key
// without an answer yet.
func (s *Sandbox) IdempotencyInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.idem {
		if !e.done {
			n++
		}
	}
	return n
}

// idemFinish stores the response for replay. Server errors are not stored:
// nothing was done, so a retry with the same key runs again.
func (s *Sandbox) idemFinish(k idemKey, resp *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.idem[k]
	if !ok {
		return
	}
	if resp.status >= 500 {
		delete(s.idem, k)
		return
	}
	e.done = true
	e.resp = resp
	e.at = s.now()
}
