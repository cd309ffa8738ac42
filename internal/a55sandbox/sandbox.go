package a55sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	keyReused   int // real 409 IDEMPOTENCY_KEY_REUSED answers
	// replaysAcrossMidnight counts replays answered on another UTC day
	// than the stored answer (on the sandbox's clock).
	replaysAcrossMidnight int
	modes                 Modes
	closed                bool
	// clockOffset (nanoseconds) is added to cfg.Clock: SetClock moves the
	// sandbox's time without touching the process's.
	clockOffset atomic.Int64

	routes        http.Handler
	webhookClient *http.Client
	stop          chan struct{}
	closeOnce     sync.Once
	wg            sync.WaitGroup
}

// New returns a running sandbox. Its sweeper goroutine runs until Close. It
// panics on a Config that does not Validate (Listen returns the error).
func New(cfg Config) *Sandbox {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	s := &Sandbox{
		cfg:           cfg,
		rng:           mathrand.New(mathrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		webhookClient: &http.Client{Timeout: cfg.WebhookTimeout},
		stop:          make(chan struct{}),
	}
	s.routes = s.newRoutes()
	s.resetLocked()
	s.modes = Modes{Vocabulary: cfg.Vocabulary, Acquirer: cfg.Acquirer}
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
	s.keyReused = 0
	s.replaysAcrossMidnight = 0
	s.clockOffset.Store(0)
}

func (s *Sandbox) now() time.Time { return s.cfg.Clock().Add(time.Duration(s.clockOffset.Load())) }

// Modes returns the vocabulary and the acquirer in use.
func (s *Sandbox) Modes() Modes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modes
}

// SetModes changes the vocabulary and the acquirer of a running sandbox
// (empty: the default). Existing charges answer in the new vocabulary from
// then on; captures book by the new acquirer.
func (s *Sandbox) SetModes(m Modes) error {
	if err := m.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes = m.withDefaults()
	return nil
}

// Now is the sandbox's time: Config.Clock moved by SetClock.
func (s *Sandbox) Now() time.Time { return s.now() }

// SetClock makes the sandbox's time read now from this moment on (it keeps
// running at Config.Clock's pace): hold expiry, settlement, challenge and
// token expiry, idempotency windows, dates in answers and the default
// due_date follow it. The zero time goes back to Config.Clock.
func (s *Sandbox) SetClock(now time.Time) {
	if now.IsZero() {
		s.clockOffset.Store(0)
		return
	}
	s.clockOffset.Store(int64(now.Sub(s.cfg.Clock())))
}

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
}

type route struct {
	endpoint string // fault and log name: token, create, get, list, capture, cancel, refund, validate
	auth     bool
	handle   func(*apiRequest) *response
}

// ServeHTTP logs the request and hands it to the routes.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if s.cfg.Logger != nil {
			// The path never carries card data; query strings are left out on purpose.
			s.cfg.Logger.Info("a55sandbox request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
		}
	}()
	s.routes.ServeHTTP(rec, r)
}

// newRoutes maps A55's paths, the 3DS challenge page and the /_sandbox admin
// endpoints. Path values carry A55's field names: r.PathValue("charge_uuid").
func (s *Sandbox) newRoutes() http.Handler {
	rt := newRouter()
	api := func(method, path string, call route) {
		rt.handle(method, path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, call) })
	}
	api(http.MethodPost, "/oauth2/token", route{endpoint: "token", handle: s.handleToken})
	api(http.MethodPost, "/api/v1/bank/wallet/charge", route{endpoint: "create", auth: true, handle: s.handleCreate})
	api(http.MethodGet, "/api/v1/bank/wallet/charge", route{endpoint: "get", auth: true, handle: s.handleGet})
	api(http.MethodGet, "/api/v1/bank/wallet/charge/{charge_uuid}", route{endpoint: "get", auth: true, handle: s.handleGet})
	api(http.MethodGet, "/api/v1/bank/wallet/charges", route{endpoint: "list", auth: true, handle: s.handleList})
	api(http.MethodPost, "/api/v1/bank/wallet/charge/capture", route{endpoint: "capture", auth: true, handle: s.handleCapture})
	// "capture" is a path of its own, not a charge uuid: a GET there is a wrong method, not a lookup.
	rt.wrongMethod(http.MethodGet, "/api/v1/bank/wallet/charge/capture")
	api(http.MethodPost, "/api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}", route{endpoint: "cancel", auth: true, handle: s.handleCancel})
	api(http.MethodPost, "/api/v1/bank/wallet/charge/{charge_uuid}/refund/{wallet_uuid}", route{endpoint: "refund", auth: true, handle: s.handleRefund})
	api(http.MethodPost, "/api/v1/bank/public/charge/authentication/{charge_uuid}/validate", route{endpoint: "validate", handle: s.handleValidate})

	rt.handle(http.MethodGet, "/3ds/challenge/{charge_uuid}", s.serveChallenge)
	rt.handle(http.MethodPost, "/3ds/challenge/{charge_uuid}", s.serveChallenge)

	rt.handle(http.MethodGet, "/_sandbox/ledger", s.serveLedger)
	rt.handle(http.MethodGet, "/_sandbox/faults", s.serveFaults)
	rt.handle(http.MethodPost, "/_sandbox/faults", s.replaceFaults)
	rt.handle(http.MethodPut, "/_sandbox/faults", s.replaceFaults)
	rt.handle(http.MethodDelete, "/_sandbox/faults", s.clearFaults)
	rt.handle(http.MethodPost, "/_sandbox/reset", s.serveReset)
	rt.handle(http.MethodGet, "/_sandbox/modes", s.serveModes)
	rt.handle(http.MethodPost, "/_sandbox/modes", s.replaceModes)
	rt.handle(http.MethodGet, "/_sandbox/clock", s.serveClock)
	rt.handle(http.MethodPost, "/_sandbox/clock", s.setClock)
	rt.handle(http.MethodDelete, "/_sandbox/clock", s.resetClock)
	return rt.handler()
}

// router is a ServeMux with a pattern per method and path, each path taken
// with and without its trailing slash (A55 takes both). What no pattern takes
// goes to a second ServeMux that knows only the paths: 405 naming the methods
// the path takes, or 404, both in A55's error shape (ServeMux's own answers
// are plain text).
type router struct {
	mux, paths *http.ServeMux
	allow      map[string][]string // the methods each path takes
}

func newRouter() *router {
	return &router{mux: http.NewServeMux(), paths: http.NewServeMux(), allow: map[string][]string{}}
}

// slashForms is path without and with its trailing slash.
func slashForms(path string) [2]string { return [2]string{path, path + "/{$}"} }

func (rt *router) handle(method, path string, h http.HandlerFunc) {
	if get := h; method == http.MethodGet {
		// ServeMux serves HEAD with the GET pattern; A55 does not take HEAD.
		h = func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				rt.paths.ServeHTTP(w, r)
				return
			}
			get(w, r)
		}
	}
	for _, p := range slashForms(path) {
		rt.mux.HandleFunc(method+" "+p, h)
	}
	rt.allow[path] = append(rt.allow[path], method)
}

// wrongMethod answers method on path with 405 where a pattern with a
// wildcard would otherwise take it.
func (rt *router) wrongMethod(method, path string) {
	for _, p := range slashForms(path) {
		rt.mux.Handle(method+" "+p, rt.paths)
	}
}

func (rt *router) handler() http.Handler {
	for path, methods := range rt.allow {
		slices.Sort(methods)
		allow := strings.Join(methods, ", ")
		for _, p := range slashForms(path) {
			rt.paths.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { methodNotAllowed(w, allow) })
		}
	}
	rt.paths.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeResponse(w, notFound(newRequestID(), r.URL.Path))
	})
	rt.mux.Handle("/", rt.paths)
	return rt.mux
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
		s.keyReused++
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
	if e.at.UTC().Format(time.DateOnly) != now.UTC().Format(time.DateOnly) {
		s.replaysAcrossMidnight++
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
