// Command loyalbot runs a brand's member community in chat: points,
// rewards, ambassadors and customer service on Discord, Telegram and a
// local console.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // check-in days use the configured time zone on any machine

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	if err := root.ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errVerifyFailed) { // verify printed what is broken
			fmt.Fprintln(os.Stderr, "loyalbot:", err)
		}
		os.Exit(1)
	}
}

// globals are the flags every subcommand shares.
type globals struct {
	db       string
	config   string
	logLevel string
	getenv   func(string) string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	// listen opens serve's HTTP listener; tests hand in one they opened.
	listen func(addr string) (net.Listener, error)
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	return newRootCmdWith(stdin, stdout, stderr, getenv, func(addr string) (net.Listener, error) { return net.Listen("tcp", addr) })
}

// newRootCmdWith is newRootCmd with serve's listener opened by listen.
func newRootCmdWith(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, listen func(string) (net.Listener, error)) *cobra.Command {
	g := &globals{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, listen: listen}
	root := &cobra.Command{
		Use:           "loyalbot",
		Short:         "A brand's member community in chat: points, rewards, ambassadors, support",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	f := root.PersistentFlags()
	f.StringVar(&g.db, "db", "", "bbolt database file (default loyalbot.db, or LOYALBOT_DB)")
	f.StringVar(&g.config, "config", "", "YAML config file overlaying the built-in defaults")
	f.StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (default info; warn for shell)")
	root.AddCommand(newServeCmd(g), newShellCmd(g), newBackupCmd(g), newVerifyCmd(g), newInsightsCmd(g), newImportCmd(g), newFAQCmd(g), newExperimentCmd(g), newVersionCmd(g))
	return root
}

// load reads the configuration with the --db flag applied.
func (g *globals) load() (Config, error) {
	cfg, err := LoadConfig(g.config, g.getenv)
	if err != nil {
		return Config{}, err
	}
	if g.db != "" {
		cfg.DB = g.db
	}
	return cfg, nil
}

func (g *globals) logger(def slog.Level) *slog.Logger {
	level := def
	switch strings.ToLower(g.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print loyalbot's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintln(g.stdout, "loyalbot", v)
			return nil
		},
	}
}
