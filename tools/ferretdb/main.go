// Command ferretdb-launcher runs an embedded FerretDB v1 server for docferry's
// test suite (MongoDB wire protocol on top of SQLite or PostgreSQL).
//
// It prints exactly one line to stdout once the listener is bound:
//
//	LISTENING mongodb://127.0.0.1:<port>/
//
// and then serves until SIGTERM or SIGINT. All logs go to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-launcher: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "TCP listen address (port 0 picks a free port)")
	handler := flag.String("handler", "sqlite", "backend handler: sqlite or postgresql")
	sqliteDir := flag.String("sqlite-dir", "", "SQLite data directory (path or file: URI); default: a fresh temporary directory removed on exit")
	pgURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:5432/postgres", "PostgreSQL connection URL for the postgresql handler")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flag.Args())
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("invalid -log-level %q: %w", *logLevel, err)
	}

	logger := slog.New(&quietHandler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})})
	slog.SetDefault(logger)

	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return fmt.Errorf("invalid -listen %q: %w", *listen, err)
	}

	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  *handler,
	}

	switch *handler {
	case "sqlite":
		dir := *sqliteDir
		if dir == "" {
			tmp, err := os.MkdirTemp("", "ferretdb-sqlite-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}

		u, err := sqliteURI(dir)
		if err != nil {
			return err
		}
		cfg.SQLiteURL = u

	case "postgresql":
		cfg.PostgreSQLURL = *pgURL

	default:
		return fmt.Errorf("invalid -handler %q: expected sqlite or postgresql", *handler)
	}

	// FerretDB binds the listener in New, so port 0 works and MongoDBURI
	// reports the real port. The embedded package never starts the telemetry
	// reporter and additionally disables telemetry in its in-memory state.
	f, err := ferretdb.New(cfg)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	uri := f.MongoDBURI()
	if _, err := fmt.Fprintf(os.Stdout, "LISTENING %s\n", uri); err != nil {
		stop()
		<-done
		return err
	}

	err = <-done
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}

	logger.Info("ferretdb-launcher stopped")

	return nil
}

// sqliteURI converts a directory path or "file:" URI into the form FerretDB
// expects ("file:/abs/dir/"), creating the directory when needed.
func sqliteURI(dir string) (string, error) {
	if strings.HasPrefix(dir, "file:") {
		u, err := url.Parse(dir)
		if err != nil {
			return "", fmt.Errorf("invalid -sqlite-dir %q: %w", dir, err)
		}

		p := u.Path
		if p == "" {
			p = u.Opaque
		}

		if p != "" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return "", err
			}
		}

		return dir, nil
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}

	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}

	u := &url.URL{Scheme: "file", Opaque: filepath.ToSlash(abs) + "/"}

	return u.String(), nil
}

// quietHandler demotes FerretDB's per-request noise to debug level.
//
// FerretDB logs the full wire response at WARN for every command that fails
// (including ones drivers send routinely, such as endSessions, and every
// rejected write a test provokes on purpose), and a WARN "Connection stopped"
// whenever a client resets its socket. Those are normal for a test server.
type quietHandler struct {
	slog.Handler
}

func (h *quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelError && isNoise(r.Message) {
		r.Level = slog.LevelDebug
	}

	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}

	return h.Handler.Handle(ctx, r)
}

func (h *quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h *quietHandler) WithGroup(name string) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithGroup(name)}
}

func isNoise(msg string) bool {
	for _, p := range []string{"Response header:", "Response message:", "Proxy response header:", "Proxy response message:", "Connection stopped"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}

	return false
}
