package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/candor/candor/configs"
	"github.com/spf13/cobra"
)

// healthcheckTimeout bounds the whole probe: /readyz itself answers within
// 2 s, so a longer wait means the process is stuck.
const healthcheckTimeout = 5 * time.Second

// newHealthcheckCmd builds `candor healthcheck`, the probe of the
// Dockerfile's HEALTHCHECK and compose: the distroless image has no shell
// or curl, so the binary asks its own /readyz.
func newHealthcheckCmd(getenv func(string) string) *cobra.Command {
	var worker bool
	var target string
	cmd := &cobra.Command{
		Use:   "healthcheck [--worker] [--url URL]",
		Short: "Exit 0 when the local Candor's /readyz answers ready (for container health checks)",
		Long: "Asks /readyz of the API on CANDOR_HTTP_ADDR, or with --worker of the worker on CANDOR_WORKER_ADDR,\n" +
			"and exits 0 when it answers 200; otherwise it prints which checks failed and exits 1.\n" +
			"Without --worker or --url, when nothing listens on CANDOR_HTTP_ADDR it asks CANDOR_WORKER_ADDR,\n" +
			"so the image's one HEALTHCHECK fits candor run, api and worker.",
		Example: "  candor healthcheck                 # the API (or candor run)\n" +
			"  candor healthcheck --worker        # candor worker\n" +
			"  candor healthcheck --url http://candor:8080/readyz",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			targets := []string{target}
			if target == "" {
				cfg, err := configs.Load(getenv)
				if err != nil {
					return &configError{lines: strings.Split(err.Error(), "\n")}
				}
				targets = []string{"http://" + localAddr(cfg.WorkerAddr) + "/readyz"}
				if !worker {
					targets = append([]string{"http://" + localAddr(cfg.HTTPAddr) + "/readyz"}, targets...)
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), healthcheckTimeout)
			defer cancel()
			var err error
			for _, t := range targets {
				if err = probe(ctx, t); err == nil {
					fmt.Fprintln(cmd.OutOrStdout(), "ready")
					return nil
				} else if !errors.Is(err, errNoAnswer) {
					return err
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&worker, "worker", false, "probe candor worker on CANDOR_WORKER_ADDR instead of the API")
	cmd.Flags().StringVar(&target, "url", "", "probe this URL instead")
	return cmd
}

// localAddr turns a listen address into one to dial: a wildcard or empty
// host is this machine.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// errNoAnswer marks a probe that reached no server at all.
var errNoAnswer = errors.New("does not answer")

// probe GETs url and fails unless it answers 200, naming the failing
// checks of a /readyz answer.
func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %s %w: %w", url, errNoAnswer, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var r struct {
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&r)
	var failed []string
	for name, state := range r.Checks {
		if state != "ok" {
			failed = append(failed, name)
		}
	}
	sort.Strings(failed)
	if len(failed) == 0 {
		return fmt.Errorf("not ready: %s answered %d", url, resp.StatusCode)
	}
	return fmt.Errorf("not ready: %s answered %d; failing: %s", url, resp.StatusCode, strings.Join(failed, ", "))
}
