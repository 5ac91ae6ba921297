package worker

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func TestEveryTaskRunsInASpanNamedAfterItsType(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	tests := []struct {
		name   string
		err    error
		status codes.Code
	}{
		{"a task that succeeds", nil, codes.Unset},
		{"a task that fails records its error", errors.New("smtp down"), codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inner context.Context
			h := traceTasks(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error { inner = ctx; return tt.err }))
			if err := h.ProcessTask(context.Background(), asynq.NewTask(TaskSend, []byte(`{"ids":[1]}`))); !errors.Is(err, tt.err) {
				t.Fatalf("ProcessTask = %v, want %v", err, tt.err)
			}
			ended := rec.Ended()
			s := ended[len(ended)-1]
			if s.Name() != "task "+TaskSend || s.Status().Code != tt.status {
				t.Errorf("span %q status %v, want %q and %v", s.Name(), s.Status().Code, "task "+TaskSend, tt.status)
			}
			for _, kv := range s.Attributes() {
				if kv.Value.Emit() == `{"ids":[1]}` {
					t.Error("the span holds the task's payload")
				}
			}
			// The handler's own spans (statements, sends) are children.
			if got := sdktraceSpanID(inner); got != s.SpanContext().SpanID().String() {
				t.Errorf("the handler runs under span %s, want the task's %s", got, s.SpanContext().SpanID())
			}
		})
	}
}

func sdktraceSpanID(ctx context.Context) string {
	return trace.SpanContextFromContext(ctx).SpanID().String()
}
