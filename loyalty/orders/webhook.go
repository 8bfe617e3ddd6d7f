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

// event is the webhook's JSON body.
type event struct {
	OrderID  string  `json:"order_id"`
	Customer string  `json:"customer_id"`
	Created  string  `json:"created_at"`
	Amount   float64 `json:"amount"` // currency units, such as 12.50
	Refunded float64 `json:"refunded_amount"`
	Currency string  `json:"currency"`
	Status   string  `json:"status"`
	Email    string  `json:"email"`
	Phone    string  `json:"phone"`
	LinkCode string  `json:"link_code"`
}

// Webhook serves POST /webhooks/orders. The shop signs each call: header
// X-Loyalbot-Timestamp holds the Unix time, X-Loyalbot-Signature the hex
// HMAC-SHA256 of "<timestamp>.<body>" with secret. A missing, stale (over
// MaxSkew) or wrong signature gets 401; a malformed body 400 with the
// reason; an order already applied 200 and no second effect.
func (s *Service) Webhook(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		ts, err := strconv.ParseInt(r.Header.Get("X-Loyalbot-Timestamp"), 10, 64)
		if err != nil || secret == "" || math.Abs(s.cfg.Now().Sub(time.Unix(ts, 0)).Seconds()) > MaxSkew.Seconds() {
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
		if err == nil {
			err = s.Ingest(r.Context(), o, c)
		}
		switch {
		case errors.Is(err, ErrBadOrder):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case err != nil:
			s.log.ErrorContext(r.Context(), "order webhook failed", "order", o.ID, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"ok":true,"order_id":%q}`+"\n", o.ID)
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
	return o, Contact{Email: e.Email, Phone: e.Phone, LinkCode: e.LinkCode}, o.Validate()
}

func cents(v float64) int64 { return int64(math.Round(v * 100)) }
