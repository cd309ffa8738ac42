package security

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// The card data of this package's bookings: distinctive, so that finding any
// of it anywhere is a leak, not a coincidence.
const (
	pan3DS          = "4000000000000101" // sandbox: 3DS challenge
	panFrictionless = "4111111111111111" // sandbox: approved
	panDeclined     = "4000000000000002" // sandbox: CARD_DECLINED
	panReplacement  = "5500000000000004" // sandbox: approved (a replace_hold's card)
	cardCVV         = "739"
	holderName      = "Zacharias Quintero"
	// payerName is personal data, not card data: the codec server may show
	// it to an operator, but no raw history, search attribute or log may.
	payerName = "Ximena Valderrama"
)

var usedPANs = []string{pan3DS, panFrictionless, panDeclined, panReplacement}

// panForms are the ways a card number could be written out.
func panForms(pan string) []string {
	groups := []string{pan[0:4], pan[4:8], pan[8:12], pan[12:16]}
	return []string{pan, strings.Join(groups, " "), strings.Join(groups, "-")}
}

// lastEight matches a card's last eight digits as a number of its own (not
// inside a longer run of digits such as a nanosecond timestamp).
func lastEight(pan string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^0-9])` + pan[len(pan)-8:] + `([^0-9]|$)`)
}

// cvvField matches the CVV written as the value of a card-code field, in
// JSON, logfmt or Go's %+v.
var cvvField = regexp.MustCompile(`(?i)(cvv2?|cvc|security_?code|card_?cvv)\\?["']?\s*[:=]\s*\\?["']?` + cardCVV + `\b`)

// cardLeaks lists the card data (and payer name) found in text. strict also
// counts the CVV as a quoted JSON string ("739") anywhere; leave it off for
// protojson, which quotes every int64 (a history size of 739 bytes is no leak).
func cardLeaks(text string, strict bool) []string {
	var found []string
	for _, pan := range usedPANs {
		for _, form := range panForms(pan) {
			if strings.Contains(text, form) {
				found = append(found, "card number "+form)
			}
		}
		if lastEight(pan).MatchString(text) {
			found = append(found, "last 8 digits of "+pan)
		}
	}
	lower := strings.ToLower(text)
	if strings.Contains(lower, strings.ToLower(holderName)) {
		found = append(found, "card holder name")
	}
	if strings.Contains(lower, strings.ToLower(payerName)) {
		found = append(found, "payer name")
	}
	if cvvField.MatchString(text) {
		found = append(found, "CVV as a field value")
	}
	if strict && (text == cardCVV || strings.Contains(text, `"`+cardCVV+`"`)) {
		found = append(found, "CVV as a JSON string")
	}
	return found
}

// protoLeaks looks for card data in a Temporal API message two ways: in its
// protojson form (what `temporal workflow show --output json` prints) and in
// every string and bytes field, raw (payload data is bytes: protojson would
// show it only as base64).
func protoLeaks(m proto.Message) []string {
	found := map[string]bool{}
	text, err := protojson.Marshal(m)
	if err != nil {
		return []string{"protojson: " + err.Error()}
	}
	for _, l := range cardLeaks(string(text), false) {
		found[l+" (protojson)"] = true
	}
	for _, s := range protoStrings(m) {
		for _, l := range cardLeaks(s, true) {
			found[l] = true
		}
	}
	return sortedKeys(found)
}

// protoStrings collects every string and bytes value of m, recursively (map
// keys included).
func protoStrings(m proto.Message) []string {
	var out []string
	var walk func(protoreflect.Message)
	visit := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
		switch fd.Kind() {
		case protoreflect.StringKind:
			out = append(out, v.String())
		case protoreflect.BytesKind:
			out = append(out, string(v.Bytes()))
		case protoreflect.MessageKind, protoreflect.GroupKind:
			walk(v.Message())
		}
	}
	walk = func(msg protoreflect.Message) {
		msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList():
				for l, i := v.List(), 0; i < l.Len(); i++ {
					visit(fd, l.Get(i))
				}
			case fd.IsMap():
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					out = append(out, k.String())
					visit(fd.MapValue(), mv)
					return true
				})
			default:
				visit(fd, v)
			}
			return true
		})
	}
	walk(m.ProtoReflect())
	return out
}

// secretValues are the stack's secrets as they would appear in a log line.
func secretValues() map[string]string {
	s := map[string]string{
		"A55 client secret":    stack.SandboxClientSecret,
		"webhook route secret": env.secrets[stack.EnvWebhookRouteSecret],
		"webhook signing key":  env.secrets[stack.EnvWebhookSigningSecret],
		"codec auth token":     env.secrets[stack.EnvCodecAuthToken],
	}
	if b, err := os.ReadFile(env.Proj.PayloadKeyFile()); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if kid, key, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && !strings.HasPrefix(kid, "#") && key != "" {
				s["payload key "+kid] = key
			}
		}
	}
	return s
}

// accessToken matches the sandbox's OAuth access tokens ("sbx_" + 43 base64url
// characters) and any bearer credential written out.
var accessToken = regexp.MustCompile(`sbx_[A-Za-z0-9_-]{20,}|(?i)bearer\s+[A-Za-z0-9._~+/-]{16,}`)

// logLeaks lists what one log text leaks: card data, secrets, access tokens.
func logLeaks(text string, secrets map[string]string) []string {
	found := cardLeaks(text, true)
	for name, v := range secrets {
		if v != "" && strings.Contains(text, v) {
			found = append(found, name)
		}
	}
	if m := accessToken.FindString(text); m != "" {
		found = append(found, "an access token ("+m[:min(len(m), 10)]+"…)")
	}
	return found
}

// logFiles are the logs of the processes that handle card data or secrets
// (the worker, the receiver, the codec server, every bookingctl run) and of
// the Temporal dev server, which must only ever have seen ciphertext. The
// sandbox plays A55 and is not ours: its log is left out.
func logFiles() []string {
	return []string{
		filepath.Join(logDir(), "temporal.log"),
		filepath.Join(logDir(), stack.BinWorker+".log"),
		filepath.Join(logDir(), stack.BinReceiver+".log"),
		filepath.Join(logDir(), stack.BinCodec+".log"),
		filepath.Join(logDir(), "bookingctl.log"),
	}
}

// scanLogs checks every line of every log file; it returns one entry per
// leaking line (file:line: what).
func scanLogs() []string {
	secrets := secretValues()
	var leaks []string
	for _, f := range logFiles() {
		b, err := os.ReadFile(f)
		if err != nil {
			leaks = append(leaks, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			if l := logLeaks(line, secrets); len(l) > 0 {
				leaks = append(leaks, fmt.Sprintf("%s:%d: %s in %.300s", filepath.Base(f), i+1, strings.Join(l, ", "), line))
			}
		}
	}
	return leaks
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
