package secrets

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"sync"
	"testing"
	"time"
)

// TestCustomerTokenPooledMAC: tokens signed with the pooled MAC are the
// tokens a freshly keyed HMAC gives (the same links, accepted by
// ParseCustomerToken), from many goroutines at once.
func TestCustomerTokenPooledMAC(t *testing.T) {
	k, err := New("pooled-token-mac-secret-0123456789abcdef", "")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)
	k.SetTokenPolicy(TokenPolicy{Now: func() time.Time { return day }})
	want := func(p Purpose, id int64, epoch uint32) string {
		buf := make([]byte, payloadLenV2)
		buf[0], buf[1] = tokenV2, byte(p)
		binary.BigEndian.PutUint64(buf[2:], uint64(id))
		binary.BigEndian.PutUint32(buf[10:], epoch)
		binary.BigEndian.PutUint32(buf[14:], uint32(day.Unix()/int64(24*time.Hour/time.Second)))
		return base64.RawURLEncoding.EncodeToString(append(buf, tokenMAC(k.token[0], buf)...))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for _, p := range []Purpose{PurposeUnsubscribe, PurposePreferences} {
				for _, id := range []int64{1, int64(g) + 2, math.MaxInt64, -7} {
					for _, epoch := range []uint32{0, 3, math.MaxUint32} {
						got := k.CustomerToken(p, id, epoch)
						if w := want(p, id, epoch); got != w {
							t.Errorf("CustomerToken(%v, %d, %d) = %s, want %s", p, id, epoch, got, w)
						}
						if id <= 0 {
							continue // never parsed back: ids start at 1
						}
						if c, err := k.ParseCustomerToken(p, got); err != nil || c.CustomerID != id || c.Epoch != epoch {
							t.Errorf("ParseCustomerToken(%s) = %+v, %v", got, c, err)
						}
					}
				}
			}
		})
	}
	wg.Wait()
}
