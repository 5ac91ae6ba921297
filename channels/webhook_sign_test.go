package channels

import (
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestWebhookSignerMatchesStandardWebhooks: the pooled signer gives the
// signature the Standard Webhooks library gives, for any id, time and
// body (long ids included, and from many goroutines at once: the keyed
// MACs are shared through a pool), so receivers verifying with the
// library accept every message.
func TestWebhookSignerMatchesStandardWebhooks(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newWebhookSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"1", "9223372036854775807", "-12", strings.Repeat("x", 200), ""}
	bodies := [][]byte{nil, []byte(`{}`), []byte(`{"text":"` + strings.Repeat("é<&>\u2028", 500) + `"}`)}
	times := []time.Time{time.Unix(0, 0), time.Unix(1_800_000_000, 999), time.Unix(-5, 0)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, id := range ids {
				for _, body := range bodies {
					for _, at := range times {
						want, err := wh.Sign(id, at, body)
						if err != nil {
							t.Error(err)
							return
						}
						if got := s.sign(id, at.Unix(), body); got != want {
							t.Errorf("sign(%.20q, %d, %d bytes) = %q, the library gives %q", id, at.Unix(), len(body), got, want)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if _, err := newWebhookSigner("whsec_not base64!"); err == nil {
		t.Fatal("a secret that is not base64 gave a signer")
	}
}
