package webhook

import (
	"net/http"
	"strings"
	"testing"
)

// A body of the wrong JSON kind is refused with a message a sender can act
// on, not with the receiver's Go type name.
func TestBodyOfTheWrongKindIsNamed(t *testing.T) {
	for _, body := range []string{`["c-1","paid"]`, `"paid"`, `42`, `true`} {
		fake := &fakeTemporal{}
		rec := post(newReceiver(t, fake, nil), hookURL("BK-1"), body, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "body must be a JSON object") {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "webhook.Payload") {
			t.Errorf("%s: the answer names a Go type: %s", body, rec.Body)
		}
		if fake.count() != 0 {
			t.Errorf("%s: signalled", body)
		}
	}
}
