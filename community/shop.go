package community

import (
	"context"
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

// insightsTTL is how long an analysis serves before it is recomputed:
// fitting the models takes seconds on a large shop.
const insightsTTL = 10 * time.Minute

// insightsMemo keeps the last shop analysis. It is safe for concurrent use.
type insightsMemo struct {
	mu   sync.Mutex
	last *Insights
}

// ShopInsights returns the shop analysis, recomputed at most every ten
// minutes.
func (c *Community) ShopInsights(ctx context.Context) (*Insights, error) {
	now := c.now()
	c.insights.mu.Lock()
	cached := c.insights.last
	c.insights.mu.Unlock()
	if cached != nil && now.Sub(cached.At) < insightsTTL {
		return cached, nil
	}
	ps, err := c.orders.Purchases(ctx)
	if err != nil {
		return nil, err
	}
	a := &Insights{At: now, Summaries: insights.Summarize(ps, now)}
	a.RFM = insights.Score(a.Summaries, now)
	if a.BG, a.ModelErr = insights.FitBGNBD(a.Summaries); a.ModelErr == nil {
		a.GG, a.ModelErr = insights.FitGammaGamma(a.Summaries)
	}
	c.insights.mu.Lock()
	c.insights.last = a
	c.insights.mu.Unlock()
	return a, nil
}
