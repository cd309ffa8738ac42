package logging

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hotelpay/a55-temporal/internal/cardnum"
)

// Redacted replaces secrets (tokens, client secrets, passwords).
const Redacted = "[REDACTED]"

// MaskedCVV replaces a card security code.
const MaskedCVV = "***"

type fieldKind int

const (
	fieldPlain fieldKind = iota
	fieldSecret
	fieldCVV
	fieldPAN
	fieldNumber // "number": masked as a PAN when it holds 12–19 digits
	fieldName
)

// sensitiveFields maps a normalised key (lower case, '-' → '_') to how its value is masked.
var sensitiveFields = map[string]fieldKind{
	"cvv": fieldCVV, "card_cvv": fieldCVV, "cvc": fieldCVV, "cvv2": fieldCVV, "security_code": fieldCVV,

	"access_token": fieldSecret, "refresh_token": fieldSecret, "id_token": fieldSecret, "token": fieldSecret,
	"client_secret": fieldSecret, "api_key": fieldSecret, "password": fieldSecret, "secret": fieldSecret,
	"authorization": fieldSecret, "webhook_secret": fieldSecret,

	"card_number": fieldPAN, "pan": fieldPAN,
	"number": fieldNumber,

	"holder_name": fieldName, "card_name": fieldName, "cardholder_name": fieldName, "card_holder_name": fieldName,
}

func kindOf(key string) fieldKind {
	return sensitiveFields[strings.ReplaceAll(strings.ToLower(key), "-", "_")]
}

// Redact masks card data and secrets in s. A string that is one JSON value is
// rewritten field by field (key order kept, stays valid JSON); anything else
// is treated as free text.
func Redact(s string) string {
	if trimmed := strings.TrimSpace(s); json.Valid([]byte(trimmed)) {
		if out, err := RedactJSON([]byte(trimmed)); err == nil {
			return string(out)
		}
	}
	return redactText(s)
}

// redactString masks a JSON string value: nested JSON objects and arrays
// (a request body quoted in a message) field by field, anything else as text.
func redactString(s string) string {
	if trimmed := strings.TrimSpace(s); len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if out, err := RedactJSON([]byte(trimmed)); err == nil {
			return string(out)
		}
	}
	return redactText(s)
}

// RedactJSON rewrites one JSON value with card data and secrets masked,
// keeping key order. It fails on anything that is not exactly one JSON value.
func RedactJSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	if err := copyRedacted(dec, &out, fieldPlain); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailingData
	}
	return out.Bytes(), nil
}

type redactError string

func (e redactError) Error() string { return string(e) }

const errTrailingData = redactError("logging: trailing data after JSON value")

// copyRedacted copies the next JSON value from dec to out; kind is how the key
// that holds this value is classified.
func copyRedacted(dec *json.Decoder, out *bytes.Buffer, kind fieldKind) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for i := 0; dec.More(); i++ {
				keyTok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := keyTok.(string)
				if i > 0 {
					out.WriteByte(',')
				}
				writeJSONString(out, key)
				out.WriteByte(':')
				if err := copyRedacted(dec, out, kindOf(key)); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := copyRedacted(dec, out, kind); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			out.WriteByte(']')
		}
	case string:
		writeJSONString(out, redactScalar(kind, t))
	case json.Number:
		s := t.String()
		if masked := redactScalar(kind, s); masked != s {
			writeJSONString(out, masked)
		} else {
			out.WriteString(s)
		}
	case bool:
		if kind == fieldSecret || kind == fieldCVV {
			writeJSONString(out, maskFor(kind))
		} else if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	}
	return nil
}

func maskFor(kind fieldKind) string {
	if kind == fieldCVV {
		return MaskedCVV
	}
	return Redacted
}

// redactScalar masks one string or number value held by a key of the given kind.
func redactScalar(kind fieldKind, v string) string {
	switch kind {
	case fieldSecret, fieldCVV:
		if v == "" {
			return v
		}
		return maskFor(kind)
	case fieldPAN:
		if v == "" {
			return v
		}
		return MaskPAN(v)
	case fieldNumber:
		if d := digitsOnly(v); len(d) >= 12 && len(d) <= 19 && len(d) == len(cardnum.Digits(v)) {
			return MaskPAN(v)
		}
	case fieldName:
		return MaskName(v)
	}
	return redactString(v)
}

func writeJSONString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a Go string always encodes
	out.Truncate(out.Len() - 1) // Encode appends '\n'
}

// MaskPAN keeps the first six and last four digits of a card number
// ("411111******1111"); see cardnum.MaskPAN.
func MaskPAN(s string) string { return cardnum.MaskPAN(s) }

// MaskName keeps the first letter of each word ("John Doe" → "J*** D**").
func MaskName(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune(r)
			start = true
		case start:
			b.WriteRune(r)
			start = false
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Luhn reports whether digits (only '0'–'9') pass the Luhn check.
func Luhn(digits string) bool { return cardnum.Luhn(digits) }

var (
	// "Bearer xxx" / "Basic xxx" anywhere (Authorization headers, error strings).
	authSchemeRE = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+`)
	// key=value, key: value and "key":"value" (also JSON escaped inside a string) for secrets and CVVs.
	secretKVRE = regexp.MustCompile(`(?i)(access_token|refresh_token|id_token|client_secret|api_key|password|token|cvv2?|card_cvv|cvc|security_code)(\\*"?\s*[=:]\s*\\*"?)([^&\s"\\,;}\]]+)`)
	// holder names: quoted values to the closing quote, unquoted ones to a separator.
	nameQuotedRE   = regexp.MustCompile(`(?i)\b(holder_name|card_name|cardholder_name)(\\*"?\s*[=:]\s*\\*")([^"\\]*)`)
	nameUnquotedRE = regexp.MustCompile(`(?i)\b(holder_name|card_name|cardholder_name)(\s*[=:]\s*)([^"\\&,;}\]\n][^"\\&,;}\]\n]*)`)
)

func redactText(s string) string {
	s = authSchemeRE.ReplaceAllString(s, "${1}${2}"+Redacted)
	s = secretKVRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretKVRE.FindStringSubmatch(m)
		mask := Redacted
		switch strings.ToLower(sub[1]) {
		case "cvv", "cvv2", "card_cvv", "cvc", "security_code":
			mask = MaskedCVV
		}
		return sub[1] + sub[2] + mask
	})
	s = nameQuotedRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := nameQuotedRE.FindStringSubmatch(m)
		return sub[1] + sub[2] + MaskName(sub[3])
	})
	s = nameUnquotedRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := nameUnquotedRE.FindStringSubmatch(m)
		return sub[1] + sub[2] + MaskName(sub[3])
	})
	return maskPANs(s)
}

// maskPANs replaces every run of 13–19 digits that passes Luhn. Digits may be
// grouped by single spaces or dashes ("4111 1111 1111 1111"). A digit group
// glued to a letter (hex ids, UUIDs) is never part of a PAN; a longer run of
// groups is searched for a PAN that starts and ends on group boundaries.
func maskPANs(s string) string {
	type group struct{ start, end int } // byte offsets of a maximal digit run
	var out strings.Builder
	last := 0
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		// Collect a chain of digit groups joined by one separator each.
		var groups []group
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			groups = append(groups, group{j, k})
			if k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
				j = k + 1
				continue
			}
			break
		}
		chainEnd := groups[len(groups)-1].end
		if gluedToLetter(s, groups[0].start, true) {
			groups = groups[1:]
		}
		if len(groups) > 0 && gluedToLetter(s, groups[len(groups)-1].end, false) {
			groups = groups[:len(groups)-1]
		}
		for a := 0; a < len(groups); {
			matched := false
			for b := len(groups) - 1; b >= a; b-- {
				d := digitsOnly(s[groups[a].start:groups[b].end])
				if len(d) >= 13 && len(d) <= 19 && Luhn(d) {
					out.WriteString(s[last:groups[a].start])
					out.WriteString(MaskPAN(d))
					last = groups[b].end
					a = b + 1
					matched = true
					break
				}
			}
			if !matched {
				a++
			}
		}
		i = chainEnd
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// gluedToLetter reports whether the digit run starting (before=true) or ending
// at pos touches a letter. A letter after a backslash is a JSON escape ("\n").
func gluedToLetter(s string, pos int, before bool) bool {
	if before {
		if pos == 0 {
			return false
		}
		r, size := utf8.DecodeLastRuneInString(s[:pos])
		if !unicode.IsLetter(r) {
			return false
		}
		return !(pos-size > 0 && s[pos-size-1] == '\\')
	}
	if pos >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[pos:])
	return unicode.IsLetter(r)
}
