package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// runDBs names and drops the databases of one run of the suite. Every
// database the run makes, its own and those its benchmarks make through
// internal/testenv, starts with prefix + "_", and prefix holds the pid and
// a random token: two runs on one server never share a database, and a
// run drops exactly its own, whatever stopped it, with one query.
type runDBs struct {
	pg     string // any database on the server (--pg)
	base   string // --db-prefix
	prefix string // base + "_" + pid + "_" + token
}

// validBase is what --db-prefix may be: a lower-case identifier short
// enough to leave room for the pid, the token and what the database is.
var validBase = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,19}$`)

// newRunDBs names a run's databases on the server of pg, under base.
func newRunDBs(pg, base string) (*runDBs, error) {
	if !validBase.MatchString(base) {
		return nil, fmt.Errorf("--db-prefix %q: want a lower-case identifier of at most 20 characters", base)
	}
	token := make([]byte, 3)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	return &runDBs{pg: pg, base: base, prefix: base + "_" + strconv.Itoa(os.Getpid()) + "_" + hex.EncodeToString(token)}, nil
}

// name is the run's database for what ("seed_20000", "send_webhook_100000").
func (d *runDBs) name(what string) string { return d.prefix + "_" + what }

// create creates the run's database for what and returns its URL.
func (d *runDBs) create(ctx context.Context, what string) (string, error) {
	name := d.name(what)
	conn, err := pgx.Connect(ctx, d.pg)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	u, err := url.Parse(d.pg)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// list returns the databases whose name starts with prefix + "_".
func (d *runDBs) list(ctx context.Context, conn *pgx.Conn, prefix string) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname", prefix+"_")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// dropAll drops every database of the run (ending its connections) and
// returns their names.
func (d *runDBs) dropAll(ctx context.Context) ([]string, error) {
	conn, err := pgx.Connect(ctx, d.pg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	names, err := d.list(ctx, conn, d.prefix)
	if err != nil {
		return nil, err
	}
	var failed []string
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			failed = append(failed, name+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		return names, fmt.Errorf("could not drop %s", strings.Join(failed, "; "))
	}
	return names, nil
}

// leftovers lists databases under the same --db-prefix that are not this
// run's: runs that were killed (SIGKILL, a crash), or runs going on now.
// The suite only names them; it cannot tell which of them are alive.
func (d *runDBs) leftovers(ctx context.Context) ([]string, error) {
	conn, err := pgx.Connect(ctx, d.pg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	return d.list(ctx, conn, d.base)
}
