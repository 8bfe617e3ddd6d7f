// Package web is loyalbot's one HTTP surface: it owns the mux, mounts
// health and readiness, the admin routes, the webhooks (orders, Telegram)
// and later the dashboard; sets the connection limits once; and maps
// domain errors to status codes in one place (StatusOf).
package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Limits bound every HTTP connection, so slow or idle clients cannot hold
// the server.
type Limits struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"` // long admin routes extend their own (see LongWrite)
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
}

// Server is the HTTP surface. Mount routes before Serve.
type Server struct {
	mux    *http.ServeMux
	log    *slog.Logger
	limits Limits
	token  string // the admin token; "" refuses every admin route
}

// New returns a server with /healthz, and /readyz answering 200 while
// ready returns nil (503 with the reason otherwise). Admin routes need
// adminToken.
func New(log *slog.Logger, limits Limits, adminToken string, ready func(context.Context) error) *Server {
	s := &Server{mux: http.NewServeMux(), log: log, limits: limits, token: adminToken}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, code := map[string]string{"db": "ok"}, http.StatusOK
		if err := ready(r.Context()); err != nil {
			status["db"], code = err.Error(), http.StatusServiceUnavailable
		}
		JSON(w, code, status)
	})
	return s
}

// Handle mounts a public route, such as a webhook that checks its own
// signature.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Admin mounts a route only callers with the admin token may use.
func (s *Server) Admin(pattern string, h http.Handler) { s.mux.Handle(pattern, s.requireAdmin(h)) }

// Handler returns the mux with every route mounted so far.
func (s *Server) Handler() http.Handler { return s.mux }

// requireAdmin serves next only to requests carrying "Authorization:
// Bearer <token>"; others get 401. A same-host reverse proxy makes every
// caller look local, so the address is never trusted.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || s.token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loyalbot admin"`)
			http.Error(w, "admin token required (Authorization: Bearer <token>)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Serve serves on ln until ctx ends, then shuts down, letting requests in
// flight finish for up to ten seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	l := s.limits
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- srv.Shutdown(shut)
	}()
	s.log.Info("http listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return <-done
}

// LongWrite lifts the server's write timeout for one long response (an
// online backup of a large database).
func LongWrite(w http.ResponseWriter, log *slog.Logger, d time.Duration) {
	if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d)); err != nil {
		log.Warn("cannot extend the write deadline", "err", err)
	}
}

// JSON writes v as a JSON response with status code.
func JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
