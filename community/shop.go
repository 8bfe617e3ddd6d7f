package community

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// WithOrders connects the shop: members link their shop account, and
// managers see segments and customer value.
func WithOrders(s *orders.Service) Option { return func(c *Community) { c.orders = s } }

// UnlinkShop removes a member's shop links, as a manager (so another
// member can link that customer), and takes back the points those
// customers' orders earned the member (orders.Service.Unlink). It returns a
// *ForbiddenError below manager. It is audited: done, with the points taken
// back as the entry's Amount and Effect, or refused when the member had no
// shop link. When taking the points back stops midway, the links are gone
// and the orders marked: the error is returned with what was done, and the
// orders' Resume finishes the rest at start-up.
func (c *Community) UnlinkShop(ctx context.Context, actor Actor, member uint64) (orders.UnlinkResult, error) {
	if err := actor.require("shop unlink", bots.RoleManager); err != nil {
		return orders.UnlinkResult{}, err
	}
	m, err := c.members.Get(ctx, member)
	if err != nil {
		return orders.UnlinkResult{}, fmt.Errorf("shop unlink member %d: %w", member, err)
	}
	res, uerr := c.orders.Unlink(ctx, m.ID, m.Merged...)
	if uerr != nil && len(res.Customers) == 0 {
		return res, uerr
	}
	e := actor.entry("shop", m.ID)
	e.Args = map[string]string{"unlink": strings.Join(res.Customers, ",")}
	if len(res.Customers) == 0 {
		e.Outcome, e.Note = OutcomeRefused, "no shop account linked"
	} else {
		e.Amount = res.Taken
		e.Effect = fmt.Sprintf("points taken back: %d", res.Taken)
		if res.Short > 0 {
			e.Effect += fmt.Sprintf(", already spent: %d", res.Short)
		}
		if uerr != nil {
			e.Note = "interrupted while taking points back (finished at start-up): " + uerr.Error()
		}
	}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return res, errors.Join(uerr, err)
	}
	return res, uerr
}

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
