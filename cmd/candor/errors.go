package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/candor/candor/models"
)

// humanError is what a person reads when a command fails: a coded error
// shows its message, not the "candor error: code=... message=..." form
// meant for logs and tests.
func humanError(err error) string {
	var me *models.Error
	if errors.As(err, &me) {
		return strings.Replace(err.Error(), me.Error(), me.Message, 1)
	}
	return err.Error()
}

// describeOpenError turns a failure to open the database into a sentence
// that names the database and says what to do. The URL's password never
// appears: only host, port, user and database name do.
func describeOpenError(err error, databaseURL string) error {
	msg := models.ErrorMessage(err)
	if !errors.As(err, new(*models.Error)) {
		msg = err.Error()
	}
	if databaseURL == "" {
		return fmt.Errorf("open the embedded database: %s", msg)
	}
	u, perr := url.Parse(databaseURL)
	if perr != nil {
		return fmt.Errorf("open the database of CANDOR_DATABASE_URL: %s", msg)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5432"
	}
	name, user := strings.TrimPrefix(u.Path, "/"), u.User.Username()
	where := fmt.Sprintf("%s:%s", host, port)
	switch {
	case strings.Contains(msg, "SQLSTATE 3D000"):
		return fmt.Errorf("the PostgreSQL database %q does not exist on %s (CANDOR_DATABASE_URL). "+
			"Create it, for example with `createdb -h %s -p %s -U %s %s` or `CREATE DATABASE %q;` in psql, then run `candor migrate`",
			name, where, host, port, orDefault(user, "postgres"), name, name)
	case strings.Contains(msg, "SQLSTATE 28P01"), strings.Contains(msg, "SQLSTATE 28000"):
		return fmt.Errorf("PostgreSQL on %s refused user %q for database %q (CANDOR_DATABASE_URL): check the user name and password",
			where, user, name)
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), strings.Contains(msg, "i/o timeout"):
		return fmt.Errorf("cannot reach PostgreSQL on %s (CANDOR_DATABASE_URL): is it running and reachable from here? (%s)",
			where, lastClause(msg))
	}
	return fmt.Errorf("cannot open the PostgreSQL database %q on %s (CANDOR_DATABASE_URL): %s", name, where, msg)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// lastClause keeps the innermost cause of a wrapped driver message, such
// as "connect: connection refused".
func lastClause(msg string) string {
	parts := strings.Split(msg, ": ")
	if len(parts) >= 2 {
		return strings.Join(parts[len(parts)-2:], ": ")
	}
	return msg
}
