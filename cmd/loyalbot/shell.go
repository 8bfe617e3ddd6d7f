package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newShellCmd(g *globals) *cobra.Command {
	var owner string
	cmd := &cobra.Command{
		Use:   "shell",
		Short: "Try every command in this terminal, no tokens needed",
		Long: `shell talks to loyalbot as console users. Type "name> text" to speak as
name (created on first use), or plain text to speak as the current user.
Start a line with "dm " for a private chat with the bot. "!join" and
"!leave" join or leave the group. "!clock +1d" (or +2h30m, or a time such
as 2027-01-02) moves time forward and runs the scheduled work that became
due, such as points expiry; "!clock" shows the time. The user given by
--owner is the owner.
When input is not a terminal, each line is echoed and followed by the
bot's replies, each starting with "bot> ".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			log := g.logger(slog.LevelWarn)
			app, err := OpenApp(cmd.Context(), cfg, owner, log, time.Now)
			if err != nil {
				return err
			}
			defer app.Close()
			if app.Semantic != nil { // serve's scheduler does this at start; the shell runs none
				if err := app.indexEmbeddings(cmd.Context(), app.now()); err != nil {
					log.Error("FAQ embeddings not indexed; answering offline", "err", err)
				}
			}
			return runShell(cmd.Context(), app, g.stdin, g.stdout, owner)
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "admin", "console user who owns the community")
	return cmd
}

// runShell runs the console adapter on in and out: interactively, with a
// prompt and line history, when in is a terminal; line by line otherwise.
func runShell(ctx context.Context, app *App, in io.Reader, out io.Writer, user string) error {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return runTerminal(ctx, app, f, out, user)
	}
	a := console.New(in, out, console.WithUser(user), console.WithLogger(app.Log), console.WithClock(app.now),
		console.WithDirective("clock", app.clockDirective))
	app.Hub.Add(a)
	err := a.Run(ctx, app.Router)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func runTerminal(ctx context.Context, app *App, f *os.File, out io.Writer, user string) error {
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	defer term.Restore(fd, old)
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{f, out}, user+"> ")
	a := console.New(nil, t, console.WithUser(user), console.WithEcho(false), console.WithLogger(app.Log), console.WithClock(app.now),
		console.WithDirective("clock", app.clockDirective))
	app.Hub.Add(a)
	fmt.Fprintln(t, "loyalbot shell: you are "+user+" (the owner). Try /start, /help, or \"alice> /checkin\". Ctrl-D quits.")
	return consoleLoop(ctx, t.ReadLine, func(line string) {
		a.Handle(ctx, app.Router, line)
		t.SetPrompt(a.User() + "> ")
	})
}

// consoleLoop handles lines from readLine until it reports io.EOF or ctx
// ends. Shutdown never waits on the terminal: a read blocked on a line
// nobody types cannot be interrupted, so it is left to end with the
// process, and ctx's end returns at once.
func consoleLoop(ctx context.Context, readLine func() (string, error), handle func(string)) error {
	type read struct {
		line string
		err  error
	}
	reads := make(chan read)
	next := make(chan struct{}, 1)
	go func() {
		for {
			line, err := readLine()
			select {
			case reads <- read{line, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			select {
			case <-next:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-reads:
			if errors.Is(r.err, io.EOF) {
				return nil
			}
			if r.err != nil {
				return r.err
			}
			handle(r.line)
			next <- struct{}{}
		}
	}
}

var _ bots.Dispatcher = (*bots.Router)(nil)
