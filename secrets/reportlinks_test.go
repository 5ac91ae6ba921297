package secrets_test

import (
	"encoding/base64"
	"encoding/binary"
	"testing"
	"time"

	"github.com/candor/candor/secrets"
)

func TestReportLinkTokens(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	k := mustKeys(t, secretA, "")
	tok := k.ReportLinkToken("/reports/trust?from=2026-01-01", now.Add(time.Hour))
	tests := []struct {
		name  string
		keys  *secrets.Keys
		scope string
		tok   string
		at    time.Time
		want  bool
	}{
		{"a token opens its page until it expires", k, "/reports/trust?from=2026-01-01", tok, now, true},
		{"a token opens no other page", k, "/reports/trust?from=2025-01-01", tok, now, false},
		{"a token is refused at its expiry", k, "/reports/trust?from=2026-01-01", tok, now.Add(time.Hour), false},
		{"a token of another secret is refused", mustKeys(t, secretB, ""), "/reports/trust?from=2026-01-01", tok, now, false},
		{"a token still opens its page during a rotation", mustKeys(t, secretB, secretA), "/reports/trust?from=2026-01-01", tok, now, true},
		{"a customer token is no report link", k, "/reports/trust", k.CustomerToken(secrets.PurposePreferences, 1, 0), now, false},
		{"garbage is refused", k, "/reports/trust", "%%%", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.keys.VerifyReportLinkToken(tt.scope, tt.tok, tt.at); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("a token with its expiry moved later is refused", func(t *testing.T) {
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		binary.BigEndian.PutUint64(raw, uint64(now.Add(48*time.Hour).Unix())) // a later expiry, the same MAC
		forged := base64.RawURLEncoding.EncodeToString(raw)
		if k.VerifyReportLinkToken("/reports/trust?from=2026-01-01", forged, now.Add(2*time.Hour)) {
			t.Error("a token whose expiry was changed verifies")
		}
	})
}
