package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
)

func newBackupCmd(g *globals) *cobra.Command {
	var httpAddr string
	cmd := &cobra.Command{
		Use:   "backup <file>",
		Short: "Write a consistent copy of the database, even while loyalbot serves",
		Long: `backup copies the database in one read transaction. When a running
loyalbot holds the database, the copy is fetched from its HTTP server on
this machine (/admin/backup), so writes never stop.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if httpAddr != "" {
				cfg.HTTP = httpAddr
			}
			n, err := backup(cmd.Context(), cfg, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "backed up %d bytes to %s\n", n, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "", "HTTP address of the running loyalbot (default from config)")
	return cmd
}

func backup(ctx context.Context, cfg Config, path string) (int64, error) {
	return writeAtomically(path, func(w io.Writer) (int64, error) {
		db, err := openDB(cfg.DB, true)
		if errors.Is(err, errLocked) {
			return backupOverHTTP(ctx, cfg.HTTP, w)
		}
		if err != nil {
			return 0, err
		}
		defer db.Close()
		var n int64
		err = db.View(func(tx *bolt.Tx) error {
			n, err = tx.WriteTo(w)
			return err
		})
		return n, err
	})
}

func backupOverHTTP(ctx context.Context, addr string, w io.Writer) (int64, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("http address %q: %w", addr, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/admin/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("database in use and no loyalbot answering on port %s: %w", port, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("backup from running loyalbot: %s", resp.Status)
	}
	return io.Copy(w, resp.Body)
}

// writeAtomically writes through fn to a temporary file beside path, syncs
// it and renames it over path, so path never holds a partial file.
func writeAtomically(path string, fn func(io.Writer) (int64, error)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".loyalbot-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	n, err := fn(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}
