module github.com/candor/candor

go 1.26.8

require (
	github.com/VictoriaMetrics/metricsql v0.87.3 // tests: parse the PromQL of docs/prometheus-alerts.yml and the Grafana dashboard (promtool is not always installable) and list the metrics each names
	github.com/alicebob/miniredis/v2 v2.40.0 // in-process Redis for the embedded mode and tests
	github.com/andybalholm/cascadia v1.3.5 // CSS selectors of <style> rules, matched on x/net/html nodes: what a reader of an HTML body sees
	github.com/blevesearch/snowballstem v0.9.0 // Snowball stemmers (en, de, fr, es): word lists match every inflected form
	github.com/caarlos0/env/v11 v11.4.2 // CANDOR_* environment loading
	github.com/chromedp/chromedp v0.23.0 // tests only: drives headless Chromium for the accessibility test of the public pages (axe-core) and the report pages' charts
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // tests: AUTH PLAIN in the in-process SMTP sink
	github.com/emersion/go-smtp v0.26.0 // tests: in-process SMTP sink for the email channel
	github.com/getkin/kin-openapi v0.153.0 // tests: validate api/openapi.yaml and real responses against it
	github.com/gin-gonic/gin v1.12.0 // HTTP router (the design names gin)
	github.com/glebarez/go-sqlite v1.21.2 // the SQLite driver under glebarez/sqlite; tests register a probe SQL function with it
	github.com/glebarez/sqlite v1.11.0 // pure-Go SQLite for gorm: CGO_ENABLED=0 builds
	github.com/go-redis/redis_rate/v10 v10.0.1 // per-channel send rate shared by every worker, per-key API and per-link page limits, through Redis (GCRA)
	github.com/google/go-cmp v0.7.0 // test diffs
	github.com/hibiken/asynq v0.26.0 // task queue on Redis
	github.com/jackc/pgx/v5 v5.12.0 // PostgreSQL driver; COPY for bulk writes
	github.com/mtibben/confusables v0.0.0-20210201002637-9d1b0723b659 // tests only: Unicode TS #39 confusables data; generates and checks the confusable table
	github.com/pressly/goose/v3 v3.29.0 // versioned SQL migrations, embedded, with an advisory lock
	github.com/prometheus/client_golang v1.25.0 // /metrics
	github.com/redis/go-redis/v9 v9.23.0 // Redis readiness checks (asynq uses it too)
	github.com/spf13/cobra v1.10.2 // CLI subcommands and flags
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1 // Standard Webhooks reference signing for the webhook channel
	github.com/tdewolff/parse/v2 v2.25.0 // CSS parser for <style> blocks and style attributes
	github.com/wneessen/go-mail v0.8.1 // SMTP client and MIME composition for the email channel
	go.opentelemetry.io/otel v1.47.0 // tracing API: spans of requests, statements and tasks (no-op unless exported)
	go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp v1.47.0 // OTLP/HTTP export when OTEL_EXPORTER_OTLP_ENDPOINT is set (pulls grpc's generated types, not a grpc connection)
	go.opentelemetry.io/otel/sdk v1.47.0 // tracer provider, batching; sdk/trace/tracetest in tests
	go.opentelemetry.io/otel/trace v1.47.0 // span types for the store and worker instrumentation
	golang.org/x/net v0.61.0 // HTML tokenizer and tree: are the rendered links and disclaimer really visible
	golang.org/x/text v0.44.0 // BCP 47 locale validation and matching; NFKD and case folding of checked text; message catalogues of the public pages
	golang.org/x/time v0.14.0 // send-rate limits
	gopkg.in/yaml.v3 v3.0.1 // optional YAML config file (CANDOR_CONFIG)
	gorm.io/driver/postgres v1.6.3 // gorm on PostgreSQL (pgx)
	gorm.io/gorm v1.31.2 // the ORM the design names; all queries live in store/
	modernc.org/libc v1.78.0 // a TLS of its own for sqlite3_interrupt from the goroutine watching a context (already under the driver)
	modernc.org/sqlite v1.60.1 // sqlite3_interrupt for the whole life of a query's rows (store/sqlite_interrupt.go); the driver interrupts only its start
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/bytedance/gopkg v0.1.3 // indirect
	github.com/bytedance/sonic v1.15.0 // indirect
	github.com/bytedance/sonic/loader v0.5.0 // indirect
	github.com/cenkalti/backoff/v5 v5.0.3 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/cloudwego/base64x v0.1.6 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/gabriel-vasile/mimetype v1.4.12 // indirect
	github.com/gin-contrib/sse v1.1.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/go-openapi/jsonpointer v1.0.0 // indirect
	github.com/go-playground/locales v0.14.1 // indirect
	github.com/go-playground/universal-translator v0.18.1 // indirect
	github.com/go-playground/validator/v10 v10.30.1 // indirect
	github.com/goccy/go-json v0.10.5 // indirect
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.30.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/klauspost/cpuid/v2 v2.4.0 // indirect
	github.com/kylelemons/godebug v1.1.0 // indirect; test only: diffs of prometheus/client_golang/prometheus/testutil (worker ledger metric tests)
	github.com/leodido/go-urn v1.4.0 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/mfridman/interpolate v0.0.2 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/pelletier/go-toml/v2 v2.2.4 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	github.com/quic-go/quic-go v0.59.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	github.com/sethvargo/go-retry v0.5.0 // indirect
	github.com/spf13/cast v1.10.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/twitchyliquid64/golang-asm v0.15.1 // indirect
	github.com/ugorji/go/codec v1.3.1 // indirect
	github.com/yuin/gopher-lua v1.1.1 // indirect
	go.mongodb.org/mongo-driver/v2 v2.5.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlptrace v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/proto/otlp v1.11.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/arch v0.22.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261005182115-fad411399dd8 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261005182115-fad411399dd8 // indirect
	google.golang.org/grpc v1.84.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)

require (
	github.com/VictoriaMetrics/metrics v1.35.3 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/valyala/fastrand v1.1.0 // indirect
	github.com/valyala/histogram v1.2.0 // indirect
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
)
