// Package orders brings the brand's shop into loyalbot: order events from a
// signed webhook or a CSV import, customers linked to members, points for
// paid orders (pending through the return window), and refunds that take
// them back. Every effect is keyed by the order, so a redelivered event or
// a re-imported file changes nothing.
package orders

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/insights"
	bolt "go.etcd.io/bbolt"
)

// Status is an order's payment state.
type Status string

// Order statuses.
const (
	Paid      Status = "paid"
	Refunded  Status = "refunded"
	Cancelled Status = "cancelled"
)

// Order is one order as the shop reports it. Amounts are in cents.
type Order struct {
	ID       string    `json:"order_id"`
	Customer string    `json:"customer_id"`
	Created  time.Time `json:"created_at"`
	Amount   int64     `json:"amount"`             // cents
	Refunded int64     `json:"refunded,omitempty"` // cents refunded so far
	Currency string    `json:"currency,omitempty"`
	Status   Status    `json:"status"`
}

// Errors for bad orders; nothing is written when one is returned.
var (
	ErrBadOrder = errors.New("orders: bad order")
	// ErrUnknown is returned for a link code or contact that matches no customer.
	ErrUnknown = errors.New("orders: unknown customer code or contact")
)

// Validate returns an error wrapping ErrBadOrder with the reason.
func (o Order) Validate() error {
	switch {
	case o.ID == "" || len(o.ID) > 128:
		return fmt.Errorf("%w: order_id missing or too long", ErrBadOrder)
	case o.Customer == "" || len(o.Customer) > 128:
		return fmt.Errorf("%w: customer_id missing or too long", ErrBadOrder)
	case o.Created.IsZero():
		return fmt.Errorf("%w: created_at missing", ErrBadOrder)
	case o.Amount < 0 || o.Refunded < 0 || o.Refunded > o.Amount:
		return fmt.Errorf("%w: amount %d, refunded %d", ErrBadOrder, o.Amount, o.Refunded)
	case o.Status != Paid && o.Status != Refunded && o.Status != Cancelled:
		return fmt.Errorf("%w: status %q (want paid, refunded or cancelled)", ErrBadOrder, o.Status)
	}
	return nil
}

// Ledger is what orders needs from the points ledger; *loyalty.Ledger is one.
type Ledger interface {
	Post(ctx context.Context, p loyalty.Posting) (loyalty.Receipt, error)
	Hold(ctx context.Context, key string, a loyalty.AccountID, amount int64, ttl time.Duration, reason string) (loyalty.Hold, error)
	Void(ctx context.Context, key string, holdID uint64) (loyalty.Hold, error)
	EntryByKey(ctx context.Context, key string) (loyalty.Entry, error)
	Import(ctx context.Context, ps []loyalty.Posting) ([]loyalty.Receipt, []error, error)
}

// Config configures the service. A zero field means "use the default".
type Config struct {
	// PointsPerUnit is points per currency unit spent, before the tier
	// multiplier. Default 1.
	PointsPerUnit int64 `yaml:"points_per_unit"`
	// ReturnWindow keeps purchase points pending (held) this long. Default
	// 14 days; negative: spendable at once.
	ReturnWindow time.Duration `yaml:"return_window"`
	// Salt salts the hashes of e-mail addresses and phone numbers.
	Salt string           `yaml:"-"`
	Now  func() time.Time `yaml:"-"`
}

var (
	bucketOrders   = []byte("orders.orders")    // order id → Order
	bucketLinks    = []byte("orders.customers") // customer id → member id
	bucketContacts = []byte("orders.contacts")  // salted hash of e-mail/phone, or link code → customer id
)

// Service is the shop integration. It is safe for concurrent use.
type Service struct {
	db     *bolt.DB
	ledger Ledger
	cfg    Config
	log    *slog.Logger
}

// New creates the orders buckets in db.
func New(db *bolt.DB, ledger Ledger, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.PointsPerUnit == 0 {
		cfg.PointsPerUnit = 1
	}
	if cfg.ReturnWindow == 0 {
		cfg.ReturnWindow = 14 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketOrders, bucketLinks, bucketContacts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	return &Service{db: db, ledger: ledger, cfg: cfg, log: log.With("component", "orders")}, nil
}

// Contact carries an order's optional e-mail or phone. Only a salted hash
// is kept: the raw values are never stored.
type Contact struct {
	Email, Phone string
	LinkCode     string // a one-time code the shop showed the customer
}

func (s *Service) contactKey(kind, v string) []byte {
	v = strings.ToLower(strings.TrimSpace(v))
	if kind == "phone" {
		v = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
	}
	sum := sha256.Sum256([]byte(s.cfg.Salt + "\x00" + kind + "\x00" + v))
	return []byte(kind + ":" + hex.EncodeToString(sum[:16]))
}

// Ingest records an order event and applies its effect on points. It is
// idempotent: the same event again changes nothing. A paid order of a
// linked customer earns points, held for the return window; a refund or
// cancellation takes back the refunded share.
func (s *Service) Ingest(ctx context.Context, o Order, c Contact) error {
	if err := o.Validate(); err != nil {
		return err
	}
	member, err := s.store([]Order{o}, []Contact{c})
	if err != nil {
		return err
	}
	if member[0] == 0 {
		return nil // not linked yet: points are paid when the customer links
	}
	return s.settle(ctx, member[0], o)
}

// store writes orders and contacts in one transaction and returns each
// order's linked member (0 for none).
func (s *Service) store(os []Order, cs []Contact) ([]uint64, error) {
	members := make([]uint64, len(os))
	err := s.db.Update(func(tx *bolt.Tx) error {
		ob, lb, cb := tx.Bucket(bucketOrders), tx.Bucket(bucketLinks), tx.Bucket(bucketContacts)
		for i, o := range os {
			if old := ob.Get([]byte(o.ID)); old != nil {
				var prev Order
				if json.Unmarshal(old, &prev) == nil && prev.Refunded > o.Refunded {
					o.Refunded = prev.Refunded // a refund is never undone by an older event
				}
			}
			v, err := json.Marshal(o)
			if err != nil {
				return err
			}
			if err := ob.Put([]byte(o.ID), v); err != nil {
				return err
			}
			if i < len(cs) {
				for kind, val := range map[string]string{"email": cs[i].Email, "phone": cs[i].Phone, "code": cs[i].LinkCode} {
					if val != "" {
						if err := cb.Put(s.contactKey(kind, val), []byte(o.Customer)); err != nil {
							return err
						}
					}
				}
			}
			if v := lb.Get([]byte(o.Customer)); len(v) == 8 {
				members[i] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	return members, err
}

// points returns the base points an order amount (cents) earns.
func (s *Service) points(cents int64) int64 { return cents / 100 * s.cfg.PointsPerUnit }

// settle brings member's points for order o in line with its state.
func (s *Service) settle(ctx context.Context, member uint64, o Order) error {
	acct := loyalty.Member(member)
	earnKey := "order:" + o.ID
	base := s.points(o.Amount)
	if base <= 0 {
		return nil
	}
	rc, err := s.ledger.Post(ctx, loyalty.Posting{Key: earnKey, From: loyalty.Issuance("orders"), To: acct, Amount: base,
		Reason: "order " + o.ID, Multiply: true, Spend: o.Amount / 100})
	if err != nil {
		return fmt.Errorf("points for order %s: %w", o.ID, err)
	}
	earned := rc.Entry.Amount
	var hold loyalty.Hold
	if s.cfg.ReturnWindow > 0 {
		ttl := o.Created.Add(s.cfg.ReturnWindow).Sub(s.cfg.Now())
		if ttl > 0 {
			if hold, err = s.ledger.Hold(ctx, "order-pending:"+o.ID, acct, earned, ttl, "return window of order "+o.ID); err != nil && !errors.Is(err, loyalty.ErrInsufficientFunds) {
				return fmt.Errorf("hold points of order %s: %w", o.ID, err)
			}
		}
	}
	refunded := o.Refunded
	if o.Status == Cancelled || o.Status == Refunded && refunded == 0 {
		refunded = o.Amount
	}
	if refunded == 0 {
		return nil
	}
	take := int64(math.Round(float64(earned) * float64(refunded) / float64(o.Amount)))
	if hold.ID != 0 {
		if _, err := s.ledger.Void(ctx, "order-release:"+o.ID, hold.ID); err != nil && !errors.Is(err, loyalty.ErrHoldResolved) {
			return fmt.Errorf("release points of order %s: %w", o.ID, err)
		}
	}
	if take <= 0 {
		return nil
	}
	_, err = s.ledger.Post(ctx, loyalty.Posting{Key: "order-refund:" + o.ID + ":" + strconv.FormatInt(refunded, 10), From: acct,
		To: loyalty.Issuance("orders"), Amount: take, Reason: "refund of order " + o.ID, Spend: refunded / 100})
	var short *loyalty.InsufficientFundsError
	if errors.As(err, &short) {
		s.log.WarnContext(ctx, "refund could not take back spent points", "order", o.ID, "member", member, "missing", short.Missing())
		return nil
	}
	if err != nil {
		return fmt.Errorf("take back points of order %s: %w", o.ID, err)
	}
	return nil
}

// Link joins a shop customer to a member, found by a one-time code the shop
// showed or by the e-mail address or phone number the member typed. Paid
// orders the customer already has earn their points now. It returns the
// customer id, or ErrUnknown.
func (s *Service) Link(ctx context.Context, member uint64, proof string) (string, error) {
	var customer string
	err := s.db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketContacts)
		for _, kind := range []string{"code", "email", "phone"} {
			if v := cb.Get(s.contactKey(kind, proof)); v != nil {
				customer = string(v)
				if kind == "code" {
					if err := cb.Delete(s.contactKey(kind, proof)); err != nil { // one-time
						return err
					}
				}
				break
			}
		}
		if customer == "" {
			return ErrUnknown
		}
		return tx.Bucket(bucketLinks).Put([]byte(customer), binary.BigEndian.AppendUint64(nil, member))
	})
	if err != nil {
		return "", err
	}
	for _, o := range s.Orders(ctx, customer) {
		if err := s.settle(ctx, member, o); err != nil {
			return customer, err
		}
	}
	return customer, nil
}

// CustomerOf returns the shop customer linked to member, if any.
func (s *Service) CustomerOf(ctx context.Context, member uint64) (string, bool) {
	for customer, m := range s.Links(ctx) {
		if m == member {
			return customer, true
		}
	}
	return "", false
}

// Unlink removes every link between shop customers and member (for a
// member erasing their data). The orders stay, keyed by the shop's ids.
func (s *Service) Unlink(ctx context.Context, member uint64) error {
	want := binary.BigEndian.AppendUint64(nil, member)
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLinks)
		var keys [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			if bytes.Equal(v, want) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Links returns every linked customer's member.
func (s *Service) Links(ctx context.Context) map[string]uint64 {
	out := map[string]uint64{}
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLinks).ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[string(k)] = binary.BigEndian.Uint64(v)
			}
			return nil
		})
	})
	return out
}

// Orders returns a customer's orders ("" for everyone's).
func (s *Service) Orders(ctx context.Context, customer string) []Order {
	var out []Order
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOrders).ForEach(func(_, v []byte) error {
			var o Order
			if json.Unmarshal(v, &o) == nil && (customer == "" || o.Customer == customer) {
				out = append(out, o)
			}
			return nil
		})
	})
	return out
}

// Purchases returns the paid part of every order, for insights.
func (s *Service) Purchases(ctx context.Context) []insights.Purchase {
	var out []insights.Purchase
	for _, o := range s.Orders(ctx, "") {
		net := o.Amount - o.Refunded
		if o.Status == Cancelled || o.Status == Refunded && o.Refunded == 0 {
			net = 0 // wholly refunded or cancelled
		}
		if net > 0 {
			out = append(out, insights.Purchase{Customer: o.Customer, At: o.Created, Amount: float64(net) / 100})
		}
	}
	return out
}

// Sign returns the webhook signature of body at timestamp ts: hex
// HMAC-SHA256 over "<ts>.<body>" with the shared secret.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
