package worker

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/candor/candor/models"
)

// batchCall is what a send task asked of the engine.
type batchCall struct {
	ch  models.Channel
	ids []int64
}

type recordingSender struct{ calls []batchCall }

func (r *recordingSender) SendChannelBatch(_ context.Context, ch models.Channel, ids []int64) error {
	r.calls = append(r.calls, batchCall{ch, ids})
	return nil
}

func TestSendTaskPayloads(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    []batchCall
		skip    bool // not retried
	}{
		{name: "a task names its channel", payload: `{"ids":[1,2],"channel":"sms"}`,
			want: []batchCall{{models.ChannelSMS, []int64{1, 2}}}},
		{name: "a task handed on before tasks named their channel has none",
			payload: `{"ids":[3]}`, want: []batchCall{{"", []int64{3}}}},
		{name: "a payload that is not JSON is never retried", payload: `{"ids":`, skip: true},
		{name: "a payload without ids is never retried", payload: `{"channel":"email"}`, skip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &Worker{mux: asynq.NewServeMux()}
			rec := &recordingSender{}
			w.HandleSend(rec)
			err := w.mux.ProcessTask(context.Background(), asynq.NewTask(TaskSend, []byte(tt.payload)))
			if tt.skip != errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("error %v, want SkipRetry: %v", err, tt.skip)
			}
			if diff := cmp.Diff(tt.want, rec.calls, cmp.AllowUnexported(batchCall{})); diff != "" {
				t.Errorf("engine calls (-want +got):\n%s", diff)
			}
		})
	}
}
