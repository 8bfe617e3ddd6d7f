package community

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// WithOrders connects the shop: members link their shop account, and
// managers see segments and customer value.
func WithOrders(s *orders.Service) Option { return func(c *Community) { c.orders = s } }

// Insights is the shop's RFM scoring and fitted models at one moment.
type Insights struct {
	At        time.Time
	Summaries []insights.Summary
	RFM       []insights.RFM // same order as Summaries
	BG        insights.BGNBD
	GG        insights.GammaGamma
	ModelErr  error // why the models could not be fitted (too few repeat customers)
}

// insightsTTL is how long an analysis serves before it is recomputed.
const insightsTTL = 10 * time.Minute

// syncFitCustomers is the default Config.SyncFitCustomers: the most
// customers whose models ShopInsights fits before it answers; above it
// the fit runs in the background (it takes seconds on a large shop) and
// answers carry the last fit meanwhile.
const syncFitCustomers = 5_000

// ErrModelPending is the ModelErr of an analysis whose models are being
// fitted in the background for the first time.
var ErrModelPending = errors.New("community: the customer value models are being fitted")

// insightsMemo keeps the last shop analysis and the last model fit. It is
// safe for concurrent use.
type insightsMemo struct {
	mu      sync.Mutex
	last    *Insights
	model   *fit // the newest fit, nil before the first
	fitting bool // a background fit runs
}

// fit is one fit of the models.
type fit struct {
	at  time.Time
	bg  insights.BGNBD
	gg  insights.GammaGamma
	err error
}

// fitModels fits the models to summaries.
func fitModels(at time.Time, ss []insights.Summary) *fit {
	f := &fit{at: at}
	if f.bg, f.err = insights.FitBGNBD(ss); f.err == nil {
		f.gg, f.err = insights.FitGammaGamma(ss)
	}
	return f
}

// ShopInsights returns the shop analysis, recomputed at most every ten
// minutes from the customers' totals (no order is read). The models are
// refitted with it: before answering for a small shop, in the background
// for a large one, whose answers carry the previous fit until then
// (ModelErr is ErrModelPending before the first).
func (c *Community) ShopInsights(ctx context.Context) (*Insights, error) {
	now := c.now()
	m := &c.insights
	m.mu.Lock()
	cached := m.last
	m.mu.Unlock()
	if cached != nil && now.Sub(cached.At) < insightsTTL {
		return cached, nil
	}
	ss, err := c.orders.Summaries(ctx, now)
	if err != nil {
		return nil, err
	}
	a := &Insights{At: now, Summaries: ss, RFM: insights.Score(ss, now)}
	if len(ss) <= c.cfg.SyncFitCustomers {
		f := fitModels(now, ss)
		a.BG, a.GG, a.ModelErr = f.bg, f.gg, f.err
		m.mu.Lock()
		m.last, m.model = a, f
		m.mu.Unlock()
		return a, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.model != nil {
		a.BG, a.GG, a.ModelErr = m.model.bg, m.model.gg, m.model.err
	} else {
		a.ModelErr = ErrModelPending
	}
	if !m.fitting && (m.model == nil || now.Sub(m.model.at) >= insightsTTL) {
		m.fitting = true
		go func() {
			f := fitModels(now, ss)
			if f.err != nil {
				c.log.Warn("customer value models not fitted", "customers", len(ss), "err", f.err)
			}
			m.mu.Lock()
			m.model, m.fitting = f, false
			m.last = nil // the next call builds an analysis with this fit
			m.mu.Unlock()
		}()
	}
	m.last = a
	return a, nil
}
