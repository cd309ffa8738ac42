package a55sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"
)

// Endpoints that accept faults.
var FaultEndpoints = []string{"token", "create", "get", "list", "capture", "cancel", "refund", "validate", "webhook"}

// Fault is what goes wrong on one endpoint. Rates are probabilities in [0,1]
// drawn from the seeded random source; the *Next counters are deterministic:
// the next N calls get the fault (they are used before the rates).
//
// Error faults answer before any work is done (nothing changes); lost-response
// faults do the work, store the idempotent result, then close the connection
// without answering.
type Fault struct {
	// ErrorRate answers 500, 503 or 429 (with Retry-After) instead of working.
	ErrorRate float64 `json:"error_rate,omitempty"`
	ErrorNext int     `json:"error_next,omitempty"`
	// ErrorStatuses restricts the injected statuses (default 500, 503, 429).
	// It may also name a refusal (400, 401, 403, 404, 409, 422), answered
	// with the code and body shape A55 uses on that endpoint.
	ErrorStatuses []int `json:"error_statuses,omitempty"`
	// RetryAfter is the Retry-After header on injected 429/503 (default 1 s).
	RetryAfter Duration `json:"retry_after,omitempty"`
	// Latency is added to every call of the endpoint (after the
	// Idempotency-Key is reserved, before the work).
	Latency Duration `json:"latency,omitempty"`
	// LostResponseRate commits the work then drops the connection.
	LostResponseRate float64 `json:"lost_response_rate,omitempty"`
	LostResponseNext int     `json:"lost_response_next,omitempty"`

	// Webhook faults (endpoint "webhook" only).
	DropRate      float64  `json:"drop_rate,omitempty"`      // never delivered
	DropNext      int      `json:"drop_next,omitempty"`      //
	DuplicateRate float64  `json:"duplicate_rate,omitempty"` // delivered twice
	DuplicateNext int      `json:"duplicate_next,omitempty"` //
	ReorderRate   float64  `json:"reorder_rate,omitempty"`   // held for Delay while later events of the charge go first
	ReorderNext   int      `json:"reorder_next,omitempty"`   //
	DelayRate     float64  `json:"delay_rate,omitempty"`     // first attempt waits Delay
	DelayNext     int      `json:"delay_next,omitempty"`     //
	Delay         Duration `json:"delay,omitempty"`          // default 1 s
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("250ms") and also reads a number of milliseconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration must be a string like \"250ms\" or a number of milliseconds")
	}
	*d = Duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

func validFaultEndpoint(name string) bool {
	for _, e := range FaultEndpoints {
		if e == name {
			return true
		}
	}
	return false
}

// SetFault replaces the fault settings of one endpoint (a zero Fault clears it).
func (s *Sandbox) SetFault(endpoint string, f Fault) error {
	if !validFaultEndpoint(endpoint) {
		return fmt.Errorf("unknown fault endpoint %q (known: %v)", endpoint, FaultEndpoints)
	}
	if err := f.validate(); err != nil {
		return fmt.Errorf("%s: %w", endpoint, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[endpoint] = f
	return nil
}

// SetFaults replaces every endpoint's fault settings at once.
func (s *Sandbox) SetFaults(faults map[string]Fault) error {
	for name, f := range faults {
		if !validFaultEndpoint(name) {
			return fmt.Errorf("unknown fault endpoint %q (known: %v)", name, FaultEndpoints)
		}
		if err := f.validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = make(map[string]Fault)
	maps.Copy(s.faults, faults)
	return nil
}

// Faults returns the current fault settings (remaining *Next counters included).
func (s *Sandbox) Faults() map[string]Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Fault, len(s.faults))
	maps.Copy(out, s.faults)
	return out
}

// FaultCounts returns how many faults were injected, keyed "<endpoint>:<kind>"
// (kinds: error_<status> such as error_500, error_429, error_422, latency, lost_response, drop,
// duplicate, reorder, delay).
func (s *Sandbox) FaultCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.faultCounts))
	maps.Copy(out, s.faultCounts)
	return out
}

func (f Fault) validate() error {
	for name, r := range map[string]float64{"error_rate": f.ErrorRate, "lost_response_rate": f.LostResponseRate,
		"drop_rate": f.DropRate, "duplicate_rate": f.DuplicateRate, "reorder_rate": f.ReorderRate, "delay_rate": f.DelayRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("%s must be between 0 and 1, got %v", name, r)
		}
	}
	for _, st := range f.ErrorStatuses {
		if st != 500 && st != 503 && st != 429 && st != 502 && st != 504 && !isRefusalStatus(st) {
			return fmt.Errorf("error_statuses may hold 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504; got %d", st)
		}
	}
	if f.Latency < 0 || f.Delay < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("durations must not be negative")
	}
	return nil
}

// fireLocked decides one fault: the deterministic counter first, then the rate.
func (s *Sandbox) fireLocked(next *int, rate float64) bool {
	if *next > 0 {
		*next--
		return true
	}
	return rate > 0 && s.rng.Float64() < rate
}

// injectBefore applies latency and error faults; a non-nil response is sent
// instead of doing the work.
func (s *Sandbox) injectBefore(r *http.Request, endpoint, requestID string) *response {
	s.mu.Lock()
	f, ok := s.faults[endpoint]
	if !ok {
		s.mu.Unlock()
		return nil
	}
	fire := s.fireLocked(&f.ErrorNext, f.ErrorRate)
	status := 0
	if fire {
		statuses := f.ErrorStatuses
		if len(statuses) == 0 {
			statuses = []int{500, 503, 429}
		}
		status = statuses[s.rng.IntN(len(statuses))]
		s.faultCounts[endpoint+":error_"+strconv.Itoa(status)]++
	}
	s.faults[endpoint] = f
	s.mu.Unlock()
	if status == 0 {
		return nil
	}
	retryAfter := time.Duration(f.RetryAfter)
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	secs := strconv.Itoa(int((retryAfter + time.Second - 1) / time.Second))
	var resp *response
	switch {
	case isRefusalStatus(status):
		resp = injectedRefusal(r, endpoint, status, requestID)
	case endpoint == "token":
		code := map[int]string{429: "slow_down", 503: "temporarily_unavailable"}[status]
		if code == "" {
			code = "server_error"
		}
		resp = jsonResponse(status, oauthError{code, "injected sandbox fault"})
	case status == 429:
		// A55 documents rate limiting with its error-object shape.
		resp = jsonResponse(status, map[string]any{
			"error": map[string]any{"code": "RATE_LIMIT_EXCEEDED", "message": "Too many requests (injected sandbox fault)",
				"details": []map[string]string{{"field": "rate_limit", "reason": "100 requests per minute exceeded"}}},
			"request_id": requestID,
		})
	case status == 503:
		resp = apiError(status, requestID, "SERVICE_UNAVAILABLE", "", "service temporarily unavailable (injected sandbox fault)")
	default:
		resp = apiError(status, requestID, "INTERNAL_ERROR", "", "internal error (injected sandbox fault)")
	}
	if status == 429 || status == 503 {
		resp.header = http.Header{"Retry-After": {secs}}
	}
	return resp
}

// injectLatency sleeps the endpoint's latency. It runs after the
// Idempotency-Key is reserved, so it stands for slow processing: a duplicate
// arriving meanwhile sees REQUEST_IN_PROGRESS.
func (s *Sandbox) injectLatency(r *http.Request, endpoint string) {
	s.mu.Lock()
	latency := time.Duration(s.faults[endpoint].Latency)
	if latency > 0 {
		s.faultCounts[endpoint+":latency"]++
	}
	s.mu.Unlock()
	if latency <= 0 {
		return
	}
	t := time.NewTimer(latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.stop:
	}
}

func (s *Sandbox) injectLostResponse(endpoint string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[endpoint]
	if !ok {
		return false
	}
	fire := s.fireLocked(&f.LostResponseNext, f.LostResponseRate)
	s.faults[endpoint] = f
	if fire {
		s.faultCounts[endpoint+":lost_response"]++
	}
	return fire
}

// webhookPlan is the fault decision for one webhook event.
type webhookPlan struct {
	drop, duplicate, reorder bool
	delay                    time.Duration
}

func (s *Sandbox) planWebhookLocked() webhookPlan {
	f, ok := s.faults["webhook"]
	if !ok {
		return webhookPlan{}
	}
	var p webhookPlan
	hold := time.Duration(f.Delay)
	if hold <= 0 {
		hold = time.Second
	}
	switch {
	case s.fireLocked(&f.DropNext, f.DropRate):
		p.drop = true
		s.faultCounts["webhook:drop"]++
	default:
		if s.fireLocked(&f.ReorderNext, f.ReorderRate) {
			p.reorder = true
			p.delay = hold
			s.faultCounts["webhook:reorder"]++
		} else if s.fireLocked(&f.DelayNext, f.DelayRate) {
			p.delay = hold
			s.faultCounts["webhook:delay"]++
		}
		if s.fireLocked(&f.DuplicateNext, f.DuplicateRate) {
			p.duplicate = true
			s.faultCounts["webhook:duplicate"]++
		}
	}
	s.faults["webhook"] = f
	return p
}
