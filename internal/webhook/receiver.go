package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Signaler delivers a signal; client.Client satisfies it.
type Signaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg interface{}) error
}

// Updater delivers an update; client.Client satisfies it.
type Updater interface {
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// Defaults for Options.
const (
	DefaultMaxBodyBytes       = 64 << 10
	DefaultSignalTimeout      = 10 * time.Second
	DefaultUpdateTimeout      = 5 * time.Second
	DefaultSignatureTolerance = 5 * time.Minute
	// MaxDeliveryTime bounds UpdateTimeout + SignalTimeout: A55 waits 30 s
	// for an answer, and the network and the body read need some of that.
	MaxDeliveryTime = 25 * time.Second
)

// CheckDeliveryTime says why an update wait and a signal wait, one after the
// other, do not fit in MaxDeliveryTime (nil when they do).
func CheckDeliveryTime(update, signal time.Duration) error {
	if update+signal > MaxDeliveryTime {
		return fmt.Errorf("%s + %s must not exceed %s: A55 waits 30 s for an answer", update, signal, MaxDeliveryTime)
	}
	return nil
}

// Signature headers A55 sends when webhook signing is on.
const (
	HeaderSignature = "X-Webhook-Signature"
	HeaderTimestamp = "X-Webhook-Timestamp"
)

// Options configure a Receiver.
type Options struct {
	// RouteSecret keys the per-booking routing token (required; the worker uses the same).
	RouteSecret []byte
	// SigningSecret, when set, makes X-Webhook-Signature mandatory.
	SigningSecret []byte
	// Updater, when set, is tried first: a webhook goes to the workflow as
	// the charge_changed update, which the workflow may reject as carrying
	// nothing new (then nothing is written to its history). Signaler is the
	// fallback when the update cannot be delivered. nil = signals only.
	Updater Updater
	// Signaler delivers the signal (required).
	Signaler Signaler
	Logger   *slog.Logger          // nil = discard
	Metrics  client.MetricsHandler // nil = none
	// MaxBodyBytes bounds a webhook body (0 = 64 KiB).
	MaxBodyBytes int64
	// SignalTimeout bounds the signal call to Temporal (0 = 10 s; A55 waits 30 s).
	SignalTimeout time.Duration
	// UpdateTimeout bounds the update, the wait for the workflow's answer
	// included, before falling back to the signal (0 = 5 s). With an Updater,
	// UpdateTimeout + SignalTimeout must not exceed MaxDeliveryTime.
	UpdateTimeout time.Duration
	// SignatureTolerance is the accepted clock skew of X-Webhook-Timestamp (0 = 5 min).
	SignatureTolerance time.Duration
	// Health reports whether Temporal is reachable, for GET /healthz (nil = always healthy).
	Health func(context.Context) error
	// Now is the clock (nil = time.Now).
	Now func() time.Time
	// Reconcile asks for a reconciliation run now (the worker's schedule,
	// see package reconcile). It is called when a webhook says a charge is
	// live (authorized, pending, confirmed) while its booking's workflow is
	// closed: money nobody owns, e.g. a guest who completed 3DS after the
	// booking ended. nil = such webhooks are only logged.
	Reconcile func(context.Context) error
}

// Receiver is the http.Handler for A55 webhooks and GET /healthz.
type Receiver struct {
	opts Options
	log  *slog.Logger
	m    client.MetricsHandler
	mux  *http.ServeMux
}

// NewReceiver checks the options and returns the handler.
func NewReceiver(opts Options) (*Receiver, error) {
	if len(opts.RouteSecret) == 0 {
		return nil, errors.New("webhook: RouteSecret is required")
	}
	if opts.Signaler == nil {
		return nil, errors.New("webhook: Signaler is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.SignalTimeout <= 0 {
		opts.SignalTimeout = DefaultSignalTimeout
	}
	if opts.UpdateTimeout <= 0 {
		opts.UpdateTimeout = DefaultUpdateTimeout
	}
	if opts.Updater != nil {
		if err := CheckDeliveryTime(opts.UpdateTimeout, opts.SignalTimeout); err != nil {
			return nil, fmt.Errorf("webhook: UpdateTimeout + SignalTimeout: %w", err)
		}
	}
	if opts.SignatureTolerance <= 0 {
		opts.SignatureTolerance = DefaultSignatureTolerance
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := opts.Metrics
	if m == nil {
		m = client.MetricsNopHandler
	}
	rc := &Receiver{opts: opts, log: log, m: m, mux: http.NewServeMux()}
	rc.mux.HandleFunc("GET /healthz", rc.serveHealth) // and HEAD
	rc.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, "method not allowed")
	})
	rc.mux.HandleFunc("POST "+PathPrefix+"{workflow_id}", rc.serveWebhook)
	rc.mux.HandleFunc(PathPrefix, rc.serveNotWebhook)
	rc.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusNotFound, "not found") })
	return rc, nil
}

// Payload is the part of A55's webhook body the receiver reads; other fields
// are ignored (A55 adds fields over time).
type Payload struct {
	ChargeUUID           string `json:"charge_uuid"`
	Status               string `json:"status"`
	TransactionReference string `json:"transaction_reference"`
}

// ServeHTTP routes GET /healthz and POST PathPrefix<workflow id>.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mux.ServeHTTP(w, r)
}

func (rc *Receiver) serveHealth(w http.ResponseWriter, r *http.Request) {
	if rc.opts.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := rc.opts.Health(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, "temporal unavailable")
			return
		}
	}
	writeJSON(w, http.StatusOK, "ok")
}

// reject answers a permanent (4xx) refusal: A55 does not retry those.
func (rc *Receiver) reject(w http.ResponseWriter, status int, reason, msg string, attrs ...any) {
	rc.m.WithTags(map[string]string{metrics.TagReason: reason}).Counter(metrics.WebhooksRejected).Inc(1)
	rc.log.Warn("webhook rejected", append([]any{"reason", reason, "http_status", status}, attrs...)...)
	writeJSON(w, status, msg)
}

// serveNotWebhook answers what reaches PathPrefix but not as POST
// PathPrefix<workflow id>: another method, or no single path segment after
// the prefix.
func (rc *Receiver) serveNotWebhook(w http.ResponseWriter, r *http.Request) {
	rc.m.Counter(metrics.WebhooksReceived).Inc(1)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rc.reject(w, http.StatusMethodNotAllowed, "method", "only POST is allowed")
		return
	}
	rc.reject(w, http.StatusNotFound, "unknown_route", "unknown webhook route")
}

func (rc *Receiver) serveWebhook(w http.ResponseWriter, r *http.Request) {
	rc.m.Counter(metrics.WebhooksReceived).Inc(1)
	workflowID := r.PathValue("workflow_id")
	if !workflows.IsBookingWorkflowID(workflowID) {
		rc.reject(w, http.StatusNotFound, "unknown_route", "unknown webhook route")
		return
	}
	if !ValidToken(rc.opts.RouteSecret, workflowID, r.URL.Query().Get("token")) {
		rc.reject(w, http.StatusUnauthorized, "token", "missing or invalid token", "workflow_id", workflowID)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		rc.reject(w, http.StatusUnsupportedMediaType, "content_type", "Content-Type must be application/json", "workflow_id", workflowID)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rc.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			rc.reject(w, http.StatusRequestEntityTooLarge, "body_size", fmt.Sprintf("body exceeds %d bytes", rc.opts.MaxBodyBytes), "workflow_id", workflowID)
			return
		}
		rc.reject(w, http.StatusBadRequest, "body_read", "could not read body", "workflow_id", workflowID)
		return
	}
	if len(rc.opts.SigningSecret) > 0 {
		if reason := rc.checkSignature(r.Header, body); reason != "" {
			rc.reject(w, http.StatusUnauthorized, "signature", "invalid signature: "+reason, "workflow_id", workflowID)
			return
		}
	}
	p, err := decodePayload(body)
	if err != nil {
		rc.reject(w, http.StatusBadRequest, "payload", err.Error(), "workflow_id", workflowID)
		return
	}

	rc.deliver(r.Context(), w, workflowID, workflows.ChargeChangedSignal{ChargeUUID: p.ChargeUUID, Status: p.Status})
}

// Delivery outcomes (metrics.TagResult of metrics.WebhooksSignalled).
const (
	resultUpdated             = "updated"
	resultIgnored             = "ignored"
	resultSignalled           = "signalled"
	resultSignalledAsFallback = "signalled_fallback"
	resultWorkflowClosed      = "workflow_closed"
	resultReconcile           = "reconciliation_asked"
	resultUnavailable         = "temporal_unavailable"
)

// deliver hands the webhook to the workflow and answers A55: 2xx once the
// workflow has it, has turned it away as nothing new, or is gone; 5xx (A55
// retries) only when Temporal took neither the update nor the signal.
func (rc *Receiver) deliver(reqCtx context.Context, w http.ResponseWriter, workflowID string, arg workflows.ChargeChangedSignal) {
	attrs := []any{"workflow_id", workflowID, "charge_uuid", arg.ChargeUUID, "a55_status", arg.Status}
	fallback := false
	if rc.opts.Updater != nil {
		err := rc.update(reqCtx, workflowID, arg)
		var appErr *temporal.ApplicationError
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			rc.count(resultUpdated)
			rc.log.Info("webhook delivered as an update", attrs...)
			writeJSON(w, http.StatusOK, "accepted")
			return
		case errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeWebhookIgnored:
			// The workflow already knows what this webhook says (a repeat,
			// a status its own call already returned): nothing to record.
			rc.count(resultIgnored)
			rc.log.Info("webhook ignored by the workflow", append(attrs, "why", appErr.Message())...)
			writeJSON(w, http.StatusOK, "nothing new")
			return
		case errors.As(err, &notFound):
			rc.closed(reqCtx, w, arg, attrs, err)
			return
		}
		// No worker answered in time, an older worker without the update,
		// Temporal unreachable...: a signal is durable once Temporal takes it.
		fallback = true
		rc.log.Warn("webhook update not delivered, falling back to the signal", append(attrs, "error", err.Error())...)
	}

	ctx, cancel := context.WithTimeout(reqCtx, rc.opts.SignalTimeout)
	defer cancel()
	err := rc.opts.Signaler.SignalWorkflow(ctx, workflowID, "", workflows.SignalChargeChanged, arg)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		if fallback {
			rc.count(resultSignalledAsFallback)
		} else {
			rc.count(resultSignalled)
		}
		rc.log.Info("webhook signalled", attrs...)
		writeJSON(w, http.StatusOK, "accepted")
	case errors.As(err, &notFound):
		rc.closed(reqCtx, w, arg, attrs, err)
	default:
		// Temporal did not take the signal: 5xx so A55 retries.
		rc.count(resultUnavailable)
		rc.log.Error("webhook not signalled", append(attrs, "error", err.Error())...)
		writeJSON(w, http.StatusServiceUnavailable, "temporarily unavailable, retry")
	}
}

// update sends the charge_changed update and waits for the workflow's answer.
func (rc *Receiver) update(reqCtx context.Context, workflowID string, arg workflows.ChargeChangedSignal) error {
	ctx, cancel := context.WithTimeout(reqCtx, rc.opts.UpdateTimeout)
	defer cancel()
	handle, err := rc.opts.Updater.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   workflows.UpdateChargeChanged,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return handle.Get(ctx, nil)
}

// closed answers a webhook for a workflow that is over (or never existed):
// nothing will ever consume it, so A55 must stop retrying.
func (rc *Receiver) closed(ctx context.Context, w http.ResponseWriter, arg workflows.ChargeChangedSignal, attrs []any, err error) {
	rc.log.Warn("webhook for a finished or unknown workflow", append(attrs, "error", err.Error())...)
	if !liveStatus(arg.Status) || rc.opts.Reconcile == nil {
		rc.count(resultWorkflowClosed)
		writeJSON(w, http.StatusOK, "workflow already completed")
		return
	}
	// A live charge whose booking has no open workflow: nobody will capture
	// or release it. Hand it to the reconciliation, and let A55 deliver the
	// webhook again if that cannot be asked now.
	tctx, cancel := context.WithTimeout(ctx, rc.opts.SignalTimeout)
	defer cancel()
	if rerr := rc.opts.Reconcile(tctx); rerr != nil {
		rc.count(resultUnavailable)
		rc.log.Error("a live charge without an open workflow, and the reconciliation could not be asked", append(attrs, "error", rerr.Error())...)
		writeJSON(w, http.StatusServiceUnavailable, "temporarily unavailable")
		return
	}
	rc.count(resultReconcile)
	rc.log.Warn("a live charge without an open workflow: reconciliation asked", attrs...)
	writeJSON(w, http.StatusOK, "reconciliation asked")
}

// liveStatus: A55 may still hold money for a charge in this status.
func liveStatus(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "authorized", "pending", "confirmed":
		return true
	}
	return false
}

func (rc *Receiver) count(result string) {
	rc.m.WithTags(map[string]string{metrics.TagResult: result}).Counter(metrics.WebhooksSignalled).Inc(1)
}

// checkSignature verifies X-Webhook-Signature = hex HMAC-SHA256(secret,
// "<X-Webhook-Timestamp>.<raw body>") (optionally prefixed "sha256="), with
// the timestamp in unix seconds within the tolerance. It returns why not.
func (rc *Receiver) checkSignature(h http.Header, body []byte) string {
	ts := h.Get(HeaderTimestamp)
	sig := strings.TrimPrefix(h.Get(HeaderSignature), "sha256=")
	if ts == "" || sig == "" {
		return "missing " + HeaderSignature + " or " + HeaderTimestamp
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "malformed timestamp"
	}
	skew := rc.opts.Now().Sub(time.Unix(secs, 0))
	if skew < 0 {
		skew = -skew
	}
	if skew > rc.opts.SignatureTolerance {
		return "stale timestamp"
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return "malformed signature"
	}
	if !hmac.Equal(got, Sign(rc.opts.SigningSecret, ts, body)) {
		return "signature mismatch"
	}
	return ""
}

// Sign computes the raw HMAC of "<timestamp>.<body>" (for tests and for the sandbox).
func Sign(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

func decodePayload(body []byte) (Payload, error) {
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field == "" { // an array, string or number where the object belongs
				return Payload{}, errors.New("body must be a JSON object")
			}
			return Payload{}, fmt.Errorf("field %s must be a %s", typeErr.Field, typeErr.Type)
		}
		return Payload{}, errors.New("body is not valid JSON")
	}
	if dec.More() {
		return Payload{}, errors.New("body must be a single JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Payload{}, errors.New("body must be a single JSON object")
	}
	p.ChargeUUID = strings.TrimSpace(p.ChargeUUID)
	p.Status = strings.TrimSpace(p.Status)
	if p.ChargeUUID == "" {
		return Payload{}, errors.New("charge_uuid is required")
	}
	if p.Status == "" {
		return Payload{}, errors.New("status is required")
	}
	if len(p.ChargeUUID) > 64 || !printableASCII(p.ChargeUUID) {
		return Payload{}, errors.New("charge_uuid must be at most 64 printable ASCII characters")
	}
	if len(p.Status) > 64 || !printableASCII(p.Status) {
		return Payload{}, errors.New("status must be at most 64 printable ASCII characters")
	}
	return p, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
