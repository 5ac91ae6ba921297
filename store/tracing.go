package store

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

// spanKey is where a statement's span waits between gorm's before and
// after callbacks.
const spanKey = "candor:span"

// EnableTracing makes every statement that goes through gorm a span of
// tp, a child of the span in the statement's context (the HTTP request or
// worker task), named after the operation and table. The span holds the
// SQL with its placeholders, never the values (they carry customer data).
// The customer statements sent with pgx (traceStatement) are traced too;
// other statements outside gorm (COPY of bulk loads and launches,
// migrations) are not. It fails only if gorm refuses a callback.
//
// gorm.io/plugin/opentelemetry does the same but links the MySQL and
// ClickHouse drivers into the binary; these callbacks are the few lines
// of it Candor needs.
func (s *Store) EnableTracing(tp trace.TracerProvider) error {
	tracer := tp.Tracer("github.com/candor/candor/store")
	system := "sqlite"
	if s.dialect == DialectPostgres {
		system = "postgresql"
	}
	before := func(op string) func(*gorm.DB) {
		return func(db *gorm.DB) {
			if db.Statement == nil || db.Statement.Context == nil {
				return
			}
			name := op
			if db.Statement.Table != "" {
				name += " " + db.Statement.Table
			}
			ctx, span := tracer.Start(db.Statement.Context, name, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system.name", system), attribute.String("db.operation.name", op)))
			db.Statement.Context = ctx
			db.InstanceSet(spanKey, span)
		}
	}
	after := func(db *gorm.DB) {
		v, ok := db.InstanceGet(spanKey)
		span, _ := v.(trace.Span)
		if !ok || span == nil {
			return
		}
		defer span.End()
		span.SetAttributes(attribute.String("db.query.text", db.Statement.SQL.String()),
			attribute.Int64("db.response.returned_rows", db.RowsAffected))
		if err := db.Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			span.RecordError(err)
			span.SetStatus(codes.Error, "statement failed")
		}
	}
	if s.dialect == DialectPostgres {
		s.tracer = tracer
	}
	cb := s.db.Callback()
	if err := errors.Join(
		cb.Create().Before("gorm:create").Register("candor:trace_before_create", before("INSERT")),
		cb.Create().After("gorm:create").Register("candor:trace_after_create", after),
		cb.Query().Before("gorm:query").Register("candor:trace_before_query", before("SELECT")),
		cb.Query().After("gorm:query").Register("candor:trace_after_query", after),
		cb.Update().Before("gorm:update").Register("candor:trace_before_update", before("UPDATE")),
		cb.Update().After("gorm:update").Register("candor:trace_after_update", after),
		cb.Delete().Before("gorm:delete").Register("candor:trace_before_delete", before("DELETE")),
		cb.Delete().After("gorm:delete").Register("candor:trace_after_delete", after),
		cb.Row().Before("gorm:row").Register("candor:trace_before_row", before("ROW")),
		cb.Row().After("gorm:row").Register("candor:trace_after_row", after),
		cb.Raw().Before("gorm:raw").Register("candor:trace_before_raw", before("RAW")),
		cb.Raw().After("gorm:raw").Register("candor:trace_after_raw", after),
	); err != nil {
		return fmt.Errorf("store: enable tracing: %w", err)
	}
	return nil
}
