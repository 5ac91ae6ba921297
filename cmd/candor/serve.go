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
	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
	"github.com/hibiken/asynq"
)

type role int

const (
	roleAPI role = 1 << iota
	roleWorker
)

// serve runs the API and/or the worker until ctx is cancelled (SIGINT or
// SIGTERM), then drains HTTP requests and in-flight tasks before exiting.
func serve(ctx context.Context, getenv func(string) string, logOut io.Writer, roles role, command string) error {
	mode := configs.ModeReal
	if command == "run" {
		mode = configs.ModeEmbedded
	}
	a, err := openApp(ctx, getenv, logOut, command, mode, true)
	if err != nil {
		return err
	}
	defer a.Close()

	var srv *http.Server
	serveErr := make(chan error, 1)
	if roles&roleAPI != 0 {
		handler, err := api.New(api.Options{
			Store:        a.store,
			Keys:         a.keys,
			PublicURL:    a.cfg.PublicURL,
			MaxBodyBytes: a.cfg.MaxBodyBytes,
			MetricsToken: a.cfg.MetricsToken,
			Checks:       map[string]func(context.Context) error{"database": a.store.Ping, "redis": a.pingRedis},
			Registry:     backlogRegistry(a.store),
			Logger:       a.log,
			Version:      version,
			Campaigns:    campaigns.NewService(a.store, campaigns.NewPlanner(planSettings(a.cfg))),
			Reports:      report.NewService(a.store, planSettings(a.cfg)),
		})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", a.cfg.HTTPAddr, err)
		}
		srv = &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		a.log.Info("http listening", "addr", ln.Addr().String(), "version", version)
		go func() { serveErr <- srv.Serve(ln) }()
	}

	var w *worker.Worker
	if roles&roleWorker != 0 {
		opt, err := asynq.ParseRedisURI(a.redisURL)
		if err != nil {
			return &configError{lines: []string{"CANDOR_REDIS_URL: " + err.Error()}}
		}
		snd, err := a.newSending(opt)
		if err != nil {
			if srv != nil {
				srv.Close()
			}
			return err
		}
		defer snd.Close()
		w = worker.New(worker.Options{Redis: opt, Concurrency: a.cfg.WorkerConcurrency,
			ShutdownTimeout: a.cfg.ShutdownTimeout, Logger: a.log})
		w.HandleSend(snd.Engine)
		if err := w.Start(); err != nil {
			if srv != nil {
				srv.Close()
			}
			return err
		}
		schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
		schedDone := make(chan struct{})
		go func() { defer close(schedDone); snd.Scheduler.Run(schedCtx) }()
		defer func() { stopSched(); <-schedDone }()
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
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			firstErr = fmt.Errorf("drain http: %w", err)
		}
		cancel()
	}
	if w != nil {
		w.Shutdown()
	}
	a.log.Info("stopped")
	return firstErr
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
