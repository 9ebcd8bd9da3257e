package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	tandemhttp "github.com/tandemhq/tandem/http"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func (m *Main) serveCommand() *cobra.Command {
	addr := m.Getenv("TANDEM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API until interrupted",
		Long: `Serve Tandem's API and /healthz on --addr. On SIGINT or SIGTERM it stops
accepting connections and finishes the requests in flight (up to 30 s).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return m.serve(c.Context(), addr)
		},
	}
	c.Flags().StringVar(&addr, "addr", addr, "address to listen on (env TANDEM_ADDR)")
	return c
}

func (m *Main) serve(ctx context.Context, addr string) error {
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	log := m.logger()
	s := tandemhttp.NewServer(db, log)
	s.Version = version
	if err := s.Open(addr); err != nil {
		return err
	}
	log.Info("serving", "url", s.URL(), "database", db.Dialect())
	fmt.Fprintf(m.Stdout, "Tandem is serving on %s (stop with Ctrl-C)\n", s.URL())
	<-ctx.Done()
	log.Info("shutting down: finishing requests in flight")
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.Close(shutdown)
}
