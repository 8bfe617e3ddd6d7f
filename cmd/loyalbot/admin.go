package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// adminTokenPath is where serve keeps the generated admin token: beside
// the database, readable by its owner only.
func adminTokenPath(db string) string {
	return filepath.Join(filepath.Dir(db), ".loyalbot-admin-token")
}

// adminToken returns the token that guards /admin/*: LOYALBOT_ADMIN_TOKEN,
// else the token file beside the database, created (0600) when create is
// set and it does not exist yet.
func adminToken(cfg Config, create bool) (Secret, error) {
	if cfg.AdminToken != "" {
		return cfg.AdminToken, nil
	}
	path := adminTokenPath(cfg.DB)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return Secret(tok), nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("admin token: %w", err)
	}
	if !create {
		return "", fmt.Errorf("no admin token: set LOYALBOT_ADMIN_TOKEN, or run serve once to create %s", path)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // created meanwhile by another process
		return adminToken(cfg, false)
	}
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("admin token: %w", err)
	}
	return Secret(tok), f.Close()
}
