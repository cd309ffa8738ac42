package a55sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// settleChallengeLocked finishes a pending 3DS challenge: approved → the
// capture flag decides authorized or confirmed; failed → error.
func (s *Sandbox) settleChallengeLocked(c *charge, approve bool, via string) {
	c.challengeDone = true
	c.calls.Validate++
	if approve {
		c.eci, c.authStatus = "05", "success"
		b := make([]byte, 20)
		rand.Read(b)
		c.cavv = base64.StdEncoding.EncodeToString(b)
		s.approveLocked(c, "3DS challenge passed ("+via+")")
		return
	}
	c.authStatus = "failed"
	c.eci = "07"
	c.code, c.message = "error_threeds_authentication", "3DS authentication failed"
	c.released = c.authorized
	s.setStatusLocked(c, StatusError, "3DS challenge failed ("+via+")")
}

// handleValidate is POST /api/v1/bank/public/charge/authentication/{uuid}/validate {transaction_id}.
// Transaction ids starting with "fail" fail authentication; others pass.
func (s *Sandbox) handleValidate(q *apiRequest) *response {
	f, bad := q.form(false)
	if bad != nil {
		return bad
	}
	txID := f.str("transaction_id", true)
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := q.r.PathValue("charge_uuid")
	c, ok := s.charges[id]
	if !ok {
		return apiError(http.StatusNotFound, q.requestID, "CHARGE_NOT_FOUND", "uuid", "charge uuid "+id+" not found")
	}
	s.applyTimersLocked(c, s.now())
	switch {
	case !c.challenged:
		return apiError(http.StatusNotFound, q.requestID, "AUTHENTICATION_NOT_PENDING", "uuid", "charge has no 3DS authentication pending")
	case c.challengeDone:
		return shapeA(http.StatusConflict, q.requestID, c.uuid, "ALREADY_VALIDATED", "3ds", "3DS authentication was already completed for this charge")
	case c.status != StatusPending:
		return apiError(http.StatusUnprocessableEntity, q.requestID, "AUTHENTICATION_EXPIRED", "uuid", "the 3DS authentication session is over: the charge is "+s.apiStatus(c, c.status))
	}
	s.settleChallengeLocked(c, !strings.HasPrefix(strings.ToLower(txID), "fail"), "validate")
	body := map[string]any{
		"charge_uuid": c.uuid,
		"status":      s.apiStatus(c, c.status),
		"eci":         c.eci,
		"cavv":        c.cavv,
		"message":     nil,
	}
	if c.status == StatusError {
		body["authentication_status"] = "failed"
		body["code"] = c.code
		body["message"] = []map[string]string{{"code": c.code, "source": "3ds", "description": c.message, "message": c.message}}
	} else {
		body["authentication_status"] = "authenticated"
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.chargeUUID = c.uuid
	return resp
}

var challengeTemplate = template.Must(template.New("challenge").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>A55 sandbox 3DS challenge</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}button{font-size:1.1em;margin-right:1em;padding:.5em 1.5em}</style>
</head>
<body>
<h1>3D Secure (sandbox)</h1>
{{if .Pending}}
<p>Charge <code>{{.UUID}}</code>: {{.Amount}} {{.Currency}}, card ending {{.Last4}}.</p>
<p>This page stands in for the issuer's challenge. Choose the card holder's answer.</p>
<form method="post">
<button type="submit" name="action" value="approve" id="approve">Approve</button>
<button type="submit" name="action" value="fail" id="fail">Fail</button>
</form>
{{else}}
<p id="result" data-status="{{.Status}}">Authentication {{if .Approved}}succeeded{{else}}did not succeed{{end}}. Charge status: <strong>{{.Status}}</strong>.</p>
{{if .RedirectURL}}<p>Returning to the merchant in 3 seconds&hellip;</p>{{end}}
<script>
(function () {
  var msg = {event: '3ds-auth-complete', chargeUuid: {{.UUID}}};
  if (window.parent && window.parent !== window) { window.parent.postMessage(msg, '*'); }
  if (window.opener) { window.opener.postMessage(msg, '*'); }
  var redirect = {{.RedirectURL}};
  if (redirect) { setTimeout(function () { window.location.href = redirect; }, 3000); }
})();
</script>
{{end}}
</body>
</html>
`))

type challengePage struct {
	UUID, Currency, Amount, Last4, Status, RedirectURL string
	Pending, Approved                                  bool
}

// serveChallenge is the page behind url_3ds: GET shows Approve / Fail; POST
// action=approve|fail settles the charge and answers with the page that
// posts 3ds-auth-complete to the opener / parent window.
func (s *Sandbox) serveChallenge(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.charges[r.PathValue("charge_uuid")]
	if !ok || !c.challenged {
		s.mu.Unlock()
		http.Error(w, "no 3DS challenge for this charge", http.StatusNotFound)
		return
	}
	s.applyTimersLocked(c, s.now())
	status := http.StatusOK
	if r.Method == http.MethodPost {
		action := r.PostFormValue("action")
		switch {
		case action != "approve" && action != "fail":
			s.mu.Unlock()
			http.Error(w, "action must be approve or fail", http.StatusBadRequest)
			return
		case c.status != StatusPending:
			status = http.StatusConflict
		default:
			s.settleChallengeLocked(c, action == "approve", "challenge page")
		}
	}
	page := challengePage{
		UUID: c.uuid, Currency: c.currency, Amount: formatDecimal(c.authorized, c.exp), Last4: c.cardLast4,
		Status: s.apiStatus(c, c.status), RedirectURL: c.redirectURL,
		Pending:  c.status == StatusPending,
		Approved: c.status == StatusAuthorized || c.status == StatusConfirmed || c.status == StatusPaid,
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	challengeTemplate.Execute(w, page)
}

// CompleteChallenge answers a pending 3DS challenge as the card holder would
// on the url_3ds page (approve or fail), for tests that have no browser.
func (s *Sandbox) CompleteChallenge(chargeUUID string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.charges[chargeUUID]
	if !ok {
		return fmt.Errorf("a55sandbox: no charge %s", chargeUUID)
	}
	s.applyTimersLocked(c, s.now())
	if !c.challenged || c.status != StatusPending {
		return fmt.Errorf("a55sandbox: charge %s has no pending challenge (status %s)", chargeUUID, c.status)
	}
	s.settleChallengeLocked(c, approve, "CompleteChallenge")
	return nil
}
