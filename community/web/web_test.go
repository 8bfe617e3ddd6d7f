package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/community/web"
)

var errDown = errors.New("database closed")

func TestServer_Routes(t *testing.T) {
	ready := error(nil)
	s := web.New(slog.New(slog.DiscardHandler), web.Limits{}, "s3cret-token", func(context.Context) error { return ready })
	s.Admin("GET /admin/ping", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "pong") }))
	s.Handle("POST /webhooks/x", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	do := func(method, path, auth string) (int, string) {
		req := httptest.NewRequest(method, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, tc := range []struct {
		method, path, auth string
		code               int
		body               string
	}{
		{"GET", "/healthz", "", 200, "ok"},
		{"GET", "/readyz", "", 200, `"db":"ok"`},
		{"GET", "/admin/ping", "", 401, "admin token required"},
		{"GET", "/admin/ping", "Bearer wrong", 401, ""},
		{"GET", "/admin/ping", "s3cret-token", 401, ""},
		{"GET", "/admin/ping", "Bearer s3cret-token", 200, "pong"},
		{"POST", "/webhooks/x", "", 202, ""},
		{"GET", "/webhooks/x", "", 405, ""},
	} {
		if code, body := do(tc.method, tc.path, tc.auth); code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s (%q): %d %q, want %d %q", tc.method, tc.path, tc.auth, code, body, tc.code, tc.body)
		}
	}
	ready = errDown
	if code, body := do("GET", "/readyz", ""); code != 503 || !strings.Contains(body, "database closed") {
		t.Errorf("readyz with the database down: %d %s", code, body)
	}
}

func TestServer_NoTokenRefusesAdmin(t *testing.T) {
	s := web.New(slog.New(slog.DiscardHandler), web.Limits{}, "", func(context.Context) error { return nil })
	s.Admin("GET /admin/ping", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/admin/ping", nil)
	req.Header.Set("Authorization", "Bearer ")
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("empty token let an admin request through: %d", rec.Code)
	}
}

type notFound struct{}

func (notFound) Error() string { return "no such thing" }

func TestErrors_StatusOf(t *testing.T) {
	errs := web.Errors{func(err error) int {
		if errors.As(err, new(notFound)) {
			return http.StatusNotFound
		}
		return 0
	}}
	for _, tc := range []struct {
		err  error
		code int
	}{
		{web.Errorf(http.StatusConflict, errors.New("changed")), 409},
		{fmt.Errorf("wrapped: %w", web.Errorf(http.StatusUnprocessableEntity, errors.New("bounds"))), 422},
		{fmt.Errorf("find: %w", notFound{}), 404},
		{errors.New("disk full"), 500},
	} {
		if got := errs.StatusOf(tc.err); got != tc.code {
			t.Errorf("%v: %d, want %d", tc.err, got, tc.code)
		}
	}
	rec := httptest.NewRecorder()
	errs.Write(rec, slog.New(slog.DiscardHandler), errors.New("disk full at /var/lib"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "/var/lib") {
		t.Errorf("a 500 shows its cause to the caller: %d %q", rec.Code, rec.Body.String())
	}
}

func TestServer_ServeStopsWithContext(t *testing.T) {
	s := web.New(slog.New(slog.DiscardHandler), web.Limits{}, "", func(context.Context) error { return nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}
