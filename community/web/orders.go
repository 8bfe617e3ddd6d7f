package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// MaxSkew is how old (or early) a signed order webhook call may be.
const MaxSkew = 5 * time.Minute

// MaxBody is the largest order webhook body taken; a larger one gets 413.
const MaxBody = 64 << 10

// OrderIngester takes shop orders; *orders.Service is one.
type OrderIngester interface {
	Ingest(ctx context.Context, o orders.Order, c orders.Contact) (orders.IngestResult, error)
}

// orderEvent is the order webhook's JSON body.
type orderEvent struct {
	OrderID       string   `json:"order_id"`
	Customer      string   `json:"customer_id"`
	Created       string   `json:"created_at"`
	Amount        *float64 `json:"amount"` // currency units, such as 12.50; required
	Refunded      float64  `json:"refunded_amount"`
	Currency      string   `json:"currency"`
	Status        string   `json:"status"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Phone         string   `json:"phone"`
	PhoneVerified bool     `json:"phone_verified"`
	LinkCode      string   `json:"link_code"`
}

// Sign returns the order webhook signature of body at Unix time ts: hex
// HMAC-SHA256 over "<ts>.<body>" with the shared secret.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// OrderErrors maps the orders domain's errors to statuses: a malformed
// order 400, one out of bounds 422, one that conflicts with what is
// stored 409.
func OrderErrors(err error) int {
	switch {
	case errors.Is(err, orders.ErrBadOrder):
		return http.StatusBadRequest
	case errors.Is(err, orders.ErrOutOfBounds):
		return http.StatusUnprocessableEntity
	case errors.Is(err, orders.ErrConflict):
		return http.StatusConflict
	}
	return 0
}

// OrderWebhook serves POST /webhooks/orders. The shop signs each call:
// header X-Loyalbot-Timestamp holds the Unix time, X-Loyalbot-Signature
// Sign's signature. Answers: 503 when no secret is configured; 413 for a
// body over MaxBody; 401 for a missing, stale (over MaxSkew) or wrong
// signature; 400 for a malformed body; 422 for an order out of bounds;
// 409 for an order id stored with another customer, amount, currency or
// date; 200 otherwise — also for an event already applied, which has no
// second effect. Every refusal names its reason and changes nothing.
func OrderWebhook(shop OrderIngester, secret string, now func() time.Time, log *slog.Logger) http.Handler {
	errs := Errors{OrderErrors}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := signedBody(w, r, secret, "orders webhook", now, log)
		if !ok {
			return
		}
		o, c, err := decodeOrder(body)
		var res orders.IngestResult
		if err == nil {
			res, err = shop.Ingest(r.Context(), o, c)
		}
		if err != nil {
			switch code := errs.StatusOf(err); {
			case code >= 500:
				log.ErrorContext(r.Context(), "order webhook failed", "order", o.ID, "err", err)
				http.Error(w, "internal error", code)
			default:
				if code == http.StatusConflict {
					log.WarnContext(r.Context(), "order webhook: conflicting event refused", "order", o.ID, "err", err)
				}
				http.Error(w, err.Error(), code)
			}
			return
		}
		JSON(w, http.StatusOK, map[string]any{"ok": true, "order_id": o.ID, "changed": res.Changed})
	})
}

// signedBody reads a signed webhook call's body and checks its signature
// (see OrderWebhook). When it returns false it has answered the call:
// 503 with no secret, 413, 400, or 401.
func signedBody(w http.ResponseWriter, r *http.Request, secret, name string, now func() time.Time, log *slog.Logger) ([]byte, bool) {
	if secret == "" {
		http.Error(w, name+" disabled: set LOYALBOT_ORDERS_SECRET", http.StatusServiceUnavailable)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("body over %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
		return nil, false
	case err != nil:
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Loyalbot-Timestamp"), 10, 64)
	if err != nil || math.Abs(now().Sub(time.Unix(ts, 0)).Seconds()) > MaxSkew.Seconds() {
		log.WarnContext(r.Context(), name+": missing or stale timestamp", "remote", r.RemoteAddr)
		http.Error(w, "missing or stale timestamp", http.StatusUnauthorized)
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(Sign(secret, ts, body)), []byte(r.Header.Get("X-Loyalbot-Signature"))) != 1 {
		log.WarnContext(r.Context(), name+": bad signature", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

func decodeOrder(body []byte) (orders.Order, orders.Contact, error) {
	var e orderEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return orders.Order{}, orders.Contact{}, fmt.Errorf("%w: %s", orders.ErrBadOrder, jsonProblem(err))
	}
	if e.Amount == nil {
		// A missing amount would store the order at 0.00, and the event
		// with the real amount would then conflict with it for good.
		return orders.Order{}, orders.Contact{}, fmt.Errorf("%w: amount is required", orders.ErrBadOrder)
	}
	at, err := time.Parse(time.RFC3339, e.Created)
	if err != nil {
		return orders.Order{}, orders.Contact{}, fmt.Errorf("%w: created_at %q is not RFC 3339", orders.ErrBadOrder, e.Created)
	}
	o := orders.Order{ID: e.OrderID, Customer: e.Customer, Created: at, Amount: orders.Cents(*e.Amount), Refunded: orders.Cents(e.Refunded),
		Currency: e.Currency, Status: orders.Status(e.Status)}
	c := orders.Contact{Email: e.Email, EmailVerified: e.EmailVerified, Phone: e.Phone, PhoneVerified: e.PhoneVerified, LinkCode: e.LinkCode}
	return o, c, o.Validate()
}

// jsonProblem says what is wrong with a JSON body in the sender's terms
// (the field and the JSON type it needs), not in Go's.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		want := jsonKind(te.Type.Kind().String())
		if want == "number" && strings.HasPrefix(te.Value, "number") {
			return fmt.Sprintf("field %s: the number is not one it can hold", te.Field)
		}
		got, _, _ := strings.Cut(te.Value, " ")
		return fmt.Sprintf("field %s: want %s, got %s", te.Field, withArticle(want), withArticle(got))
	case errors.As(err, &se):
		return fmt.Sprintf("the body is not valid JSON (at byte %d)", se.Offset)
	}
	return "the body is not a JSON object of an order event"
}

// jsonKind names a Go kind as the JSON type that decodes into it.
func jsonKind(k string) string {
	switch {
	case k == "string":
		return "string"
	case k == "bool":
		return "boolean"
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	}
	return k
}

// withArticle puts "a" or "an" before a JSON type's name.
func withArticle(name string) string {
	if name != "" && strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}
