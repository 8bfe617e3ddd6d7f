// Package orders brings the brand's shop into loyalbot: order events from a
// signed webhook or a CSV import, customers linked to members, points for
// paid orders (held through the return window), and refunds that take back
// their share.
//
// # Settlement
//
// Every order a linked customer places has a settlement record: which
// member earned its points, how many, the hold that keeps them pending, and
// how much of them refunds took back. Storing an order that needs work
// marks it unsettled in the same transaction; settling then runs steps that
// are each idempotent (keyed "order:<id>", "order-refund:<id>:<refunded>")
// and clears the mark. A crash between steps leaves the mark, and Resume —
// run at start-up — finishes the job, so no order is ever half-paid.
//
// A manager's unlink takes the points of the member's customers' orders
// back: it removes the links and, in the same transaction, marks each order
// unsettled with a revocation on its settlement. Settling then takes back
// what refunds left (out of the hold while the return window is open, else
// out of what the member has, recording a shortfall) under
// "order-unlink:<id>", and opens the order's next round. The member who
// links the customer next is paid afresh under the round's own keys
// ("order#1:<id>", "order-refund#1:<id>:<refunded>", ...), and later refunds
// take back from them.
//
// A redelivered event changes nothing. A refund takes back only what it
// adds to the refunds before it: refunding 30 and then 50 of 100 takes 50%
// of the points in all. Inside the return window the share comes out of the
// order's own hold; after it, out of the member's available points (what
// they already spent is recorded as a shortfall, never overdrawn).
//
// An import settles its orders a batch at a time: the batch's rows and
// their marks in one transaction, the credits in one ledger Import (or, for
// points held through the return window, posted side by side so the
// ledger commits them in groups), and the settlements in one more
// transaction. The keys are the same as one order at a time, so Resume
// finishes a batch a crash interrupted.
//
// # Storage
//
// The rules are written once, against Store (store.go): transactions of
// typed reads and writes, with indexes of orders by customer and of
// customers by member. loyalty/orders/bolt keeps them in bbolt;
// orderstest.StoreSuite is what any Store must pass.
package orders

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/insights"
)

// Status is an order's payment state.
type Status string

// Order statuses.
const (
	Paid      Status = "paid"
	Refunded  Status = "refunded"
	Cancelled Status = "cancelled"
)

// Order is one order as the shop reports it, in the shop's currency.
// Amounts are in cents.
type Order struct {
	ID       string    `json:"order_id"`
	Customer string    `json:"customer_id"`
	Created  time.Time `json:"created_at"`
	Amount   int64     `json:"amount"`             // cents
	Refunded int64     `json:"refunded,omitempty"` // cents refunded so far
	Currency string    `json:"currency,omitempty"`
	Status   Status    `json:"status"`
	// Source is the order as sent, when it came in another currency and
	// was converted with orders.rates.
	Source *Source `json:"source,omitempty"`
}

// Source is an order's amounts in the currency the shop sent them in.
type Source struct {
	Currency string  `json:"currency"`
	Amount   int64   `json:"amount"` // cents of Currency
	Rate     float64 `json:"rate"`   // shop currency per unit of Currency
}

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
		return fmt.Errorf("%w: amount %s, refunded %s", ErrBadOrder, Units(o.Amount), Units(o.Refunded))
	case o.Status != Paid && o.Status != Refunded && o.Status != Cancelled:
		return fmt.Errorf("%w: status %q (want paid, refunded or cancelled)", ErrBadOrder, o.Status)
	}
	return nil
}

// Units formats cents as currency units: -1000 is "-10.00".
func Units(cents int64) string {
	sign, u := "", uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-(cents+1))+1
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// refundTotal is how much of the order is refunded: all of it when
// cancelled, or refunded without an amount.
func (o Order) refundTotal() int64 {
	if o.Status == Cancelled || o.Status == Refunded && o.Refunded == 0 {
		return o.Amount
	}
	return o.Refunded
}

// Ledger is what orders needs from the points ledger; *loyalty.Ledger is one.
// Import applies many postings (without holds) in one transaction, each
// idempotent on its key as with Post; settling an import's orders uses it.
type Ledger interface {
	Post(ctx context.Context, p loyalty.Posting) (loyalty.Receipt, error)
	Import(ctx context.Context, ps []loyalty.Posting) ([]loyalty.Receipt, []error, error)
	CapturePart(ctx context.Context, c loyalty.PartialCapture) (loyalty.Receipt, error)
	EntryByKey(ctx context.Context, key string) (loyalty.Entry, error)
	Balance(ctx context.Context, a loyalty.AccountID) (loyalty.Balance, error)
	HoldByID(ctx context.Context, id uint64) (loyalty.Hold, error)
}

// Config configures the service. A zero field means "use the default".
type Config struct {
	// PointsPerUnit is points per currency unit spent, before the tier
	// multiplier. Default 1.
	PointsPerUnit int64 `yaml:"points_per_unit"`
	// ReturnWindow keeps purchase points pending (held) this long after the
	// order. Default 14 days; negative: spendable at once.
	ReturnWindow time.Duration `yaml:"return_window"`
	// MaxAmount is the largest order taken, in currency units. Default 1,000,000.
	MaxAmount int64 `yaml:"max_amount"`
	// Currency is the shop's currency. Default CNY.
	Currency string `yaml:"currency"`
	// Rates converts other currencies: units of Currency per unit of each.
	// An order in a currency not listed is refused.
	Rates map[string]float64 `yaml:"rates"`
	// MaxAgeDays: orders older than this are stored for insights but earn
	// no points (an import of old history pays nothing today). Default 365.
	MaxAgeDays int `yaml:"max_age_days"`

	// Salt salts the hashes of e-mail addresses and phone numbers.
	Salt string           `yaml:"-"`
	Now  func() time.Time `yaml:"-"`
	// StepHook, if set, is called between the steps of a settlement with
	// ("settle", step), and of a manager's unlink with ("unlink", step); an
	// error stops the operation there as a crash would. For tests of
	// resumption.
	StepHook func(op string, step int) error `yaml:"-"`
}

// DefaultConfig returns the defaults for zero fields.
func DefaultConfig() Config {
	return Config{PointsPerUnit: 1, ReturnWindow: 14 * 24 * time.Hour, MaxAmount: 1_000_000, Currency: "CNY", MaxAgeDays: 365, Now: time.Now}
}

// Service is the shop integration: it takes orders (Ingest, Import),
// links customers to members (Link, Unlink, Merge) and answers what the
// shop data holds. Settling orders' points is its settler's job. It is
// safe for concurrent use.
type Service struct {
	store   Store
	ledger  Ledger
	cfg     Config
	log     *slog.Logger
	settler *settler
}

// New returns the shop integration on store, paying points through
// ledger. It does no I/O; it returns an error for a rate in cfg.Rates that
// is not a positive number.
func New(store Store, ledger Ledger, cfg Config, log *slog.Logger) (*Service, error) {
	def := DefaultConfig()
	if cfg.PointsPerUnit == 0 {
		cfg.PointsPerUnit = def.PointsPerUnit
	}
	if cfg.ReturnWindow == 0 {
		cfg.ReturnWindow = def.ReturnWindow
	}
	if cfg.MaxAmount == 0 {
		cfg.MaxAmount = def.MaxAmount
	}
	if cfg.Currency == "" {
		cfg.Currency = def.Currency
	}
	cfg.Currency = strings.ToUpper(cfg.Currency)
	if cfg.MaxAgeDays == 0 {
		cfg.MaxAgeDays = def.MaxAgeDays
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	rates := map[string]float64{}
	for c, r := range cfg.Rates {
		if r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			return nil, fmt.Errorf("orders.rates.%s: %v is not a positive rate", c, r)
		}
		rates[strings.ToUpper(c)] = r
	}
	cfg.Rates = rates
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "orders")
	return &Service{store: store, ledger: ledger, cfg: cfg, log: log,
		settler: &settler{store: store, ledger: ledger, cfg: cfg, log: log}}, nil
}

// Contact carries an order's optional e-mail or phone. Only a salted hash
// is kept: the raw values are never stored.
type Contact struct {
	Email, Phone string
	// EmailVerified and PhoneVerified say the shop confirmed the address or
	// number belongs to the customer; only a verified one links a member.
	EmailVerified, PhoneVerified bool
	LinkCode                     string // a one-time code the shop showed the customer
}

// IngestResult says what Ingest did.
type IngestResult struct {
	Order   Order // as stored
	Changed bool  // false for an event that repeated what was known
	Member  uint64
}

// Ingest records an order event and applies its effect on points. It is
// idempotent: the same event again changes nothing. A paid order of a
// linked customer earns points, held through the return window; a refund
// or cancellation takes back the share it adds. It returns an error
// wrapping ErrBadOrder or ErrOutOfBounds for an order it refuses, and a
// *ConflictError for an id stored with other fixed fields; nothing is
// written then.
func (s *Service) Ingest(ctx context.Context, o Order, c Contact) (IngestResult, error) {
	if err := s.normalize(&o); err != nil {
		return IngestResult{}, err
	}
	mu := s.settler.lock(o.ID)
	mu.Lock()
	defer mu.Unlock()
	res, err := s.put(ctx, []Order{o}, []Contact{c})
	if err != nil {
		return IngestResult{}, err
	}
	if res[0].settle {
		if err := s.settler.settle(ctx, o.ID); err != nil {
			return res[0].IngestResult, err
		}
	}
	return res[0].IngestResult, nil
}

// normalize validates o, converts it to the shop's currency and checks its
// bounds.
func (s *Service) normalize(o *Order) error {
	if err := o.Validate(); err != nil {
		return err
	}
	cur := strings.ToUpper(strings.TrimSpace(o.Currency))
	if cur == "" {
		cur = s.cfg.Currency
	}
	if cur != s.cfg.Currency {
		rate, ok := s.cfg.Rates[cur]
		if !ok {
			return fmt.Errorf("%w: currency %s is not the shop's (%s) and orders.rates has no rate for it", ErrOutOfBounds, cur, s.cfg.Currency)
		}
		o.Source = &Source{Currency: cur, Amount: o.Amount, Rate: rate}
		o.Amount, o.Refunded = convert(o.Amount, rate), convert(o.Refunded, rate)
		if o.Refunded > o.Amount {
			o.Refunded = o.Amount
		}
	}
	o.Currency = s.cfg.Currency
	switch now := s.cfg.Now(); {
	case o.Amount > s.cfg.MaxAmount*100:
		return fmt.Errorf("%w: amount %.2f %s is above orders.max_amount (%d)", ErrOutOfBounds, float64(o.Amount)/100, o.Currency, s.cfg.MaxAmount)
	case o.Created.After(now.Add(24 * time.Hour)):
		return fmt.Errorf("%w: created_at %s is more than a day in the future", ErrOutOfBounds, o.Created.Format(time.RFC3339))
	}
	return nil
}

func convert(cents int64, rate float64) int64 { return int64(math.Round(float64(cents) * rate)) }

type stored struct {
	IngestResult
	settle bool // the order has settlement work to do
}

// put writes orders and contacts in one transaction, merging each with
// what was stored (a refund only ever grows), and marks orders that need
// settling in that transaction. It refuses the whole batch on a conflict.
func (s *Service) put(ctx context.Context, os []Order, cs []Contact) ([]stored, error) {
	out := make([]stored, len(os))
	err := s.store.Update(ctx, func(tx Tx) error {
		paid := paidDays{tx: tx}
		for i, o := range os {
			changed := true
			prev, found, err := tx.Order(o.ID)
			if err != nil {
				return err
			}
			if found {
				if err := conflict(prev, o); err != nil {
					return err
				}
				o, changed = mergeOrder(prev, o)
			}
			if changed {
				if err := tx.PutOrder(o); err != nil {
					return err
				}
				var was *Order
				if found {
					was = &prev
				}
				if err := paid.change(was, o); err != nil {
					return err
				}
			}
			if i < len(cs) {
				if err := s.putContacts(tx, o.Customer, cs[i]); err != nil {
					return err
				}
			}
			member, _, err := tx.Link(o.Customer)
			if err != nil {
				return err
			}
			st, settled, err := tx.Settlement(o.ID)
			if err != nil {
				return err
			}
			claimed := settled && st.Member != 0
			if claimed {
				member = st.Member // the round's points stay with whoever earned them
			}
			need := member != 0 && (changed || !claimed)
			if need {
				if err := tx.MarkUnsettled(o.ID, member); err != nil {
					return err
				}
			}
			out[i] = stored{IngestResult: IngestResult{Order: o, Changed: changed, Member: member}, settle: need}
		}
		return paid.put()
	})
	return out, err
}

// conflict reports an event that changes an order's fixed fields.
func conflict(prev, o Order) error {
	cur := func(o Order) (string, int64) {
		if o.Source != nil {
			return o.Source.Currency, o.Source.Amount
		}
		return o.Currency, o.Amount
	}
	pc, pa := cur(prev)
	oc, oa := cur(o)
	switch {
	case prev.Customer != o.Customer:
		return &ConflictError{Order: o.ID, Field: "customer_id", Stored: prev.Customer, Got: o.Customer}
	case pc != oc:
		return &ConflictError{Order: o.ID, Field: "currency", Stored: pc, Got: oc}
	case pa != oa:
		return &ConflictError{Order: o.ID, Field: "amount", Stored: fmt.Sprintf("%.2f", float64(pa)/100), Got: fmt.Sprintf("%.2f", float64(oa)/100)}
	case !prev.Created.Equal(o.Created):
		return &ConflictError{Order: o.ID, Field: "created_at", Stored: prev.Created.Format(time.RFC3339), Got: o.Created.Format(time.RFC3339)}
	}
	return nil
}

// mergeOrder applies event o to the stored prev: refunds only grow, and a
// cancellation is final, whatever order the events arrive in.
func mergeOrder(prev, o Order) (Order, bool) {
	next := prev
	if r := o.refundTotal(); r > prev.refundTotal() {
		next.Refunded = r
		next.Status = Refunded
	}
	if o.Status == Cancelled {
		next.Status, next.Refunded = Cancelled, prev.Amount
	}
	return next, next.Status != prev.Status || next.Refunded != prev.Refunded
}

// Orders returns a customer's orders, through the index by customer.
func (s *Service) Orders(ctx context.Context, customer string) ([]Order, error) {
	var out []Order
	err := s.store.View(ctx, func(tx ReadTx) (err error) {
		out, err = ordersOf(tx, customer)
		return err
	})
	return out, err
}

// ordersOf reads customer's orders through the index by customer.
func ordersOf(tx ReadTx, customer string) ([]Order, error) {
	ids, err := orderIDsOf(tx, customer)
	if err != nil {
		return nil, err
	}
	out := make([]Order, 0, len(ids))
	for _, id := range ids {
		o, ok, err := tx.Order(id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("customer %s's index names missing order %s", customer, id)
		}
		out = append(out, o)
	}
	return out, nil
}

// Order returns one order, and false when it is unknown.
func (s *Service) Order(ctx context.Context, id string) (Order, bool, error) {
	var o Order
	var found bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		o, found, err = tx.Order(id)
		return err
	})
	return o, found, err
}

// Purchases returns the paid part of every order, for insights.
func (s *Service) Purchases(ctx context.Context) ([]insights.Purchase, error) {
	var out []insights.Purchase
	err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.Orders(func(o Order) error {
			if p, ok := o.purchase(); ok {
				out = append(out, p)
			}
			return nil
		})
	})
	return out, err
}

// purchase is the paid part of o; ok is false when nothing is left paid.
func (o Order) purchase() (p insights.Purchase, ok bool) {
	net := o.Amount - o.refundTotal()
	return insights.Purchase{Customer: o.Customer, At: o.Created, Amount: float64(net) / 100}, net > 0
}

// Summaries returns every paying customer's summary as of end, from the
// PaidDays kept per customer: it reads no orders. Customers whose first
// purchase is after end are left out. The result is sorted by customer.
func (s *Service) Summaries(ctx context.Context, end time.Time) ([]insights.Summary, error) {
	var out []insights.Summary
	err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.AllPaidDays(func(p PaidDays) error {
			if t, ok := p.Totals(); ok && !t.First.After(end) {
				out = append(out, t.Summary(end))
			}
			return nil
		})
	})
	return out, err
}

// paidDays keeps the customers' PaidDays in step with the orders one
// transaction writes: each change takes the order's old paid part away and
// adds its new one; put writes them all at the end.
type paidDays struct {
	tx Tx
	by map[string]*PaidDays
}

func (p *paidDays) change(prev *Order, next Order) error {
	if p.by == nil {
		p.by = map[string]*PaidDays{}
	}
	pd := p.by[next.Customer]
	if pd == nil {
		got, _, err := p.tx.PaidDays(next.Customer)
		if err != nil {
			return err
		}
		got.Customer = next.Customer
		pd = &got
		p.by[next.Customer] = pd
	}
	if prev != nil {
		pd.add(*prev, -1)
	}
	pd.add(next, 1)
	return nil
}

func (p *paidDays) put() error {
	for _, c := range slices.Sorted(maps.Keys(p.by)) {
		if err := p.tx.PutPaidDays(*p.by[c]); err != nil {
			return err
		}
	}
	return nil
}

// Cents converts currency units to cents; amounts too large for an int64
// become a huge amount that the bounds check refuses, not a wrapped one,
// and NaN becomes -1, which Validate refuses.
func Cents(v float64) int64 {
	c := math.Round(v * 100)
	switch {
	case math.IsNaN(c):
		return -1
	case c > 1e18:
		return 1e18
	case c < -1e18:
		return -1e18
	}
	return int64(c)
}
