package a55client

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestNewValidatesConfig(t *testing.T) {
	_, err := New(Config{BaseURL: "ftp://x", TokenURL: "https://auth/token?x=1", Timeout: -1, Vocabulary: 7, ClientSecret: ""})
	want := []string{"BaseURL", "TokenURL", "ClientID", "ClientSecret", "Timeout", "Vocabulary"}
	if got := fieldNames(err); !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v (%v)", got, want, err)
	}
	if !IsInvalid(err) {
		t.Errorf("class = %v", ClassOf(err))
	}
	_, err = New(Config{TokenURL: "relative/path", ClientID: "id", ClientSecret: "s"})
	if got := fieldNames(err); !reflect.DeepEqual(got, []string{"BaseURL", "TokenURL"}) {
		t.Errorf("fields = %v", got)
	}
	mustNotContain(t, "New error", err.Error(), "s3cr3t")
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "https://core-manager.a55.tech/", TokenURL: "https://auth.example/oauth2/token", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://core-manager.a55.tech" || c.cfg.Timeout != DefaultTimeout || c.cfg.UserAgent != DefaultUserAgent || c.cfg.HTTPClient == nil || c.cfg.Now == nil {
		t.Errorf("defaults = %+v", c.cfg)
	}
	if d := time.Since(c.now()); d < -time.Minute || d > time.Minute {
		t.Errorf("default clock is not time.Now")
	}
}

func TestConfigFormattingMasksSecret(t *testing.T) {
	cfg := Config{BaseURL: "https://b", TokenURL: "https://t", ClientID: "id", ClientSecret: testClientSecret, HTTPClient: &http.Client{}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		s := fmt.Sprintf(verb, cfg)
		mustNotContain(t, "Config "+verb, s, testClientSecret)
		s = fmt.Sprintf(verb, &cfg)
		mustNotContain(t, "*Config "+verb, s, testClientSecret)
	}
	if s := cfg.GoString(); s != cfg.String() {
		t.Errorf("GoString differs")
	}
	want := `a55client.Config{BaseURL:"https://b" TokenURL:"https://t" ClientID:"id" ClientSecret:[redacted] Timeout:0s UserAgent:"" Vocabulary:0}`
	if cfg.String() != want {
		t.Errorf("String() = %s", cfg.String())
	}
	cfg.ClientSecret = ""
	if fmt.Sprint(cfg) == want {
		t.Errorf("empty secret shown as redacted")
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		status string
		url    string
		seeds  State
		public State
	}{
		{"authorized", "", StateAuthorized, StateAuthorized},
		{"pending", "https://3ds", StatePending3DS, StatePending3DS},
		{"pending", "", StateProcessing, StateProcessing},
		{"issued", "", StateProcessing, StateProcessing},
		{"pre_captured", "", StateCaptured, StateCaptured},
		{"confirmed", "", StateCaptured, StateAuthorized},
		{"CONFIRMED", "", StateCaptured, StateAuthorized},
		{"paid", "", StateCaptured, StateCaptured},
		{"canceled", "", StateCanceled, StateCanceled},
		{"cancelled", "", StateCanceled, StateCanceled},
		{"error", "", StateFailed, StateFailed},
		{"declined", "", StateFailed, StateFailed},
		{"failed", "", StateFailed, StateFailed},
		{"refunded", "", StateRefunded, StateRefunded},
		{"refund_error", "", StateRefundFailed, StateRefundFailed},
		{"chargeback", "", StateDisputed, StateDisputed},
		{"chargeback_won", "", StateDisputed, StateDisputed},
		{"pre_chargeback_resolution", "", StateDisputed, StateDisputed},
		{"awaiting_3ds", "", StateUnknown, StateUnknown},
		{"", "", StateUnknown, StateUnknown},
	}
	for _, tt := range tests {
		if got := MapStatus(tt.status, tt.url, VocabularySeeds); got != tt.seeds {
			t.Errorf("seeds %q = %s, want %s", tt.status, got, tt.seeds)
		}
		if got := MapStatus(tt.status, tt.url, VocabularyPublicDocs); got != tt.public {
			t.Errorf("public %q = %s, want %s", tt.status, got, tt.public)
		}
	}
}

func TestVocabularyReachesDecoding(t *testing.T) {
	f := newFake(t)
	f.reply(200, `{"charge_uuid":"c","status":"confirmed"}`)
	for v, want := range map[Vocabulary]State{VocabularySeeds: StateCaptured, VocabularyPublicDocs: StateAuthorized} {
		c := f.client(func(cfg *Config) { cfg.Vocabulary = v })
		ch, err := c.GetCharge(ctxT(t), testWallet, "c")
		if err != nil || ch.State != want {
			t.Errorf("vocabulary %d: %+v %v", v, ch, err)
		}
	}
}
