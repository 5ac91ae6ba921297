package seed

import (
	"errors"
	"slices"
	"testing"
)

func TestInOrderHandsEveryValueOverInOrder(t *testing.T) {
	tests := []struct {
		name       string
		n, workers int
	}{
		{"nothing to make calls nothing", 0, 4},
		{"one worker makes them in turn", 1500, 1},
		{"fewer than a chunk are made in turn", 100, 4},
		{"many chunks on many workers arrive in order", 10*inOrderChunk + 7, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			err := inOrder(tt.n, tt.workers, func(i int) int { return i * i }, func(v int) error {
				got = append(got, v)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []int{}
			for i := range tt.n {
				want = append(want, i*i)
			}
			if len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
				t.Errorf("got %d values, want %d in order", len(got), len(want))
			}
		})
	}
	t.Run("the first error stops the hand-over and is returned", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := inOrder(20*inOrderChunk, 4, func(i int) int { return i }, func(v int) error {
			calls++
			if v == 3*inOrderChunk+1 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 3*inOrderChunk+2 {
			t.Errorf("err = %v after %d calls, want stop after %d", err, calls, 3*inOrderChunk+2)
		}
	})
}
