package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
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
	if err := checkBackupTarget(cfg.DB, path); err != nil {
		return 0, err
	}
	return writeAtomically(path, func(w io.Writer) (int64, error) {
		db, err := openDB(cfg.DB, true)
		if errors.Is(err, errLocked) {
			var n int64
			err := adminGet(ctx, cfg, "/admin/backup", func(body io.Reader) error {
				var err error
				n, err = io.Copy(w, body)
				return err
			})
			return n, err
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

// checkBackupTarget refuses to write a backup over the live database (the
// server would go on writing to the replaced file, and its writes would be
// lost) or over any database a running loyalbot holds open.
func checkBackupTarget(live, target string) error {
	ti, err := os.Stat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup target %s: %w", target, err)
	}
	if li, err := os.Stat(live); err == nil && os.SameFile(li, ti) {
		return fmt.Errorf("backup target %s is the live database %s: choose another file", target, live)
	}
	if ti.Mode().IsRegular() {
		db, err := bolt.Open(target, 0o600, &bolt.Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
		if errors.Is(err, berrors.ErrTimeout) {
			return fmt.Errorf("backup target %s is a database another loyalbot has open: choose another file", target)
		}
		if err == nil {
			db.Close()
		}
	}
	return nil
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
