package orders

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"
)

// MaxSkew is how old (or early) a signed webhook call may be.
const MaxSkew = 5 * time.Minute

// MaxBody is the largest webhook body taken; a larger one gets 413.
const MaxBody = 64 << 10

// event is the webhook's JSON body.
type event struct {
	OrderID       string  `json:"order_id"`
	Customer      string  `json:"customer_id"`
	Created       string  `json:"created_at"`
	Amount        float64 `json:"amount"` // currency units, such as 12.50
	Refunded      float64 `json:"refunded_amount"`
	Currency      string  `json:"currency"`
	Status        string  `json:"status"`
	Email         string  `json:"email"`
	EmailVerified bool    `json:"email_verified"`
	Phone         string  `json:"phone"`
	PhoneVerified bool    `json:"phone_verified"`
	LinkCode      string  `json:"link_code"`
}

// Webhook serves POST /webhooks/orders. The shop signs each call: header
// X-Loyalbot-Timestamp holds the Unix time, X-Loyalbot-Signature the hex
// HMAC-SHA256 of "<timestamp>.<body>" with secret. Answers: 503 when no
// secret is configured; 413 for a body over MaxBody; 401 for a missing,
// stale (over MaxSkew) or wrong signature; 400 for a malformed body; 422
// for an order out of bounds; 409 for an order id stored with another
// customer, amount, currency or date; 200 otherwise — also for an event
// already applied, which has no second effect. Every refusal names its
// reason and changes nothing.
func (s *Service) Webhook(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if secret == "" {
			http.Error(w, "orders webhook disabled: set LOYALBOT_ORDERS_SECRET", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, fmt.Sprintf("body over %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		ts, err := strconv.ParseInt(r.Header.Get("X-Loyalbot-Timestamp"), 10, 64)
		if err != nil || math.Abs(s.cfg.Now().Sub(time.Unix(ts, 0)).Seconds()) > MaxSkew.Seconds() {
			s.log.WarnContext(r.Context(), "order webhook: missing or stale timestamp", "remote", r.RemoteAddr)
			http.Error(w, "missing or stale timestamp", http.StatusUnauthorized)
			return
		}
		want := Sign(secret, ts, body)
		if subtle.ConstantTimeCompare([]byte(want), []byte(r.Header.Get("X-Loyalbot-Signature"))) != 1 {
			s.log.WarnContext(r.Context(), "order webhook: bad signature", "remote", r.RemoteAddr)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		o, c, err := decodeEvent(body)
		var res IngestResult
		if err == nil {
			res, err = s.Ingest(r.Context(), o, c)
		}
		switch {
		case errors.Is(err, ErrBadOrder):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case errors.Is(err, ErrOutOfBounds):
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		case errors.Is(err, ErrConflict):
			s.log.WarnContext(r.Context(), "order webhook: conflicting event refused", "order", o.ID, "err", err)
			http.Error(w, err.Error(), http.StatusConflict)
		case err != nil:
			s.log.ErrorContext(r.Context(), "order webhook failed", "order", o.ID, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "order_id": o.ID, "changed": res.Changed})
		}
	})
}

func decodeEvent(body []byte) (Order, Contact, error) {
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return Order{}, Contact{}, fmt.Errorf("%w: %v", ErrBadOrder, err)
	}
	at, err := time.Parse(time.RFC3339, e.Created)
	if err != nil {
		return Order{}, Contact{}, fmt.Errorf("%w: created_at %q is not RFC 3339", ErrBadOrder, e.Created)
	}
	o := Order{ID: e.OrderID, Customer: e.Customer, Created: at, Amount: cents(e.Amount), Refunded: cents(e.Refunded),
		Currency: e.Currency, Status: Status(e.Status)}
	c := Contact{Email: e.Email, EmailVerified: e.EmailVerified, Phone: e.Phone, PhoneVerified: e.PhoneVerified, LinkCode: e.LinkCode}
	return o, c, o.Validate()
}

// cents converts currency units to cents; amounts too large for an int64
// become a huge amount that the bounds check refuses, not a wrapped one.
func cents(v float64) int64 {
	c := math.Round(v * 100)
	switch {
	case math.IsNaN(c):
		return -1 // refused by Validate
	case c > 1e18:
		return 1e18
	case c < -1e18:
		return -1e18
	}
	return int64(c)
}
