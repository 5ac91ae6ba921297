package worker

import (
	"context"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// traceTasks runs each task inside a consumer span named after its type,
// so the statements and sends of a task (their spans are its children)
// show up together. Only the type, id and retry count are recorded: the
// payload may carry customer data. With tracing off the tracer is a no-op.
func traceTasks(next asynq.Handler) asynq.Handler {
	tracer := otel.Tracer("github.com/candor/candor/worker")
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		retried, _ := asynq.GetRetryCount(ctx)
		ctx, span := tracer.Start(ctx, "task "+t.Type(), trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("messaging.system", "asynq"),
				attribute.String("candor.task.type", t.Type()), attribute.String("candor.task.id", id),
				attribute.Int("candor.task.retried", retried)))
		defer span.End()
		err := next.ProcessTask(ctx, t)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "task failed")
		}
		return err
	})
}
