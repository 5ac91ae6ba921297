package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/candor/candor/api"
	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/internal/tracing"
	"github.com/candor/candor/models"
	"github.com/candor/candor/preferences"
	"github.com/candor/candor/webhooks"
	"github.com/candor/candor/worker"
	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
)

type role int

const (
	roleAPI role = 1 << iota
	roleWorker
)

// serve runs the API and/or the worker until ctx is cancelled (SIGINT or
// SIGTERM), then drains HTTP requests and in-flight tasks before exiting.
//
// With demoOut set (`candor run --demo`), it first prepares the demo and
// prints where to look there.
func serve(ctx context.Context, getenv func(string) string, logOut io.Writer, roles role, command string, demoOut io.Writer) error {
	mode := configs.ModeReal
	if command == "run" {
		mode = configs.ModeEmbedded
	}
	if demoOut != nil {
		if err := checkDemo(getenv); err != nil {
			return err
		}
	}
	a, err := openApp(ctx, getenv, logOut, command, mode, true)
	if err != nil {
		return err
	}
	defer a.Close()
	stopTracing, err := a.startTracing(ctx, getenv)
	if err != nil {
		return err
	}
	defer stopTracing()
	a.announceLinks()
	a.announceRedis(ctx)
	if demoOut != nil {
		if err := a.runDemo(ctx, demoOut); err != nil {
			return err
		}
	}

	checks := map[string]func(context.Context) error{"database": a.store.Ping, "redis": a.pingRedis}
	registry := a.metrics
	if err := registerBacklog(registry, a.store); err != nil {
		return err
	}
	if err := registerEvents(registry, a.store); err != nil {
		return err
	}
	var handler http.Handler
	addr := a.cfg.HTTPAddr
	if roles&roleAPI != 0 {
		if handler, err = api.New(api.Options{
			Store:         a.store,
			Keys:          a.keys,
			PublicURL:     a.linkBase(),
			MaxBodyBytes:  a.cfg.MaxBodyBytes,
			MetricsToken:  a.cfg.MetricsToken,
			Checks:        checks,
			Registry:      registry,
			Logger:        a.log,
			Version:       version,
			Campaigns:     campaigns.NewService(a.store, campaigns.NewPlanner(planSettings(a.cfg))),
			RateLimit:     a.rateLimit(),
			PageRateLimit: a.pageRateLimit(),
			Reports:       report.NewService(a.store, planSettings(a.cfg)),
			Preferences: preferences.New(a.store, planSettings(a.cfg).Channels,
				preferences.Links(worker.CustomerLinks(a.keys, a.linkBase())), campaigns.NewPlanner(planSettings(a.cfg)), a.keys),
			WebhookEndpoints: webhooks.Endpoints{WebhookEndpointService: a.store,
				Policy: webhooks.URLPolicy{AllowPrivate: a.cfg.WebhookAllowPrivate}},
		}); err != nil {
			return err
		}
	} else {
		// A worker alone serves health and metrics on an address of its
		// own, so it is probed like the API.
		addr = a.cfg.WorkerAddr
		if handler, err = api.NewHealth(api.HealthOptions{Checks: checks, Registry: registry,
			MetricsToken: a.cfg.MetricsToken, Logger: a.log, Version: version}); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	a.log.Info("http listening", "addr", ln.Addr().String(), "version", version)
	go func() { serveErr <- srv.Serve(ln) }()

	var w *worker.Worker
	if roles&roleWorker != 0 {
		opt, err := asynq.ParseRedisURI(a.redisURL)
		if err != nil {
			srv.Close()
			return &configError{lines: []string{"CANDOR_REDIS_URL: " + err.Error()}}
		}
		snd, err := a.newSending(opt)
		if err != nil {
			srv.Close()
			return err
		}
		defer snd.Close()
		w = worker.New(worker.Options{Redis: opt, Concurrency: a.cfg.WorkerConcurrency,
			ShutdownTimeout: a.cfg.ShutdownTimeout, Logger: a.log})
		w.HandleSend(snd.Engine)
		if err := w.Start(); err != nil {
			srv.Close()
			return err
		}
		schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
		schedDone := make(chan struct{})
		go func() { defer close(schedDone); snd.Scheduler.Run(schedCtx) }()
		inboxDone := make(chan struct{})
		go func() { defer close(inboxDone); snd.Inbox.Run(schedCtx) }()
		defer func() { stopSched(); <-inboxDone }()
		outboundDone := make(chan struct{})
		go func() { defer close(outboundDone); snd.Outbound.Run(schedCtx) }()
		defer func() { stopSched(); <-outboundDone }()
		defer func() { stopSched(); <-schedDone }()
		if err := a.runLedgerVerifier(schedCtx, a.metrics); err != nil {
			return err
		}
	}

	select {
	case <-ctx.Done():
		a.log.Info("shutting down: draining requests and in-flight tasks", "timeout", a.cfg.ShutdownTimeout.String())
	case err := <-serveErr:
		if w != nil {
			w.Shutdown()
		}
		return fmt.Errorf("http server: %w", err)
	}
	var firstErr error
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		firstErr = fmt.Errorf("drain http: %w", err)
	}
	cancel()
	if w != nil {
		w.Shutdown()
	}
	a.log.Info("stopped")
	return firstErr
}

// linkBase is the base of every link this process writes.
func (a *app) linkBase() string {
	base, _ := a.cfg.LinkBase()
	return base
}

// startTracing exports spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
// is set (internal/tracing) and traces the store's statements then; the
// returned function flushes the spans still buffered at shutdown.
func (a *app) startTracing(ctx context.Context, getenv func(string) string) (func(), error) {
	shutdown, err := tracing.Setup(ctx, getenv, version)
	if err != nil {
		return nil, err
	}
	if !tracing.Enabled(getenv) {
		a.log.Info("tracing off: set OTEL_EXPORTER_OTLP_ENDPOINT to export spans")
		return func() {}, nil
	}
	if err := a.store.EnableTracing(otel.GetTracerProvider()); err != nil {
		return nil, err
	}
	a.log.Info("tracing on: spans go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT")
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			a.log.Warn("flush traces", "error", err.Error())
		}
	}, nil
}

// rateLimit is the per-key request limit of CANDOR_API_RATE_LIMIT on this
// process's Redis (the in-process one in embedded mode), or nil when off.
func (a *app) rateLimit() *api.RateLimit {
	n, per, ok := a.cfg.APIRate()
	if !ok {
		a.log.Info("api rate limit off")
		return nil
	}
	a.log.Info("api rate limit", "requests", n, "per", per.String())
	return &api.RateLimit{Redis: a.redis, Requests: n, Period: per}
}

// announceLinks says at start which base links use and where it came
// from: a server whose links point elsewhere than where customers can
// reach it fails silently, in every message it sends.
func (a *app) announceLinks() {
	base, source := a.cfg.LinkBase()
	if source == "CANDOR_PUBLIC_URL" || a.cfg.Embedded() {
		a.log.Info("links use "+base, "link_base", base, "from", source)
		return
	}
	a.log.Warn("links use "+base+": set CANDOR_PUBLIC_URL to the address customers reach", "link_base", base, "from", source)
}

// announceRedis says at start when Redis does not answer. The API keeps
// running (reads and writes need only the database, and /readyz answers
// 503 naming redis until Redis is back); the worker's start fails after.
func (a *app) announceRedis(ctx context.Context) {
	if err := a.pingRedis(ctx); err != nil {
		a.log.Error("redis is not reachable: /readyz answers 503 and nothing can be queued or sent until it is",
			"error", err.Error())
	}
}

// planSettings turns the config into what planning needs. In embedded
// mode every channel without settings of its own writes to the outbox, so
// every channel can be planned; otherwise only configured channels can.
func planSettings(cfg *configs.Config) models.PlanSettings {
	ps := models.PlanSettings{
		DefaultTimezone: cfg.DefaultTimezone,
		DefaultWindows:  cfg.ParsedDefaultWindows(),
		GlobalCap:       cfg.ParsedMaxMessages(),
		SendsPerMinute:  map[models.Channel]int{},
	}
	for _, ch := range models.Channels {
		if cfg.Embedded() || cfg.ChannelConfigured(ch) {
			ps.Channels = append(ps.Channels, ch)
		}
		if n := schedule.SendsPerMinute(float64(cfg.Rate(ch))); n > 0 {
			ps.SendsPerMinute[ch] = n
		}
	}
	return ps
}

// pageRateLimit is the limit of /p/ and /u/ per link and per client
// address (CANDOR_PAGE_RATE_LIMIT, CANDOR_PAGE_CLIENT_RATE_LIMIT) on this
// process's Redis, or nil when both are off.
func (a *app) pageRateLimit() *api.PageRateLimit {
	link, client := a.cfg.PageRates()
	rl := &api.PageRateLimit{Redis: a.redis}
	if link.On {
		rl.PerLink = api.Rate{Requests: link.Requests, Period: link.Period}
	}
	if client.On {
		rl.PerClient = api.Rate{Requests: client.Requests, Period: client.Period}
	}
	a.log.Info("page rate limit", "per_link", a.cfg.PageRateLimit, "per_client", a.cfg.PageClientLimit)
	return rl
}
