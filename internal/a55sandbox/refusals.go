package a55sandbox

import "net/http"

// refusalStatuses are the 4xx answers a Fault may inject (ErrorStatuses):
// A55 refusing a call before doing any work, with the code and body shape the
// endpoint uses (injectedRefusal). Nothing is stored for the Idempotency-Key,
// so a retry with the same key runs for real.
var refusalStatuses = map[int]string{
	400: "VALIDATION_ERROR",
	401: "unauthorized",
	403: "FORBIDDEN",
	404: "CHARGE_NOT_FOUND",
	409: "CONFLICT",
	422: "VALIDATION_ERROR",
}

// refusalCodes override refusalStatuses per endpoint where A55 (or the
// sandbox itself, for the same refusal) uses another code.
var refusalCodes = map[string]map[int]string{
	"create":   {404: "errors.wallet.not_found", 409: "IDEMPOTENCY_KEY_REUSED"},
	"list":     {404: "errors.wallet.not_found"},
	"capture":  {409: "IDEMPOTENCY_KEY_REUSED"},
	"cancel":   {409: "CANCEL_NOT_ALLOWED"},
	"refund":   {409: "REFUND_NOT_ALLOWED"},
	"validate": {404: "AUTHENTICATION_NOT_PENDING", 409: "ALREADY_VALIDATED", 422: "AUTHENTICATION_EXPIRED"},
}

var refusalTexts = map[int]string{
	400: "the request is malformed or misses a required field",
	401: "unknown or expired access token; request a new one",
	403: "these credentials are not allowed on this wallet",
	404: "not found",
	409: "the request conflicts with the charge's state or an earlier request",
	422: "the request is well formed but not valid",
}

// injectedRefusal is the answer to an injected 4xx status, in the body shape
// the endpoint uses for its own refusals: RFC 6749 on the token endpoint,
// the seeds' shape for a 401 (as authenticate answers it), A55's shape A on
// cancel, refund and validate ({"charge_uuid","status":"error","message":
// [{code,source,description}]}), the seeds' shape elsewhere.
func injectedRefusal(r *http.Request, endpoint string, status int, requestID string) *response {
	text := refusalTexts[status] + " (injected sandbox fault)"
	if endpoint == "token" {
		code := map[int]string{401: "invalid_client", 403: "unauthorized_client"}[status]
		if code == "" {
			code = "invalid_request"
		}
		return jsonResponse(status, oauthError{code, text})
	}
	code := refusalCodes[endpoint][status]
	if code == "" {
		code = refusalStatuses[status]
	}
	field := map[int]string{401: "Authorization", 403: "wallet_uuid", 404: "charge_uuid"}[status]
	if status == 401 {
		resp := apiError(status, requestID, code, field, text)
		resp.header = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return resp
	}
	switch endpoint {
	case "cancel", "refund", "validate":
		source := map[string]string{"cancel": "charge", "refund": "charge", "validate": "3ds"}[endpoint]
		return shapeA(status, requestID, r.PathValue("charge_uuid"), code, source, text)
	}
	if code == "errors.wallet.not_found" {
		field = "wallet_uuid"
	}
	return apiError(status, requestID, code, field, text)
}

func isRefusalStatus(status int) bool {
	_, ok := refusalStatuses[status]
	return ok
}
