package community

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Lifecycle holds the campaigns' use cases: running them, what managers
// see and do with them, and what members set for them (consent,
// notifications, birthday, survey answers). It wraps the campaign engine
// with the community's members, ledger and voice.
type Lifecycle struct {
	*Mailing // the e-mail channel

	c      *Community
	engine *campaign.Engine
	email  *Email // nil: no e-mail channel
	hooks  *campaign.Hooks
	rules  campaign.Config // the guard rails, for telling members
}

// Rules returns the marketing cap per week (negative: none) and the quiet
// hours as "21:00", "09:00" (empty: none), as members are told them.
func (l *Lifecycle) Rules() (perWeek int, quietFrom, quietTo string) {
	r := l.rules
	if r.QuietStart != r.QuietEnd {
		hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
		quietFrom, quietTo = hm(r.QuietStart), hm(r.QuietEnd)
	}
	return r.MarketingPerWeek, quietFrom, quietTo
}

// NewLifecycle builds the campaign engine over store for c (cfg's Zone,
// Now and Log default to the community's) and loads the campaigns.
func NewLifecycle(ctx context.Context, c *Community, store campaign.Store, cfg campaign.Config) (*Lifecycle, error) {
	if cfg.Zone == nil {
		cfg.Zone = c.loc
	}
	if cfg.Now == nil {
		cfg.Now = c.now
	}
	if cfg.Log == nil {
		cfg.Log = c.log
	}
	l := &Lifecycle{c: c}
	l.Mailing = &Mailing{Lifecycle: l}
	e, err := campaign.New(store, audience{c}, campaignPoints{c}, voice{c}, cfg)
	if err != nil {
		return nil, err
	}
	if err := e.Load(ctx); err != nil {
		return nil, err
	}
	l.engine, l.rules = e, cfg
	c.campaigns = e
	c.catalog.Add(bots.English, lifecycleEnglish)
	c.catalog.Add(bots.Chinese, lifecycleChinese)
	c.catalog.Add(bots.English, emailEnglish)
	c.catalog.Add(bots.Chinese, emailChinese)
	return l, nil
}

// WithWebhooks turns outbound webhooks on: the domain events POSTed to
// each, signed; a webhook failing for a day is disabled and the managers
// are told.
func (l *Lifecycle) WithWebhooks(hooks []campaign.Webhook, client *http.Client) *Lifecycle {
	l.hooks = campaign.NewHooks(l.engine, hooks, client, func(ctx context.Context, url, reason string) {
		l.c.tell.alert(ctx, "alert.webhook_disabled", url, reason)
	})
	return l
}

// TrackSegments publishes segment_changed for every shop-linked member
// whose RFM segment changed since the last call, with their P(alive) when
// the models are fitted. It returns how many changed.
func (l *Lifecycle) TrackSegments(ctx context.Context, now time.Time) (int, error) {
	c := l.c
	if c.orders == nil {
		return 0, nil
	}
	links, err := c.orders.Links(ctx)
	if err != nil || len(links) == 0 {
		return 0, err
	}
	ins, err := c.ShopInsights(ctx)
	if err != nil {
		return 0, err
	}
	standings := map[uint64]campaign.Standing{}
	for i, r := range ins.RFM {
		member, ok := links[r.Customer]
		if !ok {
			continue
		}
		s := campaign.Standing{Segment: r.Segment, PAlive: -1}
		if ins.ModelErr == nil {
			s.PAlive = ins.BG.PAlive(ins.Summaries[i])
		}
		if prev, ok := standings[member]; !ok || (s.PAlive > prev.PAlive) { // several shop accounts: the liveliest
			standings[member] = s
		}
	}
	return l.engine.TrackSegments(ctx, now, standings)
}

// TrimOutbox deletes handled domain events older than 30 days.
func (l *Lifecycle) TrimOutbox(ctx context.Context, now time.Time) (int, error) {
	h := l.hooks
	if h == nil {
		h = campaign.NewHooks(l.engine, nil, nil, nil)
	}
	return h.TrimOutbox(ctx, now)
}

// DeliverWebhooks POSTs what each webhook has not taken yet.
func (l *Lifecycle) DeliverWebhooks(ctx context.Context) error {
	if l.hooks == nil {
		return nil
	}
	return l.hooks.Tick(ctx)
}

// WebhookStatus is one outbound webhook as managers see it.
type WebhookStatus struct {
	URL string
	campaign.HookState
}

// Webhooks returns the outbound webhooks and their state (managers).
func (l *Lifecycle) Webhooks(ctx context.Context, actor Actor) ([]WebhookStatus, error) {
	if err := actor.require("webhooks", bots.RoleManager); err != nil {
		return nil, err
	}
	if l.hooks == nil {
		return nil, nil
	}
	sts, err := l.hooks.Status(ctx)
	out := make([]WebhookStatus, len(sts))
	for i, u := range l.hooks.URLs() {
		out[i] = WebhookStatus{URL: u, HookState: sts[i]}
	}
	return out, err
}

// ResumeWebhook enables webhook n (1-based) again (managers; audited).
func (l *Lifecycle) ResumeWebhook(ctx context.Context, actor Actor, n int) error {
	if err := actor.require("webhooks resume", bots.RoleManager); err != nil {
		return err
	}
	if l.hooks == nil {
		return campaign.ErrUnknown
	}
	if err := l.hooks.Resume(ctx, n-1); err != nil {
		return err
	}
	e := actor.entry("webhook_resume", 0)
	e.Args = map[string]string{"webhook": strconv.Itoa(n)}
	_, _, err := l.c.audit(ctx, e, 0)
	return err
}

// Engine returns the campaign engine.
func (l *Lifecycle) Engine() *campaign.Engine { return l.engine }

// Tick runs the campaigns' due work at now and sends what it queued.
func (l *Lifecycle) Tick(ctx context.Context, now time.Time) (campaign.TickReport, error) {
	return l.engine.Tick(ctx, now)
}

// Deliver sends a queued campaign message: privately on the member's
// first platform, or to the brand's group chats on it.
func (l *Lifecycle) Deliver(ctx context.Context, m campaign.Message) error {
	c := l.c
	if c.notify == nil {
		return errors.New("no notifier")
	}
	mem, err := c.members.Get(ctx, m.Member)
	if err != nil {
		return err
	}
	switch m.Email {
	case "always":
		ok, err := l.mailTo(ctx, mem, m)
		if err == nil && !ok {
			c.log.InfoContext(ctx, "campaign mail not sent: no confirmed address", "campaign", m.Campaign, "member", m.Member)
		}
		return err
	case "fallback":
		err := l.chat(ctx, mem, m)
		if err == nil {
			return nil
		}
		if ok, merr := l.mailTo(ctx, mem, m); ok || merr != nil {
			return merr
		}
		return err
	}
	return l.chat(ctx, mem, m)
}

// chat sends a campaign message in chat.
func (l *Lifecycle) chat(ctx context.Context, mem Member, m campaign.Message) error {
	c := l.c
	if len(mem.Identities) == 0 {
		return fmt.Errorf("member %d has no platform account", m.Member)
	}
	idt := mem.Identities[0]
	reply := bots.Reply{Text: m.Text, Private: !m.Group}
	if len(m.Buttons) > 0 {
		row := make([]bots.Button, 0, len(m.Buttons))
		for _, b := range m.Buttons {
			row = append(row, bots.Button{Label: b.Label, Data: b.Command})
		}
		reply.Buttons = buttonRows(row)
	}
	if !m.Group {
		return c.notify.Send(ctx, idt.Platform, bots.Address{UserID: idt.UserID}, reply)
	}
	groups, err := c.members.Chats(ctx, ChatGroup)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range groups {
		key := brandKey(g.Platform, g.ID)
		if g.Platform == bots.Discord {
			key = brandKey(g.Platform, g.Server)
		}
		if g.Platform == idt.Platform && (g.Platform == bots.Console || c.members.brand.has(key)) {
			errs = append(errs, c.notify.Send(ctx, g.Platform, bots.Address{ChatID: g.ID}, reply))
		}
	}
	return errors.Join(errs...)
}

// buttonRows lays buttons out six to a row (an 0–10 scale takes two).
func buttonRows(bs []bots.Button) [][]bots.Button {
	var rows [][]bots.Button
	for len(bs) > 6 {
		rows, bs = append(rows, bs[:6]), bs[6:]
	}
	return append(rows, bs)
}

// Report returns every campaign's status (managers).
func (l *Lifecycle) Report(ctx context.Context, actor Actor) ([]campaign.Status, error) {
	if err := actor.require("campaigns", bots.RoleManager); err != nil {
		return nil, err
	}
	return l.engine.Report(ctx)
}

// Funnel returns a campaign's status and funnel (managers).
func (l *Lifecycle) Funnel(ctx context.Context, actor Actor, id, locale string) (campaign.Status, []campaign.FunnelStep, error) {
	if err := actor.require("campaign", bots.RoleManager); err != nil {
		return campaign.Status{}, nil, err
	}
	return l.engine.Funnel(ctx, id, locale)
}

// Pause pauses or resumes a campaign (managers; audited).
func (l *Lifecycle) Pause(ctx context.Context, actor Actor, id string, paused bool) error {
	action := "campaign resume"
	if paused {
		action = "campaign pause"
	}
	if err := actor.require(action, bots.RoleManager); err != nil {
		return err
	}
	if err := l.engine.Pause(ctx, id, paused); err != nil {
		return err
	}
	e := actor.entry(strings.ReplaceAll(action, " ", "_"), 0)
	e.Args = map[string]string{"campaign": id}
	_, _, err := l.c.audit(ctx, e, 0)
	return err
}

// Preview is a campaign as it would reach the caller now.
type Preview struct {
	Size     int  // members a scan would enter now
	Sized    bool // false for event triggers
	Messages []campaign.Message
}

// Preview renders campaign id's messages for the actor and counts its
// audience (managers).
func (l *Lifecycle) Preview(ctx context.Context, actor Actor, id string) (Preview, error) {
	if err := actor.require("campaign preview", bots.RoleManager); err != nil {
		return Preview{}, err
	}
	var p Preview
	var err error
	if p.Size, p.Sized, err = l.engine.Size(ctx, id); err != nil {
		return Preview{}, err
	}
	m, ok, err := audience{l.c}.Member(ctx, actor.Member)
	if err != nil || !ok {
		return Preview{}, errors.Join(err, ErrNoMember)
	}
	p.Messages, err = l.engine.Preview(ctx, id, m)
	return p, err
}

// Test sends the actor campaign id's messages now, privately, marked as a
// test (managers; audited). Nothing else happens: no points, no run.
func (l *Lifecycle) Test(ctx context.Context, actor Actor, id string) (int, error) {
	if err := actor.require("campaign test", bots.RoleManager); err != nil {
		return 0, err
	}
	p, err := l.Preview(ctx, actor, id)
	if err != nil {
		return 0, err
	}
	for _, m := range p.Messages {
		if err := l.Deliver(ctx, m); err != nil {
			return 0, err
		}
	}
	e := actor.entry("campaign_test", actor.Member)
	e.Args = map[string]string{"campaign": id}
	_, _, err = l.c.audit(ctx, e, 0)
	return len(p.Messages), err
}

// OfferText describes a coupon's terms in locale.
func (l *Lifecycle) OfferText(ctx context.Context, locale string, cp campaign.Coupon) string {
	return voice{l.c}.Offer(ctx, locale, cp)
}

// Coupon returns a coupon an offer step gave, with its member's name
// (managers: staff checking a code a member shows).
func (l *Lifecycle) Coupon(ctx context.Context, actor Actor, code string) (campaign.Coupon, string, error) {
	if err := actor.require("coupon", bots.RoleManager); err != nil {
		return campaign.Coupon{}, "", err
	}
	cp, err := l.engine.Coupon(ctx, code)
	if err != nil {
		return cp, "", err
	}
	names, err := l.c.members.Names(ctx, []uint64{cp.Member})
	return cp, names[cp.Member], err
}

// UseCoupon marks a coupon used, once (managers; audited).
func (l *Lifecycle) UseCoupon(ctx context.Context, actor Actor, code string) (campaign.Coupon, error) {
	if err := actor.require("coupon use", bots.RoleManager); err != nil {
		return campaign.Coupon{}, err
	}
	cp, err := l.engine.UseCoupon(ctx, code, l.c.now())
	if err != nil {
		return cp, err
	}
	e := actor.entry("coupon_use", cp.Member)
	e.Args = map[string]string{"coupon": cp.Code, "campaign": cp.Campaign}
	_, _, err = l.c.audit(ctx, e, 0)
	return cp, err
}

// Survey returns a survey campaign's answers (managers).
func (l *Lifecycle) Survey(ctx context.Context, actor Actor, id string) (campaign.SurveyReport, error) {
	if err := actor.require("survey", bots.RoleManager); err != nil {
		return campaign.SurveyReport{}, err
	}
	return l.engine.Survey(ctx, id)
}

// Rate records the member's answer to a survey they were sent.
func (l *Lifecycle) Rate(ctx context.Context, member uint64, id string, score int) (campaign.Answer, error) {
	return l.engine.Answer(ctx, id, member, score)
}

// Comment adds the member's comment to their latest survey answer.
func (l *Lifecycle) Comment(ctx context.Context, member uint64, text string) error {
	id, ok, err := l.engine.LatestSurvey(ctx, member)
	if err != nil {
		return err
	}
	if !ok {
		return campaign.ErrNoAnswer
	}
	return l.engine.Comment(ctx, id, member, text)
}

// ErrBadBirthday says a birthday is not a real month and day.
var ErrBadBirthday = errors.New("community: not a month and day")

var birthdayPattern = regexp.MustCompile(`^(\d{1,2})[-/.月](\d{1,2})日?$`)

// SetBirthday stores the member's birthday from "MM-DD" (also 3/14,
// 3月14日); "off" removes it. It returns the stored "MM-DD".
func (l *Lifecycle) SetBirthday(ctx context.Context, member uint64, text string) (string, error) {
	text = strings.TrimSpace(text)
	var mmdd string
	if !strings.EqualFold(text, "off") {
		m := birthdayPattern.FindStringSubmatch(text)
		if m == nil {
			return "", ErrBadBirthday
		}
		month, _ := strconv.Atoi(m[1])
		day, _ := strconv.Atoi(m[2])
		// 2024 is a leap year: 02-29 is a birthday.
		if t := time.Date(2024, time.Month(month), day, 0, 0, 0, 0, time.UTC); month < 1 || month > 12 || t.Day() != day {
			return "", ErrBadBirthday
		}
		mmdd = fmt.Sprintf("%02d-%02d", month, day)
	}
	now := l.c.now()
	_, err := l.c.members.Update(ctx, member, func(m *Member) error {
		switch {
		case mmdd == "" || mmdd == m.Birthday:
		case !m.BirthdaySet.IsZero() && now.Sub(m.BirthdaySet) < birthdayLock:
			return &BirthdayLockedError{Until: m.BirthdaySet.Add(birthdayLock)}
		default:
			m.BirthdaySet = now
		}
		m.Birthday = mmdd
		return nil
	})
	return mmdd, err
}

// birthdayLock is how long a set birthday stays before it may change: a
// birthday moved from month to month would collect a bonus in each.
const birthdayLock = 365 * 24 * time.Hour

// BirthdayLockedError refuses a birthday change within a year of the last.
type BirthdayLockedError struct{ Until time.Time }

func (e *BirthdayLockedError) Error() string {
	return "community: the birthday may change again from " + e.Until.Format(time.DateOnly)
}

// SetNotifications turns the member's service messages on or off.
func (l *Lifecycle) SetNotifications(ctx context.Context, member uint64, on bool) error {
	_, err := l.c.members.Update(ctx, member, func(m *Member) error { m.Muted = !on; return nil })
	return err
}

// SetConsent records the member's answer to marketing messages: yes
// lets campaigns' offers, win-back and surveys reach them and segment
// broadcasts too; no stops both.
func (l *Lifecycle) SetConsent(ctx context.Context, member uint64, yes bool) error {
	return SetConsent(ctx, l.c.members, member, yes)
}

// SetConsent records a member's yes or no to marketing.
func SetConsent(ctx context.Context, members *Members, member uint64, yes bool) error {
	_, err := members.Update(ctx, member, func(m *Member) error {
		m.Consent, m.NoMarketing, m.Asked = yes, !yes, true
		return nil
	})
	return err
}

// AskConsent reports whether the member should be asked for marketing
// consent (never asked, never answered) and records that they were.
func (l *Lifecycle) AskConsent(ctx context.Context, member uint64) (bool, error) {
	ask := false
	_, err := l.c.members.Update(ctx, member, func(m *Member) error {
		ask = !m.Asked && !m.Consent
		m.Asked = true
		return nil
	})
	return ask, err
}

// ResolveMember returns the member an inbound event names: a linked shop
// customer id, "platform:user id", or a loyalbot member id.
func (l *Lifecycle) ResolveMember(ctx context.Context, customer, link string) (uint64, bool, error) {
	c := l.c
	if customer != "" {
		if c.orders == nil {
			return 0, false, nil
		}
		return c.orders.MemberOf(ctx, customer)
	}
	var m Member
	var err error
	if platform, user, ok := strings.Cut(link, ":"); ok {
		m, err = c.members.byIdentity(ctx, platform, user)
	} else if id, perr := strconv.ParseUint(link, 10, 64); perr == nil {
		m, err = c.members.Get(ctx, id)
	} else {
		return 0, false, nil
	}
	if errors.Is(err, ErrNoMember) {
		return 0, false, nil
	}
	if err != nil || !m.Live() {
		return 0, false, err
	}
	return m.ID, true, nil
}

// Publish appends an inbound event to the outbox, for campaigns.
func (l *Lifecycle) Publish(ctx context.Context, ev outbox.Event) (bool, error) {
	return l.engine.Publish(ctx, ev)
}

// TierChanged publishes a tier change for campaigns.
func (l *Lifecycle) TierChanged(ctx context.Context, tc loyalty.TierChange) {
	id, ok := tc.Account.MemberID()
	if !ok {
		return
	}
	dir := "down"
	if tc.To.Threshold > tc.From.Threshold {
		dir = "up"
	}
	now := l.c.now()
	ev := outbox.Event{Key: fmt.Sprintf("tier:%d:%s:%d", id, tc.To.Name, now.UnixNano()), Type: outbox.TierChanged, Member: id, At: now,
		Props: map[string]string{"from": tc.From.Name, "to": tc.To.Name, "direction": dir}}
	if _, err := l.engine.Publish(ctx, ev); err != nil {
		l.c.log.WarnContext(ctx, "tier change not published to campaigns", "member", id, "err", err)
	}
}

// audience is the community's members as campaigns read them.
type audience struct{ c *Community }

func (a audience) Member(ctx context.Context, id uint64) (campaign.Member, bool, error) {
	m, err := a.c.members.Get(ctx, id)
	if errors.Is(err, ErrNoMember) {
		return campaign.Member{}, false, nil
	}
	if err != nil {
		return campaign.Member{}, false, err
	}
	return a.as(id, m), true, nil
}

// as is m as campaigns see the member id named: an account /link folded
// into m is no longer live (its runs end; m runs its own).
func (a audience) as(id uint64, m Member) campaign.Member {
	cm := a.of(m)
	if m.ID != id {
		cm.ID, cm.Live = id, false
	}
	return cm
}

func (a audience) Members(ctx context.Context, ids []uint64) (map[uint64]campaign.Member, error) {
	out := make(map[uint64]campaign.Member, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := a.c.members.store.View(ctx, func(tx ReadTx) error {
		for _, id := range ids {
			if _, seen := out[id]; seen {
				continue
			}
			m, err := getMember(tx, id)
			if errors.Is(err, ErrNoMember) {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = a.as(id, m)
		}
		return nil
	})
	return out, err
}

func (a audience) of(m Member) campaign.Member {
	cm := campaign.Member{ID: m.ID, Name: m.Name, Locale: localeOr(m.Locale), Role: string(m.Role), Joined: m.Joined, LastActive: m.LastActive,
		LastCheckin: m.LastCheck, Birthday: m.Birthday, Consent: m.Consent && !m.NoMarketing, Muted: m.Muted,
		Live: m.Live() && m.Left.IsZero()}
	if cm.Role == "" {
		cm.Role = string(RoleMember)
	}
	if len(m.Identities) > 0 {
		cm.Platform = m.Identities[0].Platform
	}
	return cm
}

func (a audience) ActiveBetween(ctx context.Context, from, to time.Time, fn func(uint64, time.Time) error) error {
	var ids []uint64
	var times []time.Time
	err := a.c.members.store.View(ctx, func(tx ReadTx) error {
		return stopped(tx.MembersByActive(OldestFirst, func(active time.Time, id uint64) error {
			if !active.Before(to) {
				return errStop
			}
			if !active.Before(from) {
				ids, times = append(ids, id), append(times, active)
			}
			return nil
		}))
	})
	if err != nil {
		return err
	}
	for i, id := range ids {
		if err := fn(id, times[i]); err != nil {
			return err
		}
	}
	return nil
}

func (a audience) Each(ctx context.Context, fn func(campaign.Member) error) error {
	var ms []campaign.Member
	err := a.c.members.store.View(ctx, func(tx ReadTx) error {
		return tx.Members(func(m Member) error {
			if !m.Live() || !m.Left.IsZero() {
				return nil
			}
			cm := a.of(m)
			if m.Birthday != "" {
				for _, idt := range m.Identities {
					erased, err := tx.Erased(HashAccount(idt.Platform, idt.UserID))
					if err != nil {
						return err
					}
					cm.Returned = cm.Returned || erased
				}
			}
			ms = append(ms, cm)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (a audience) Segment(ctx context.Context, id uint64) (string, error) {
	if a.c.orders == nil {
		return "", nil
	}
	customers, err := a.c.orders.CustomersOf(ctx, id) // the index by member, not every link
	if err != nil || len(customers) == 0 {
		return "", err
	}
	ins, err := a.c.ShopInsights(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range ins.RFM {
		if slices.Contains(customers, r.Customer) {
			return r.Segment, nil
		}
	}
	return "", nil
}

// campaignPoints is the ledger as campaigns use it.
type campaignPoints struct{ c *Community }

func (p campaignPoints) EntriesAfter(ctx context.Context, after uint64, limit int) ([]loyalty.Entry, error) {
	return p.c.ledger.EntriesAfter(ctx, after, limit)
}

func (p campaignPoints) LastEntry(ctx context.Context) (uint64, error) {
	return p.c.ledger.LastEntry(ctx)
}

func (p campaignPoints) Available(ctx context.Context, member uint64) (int64, error) {
	b, err := p.c.ledger.Balance(ctx, loyalty.Member(member))
	return b.Available, err
}

func (p campaignPoints) Tier(ctx context.Context, member uint64) (string, error) {
	ts, err := p.c.ledger.TierOf(ctx, loyalty.Member(member))
	return ts.Tier.Name, err
}

func (p campaignPoints) Redeemed(ctx context.Context, member uint64) (bool, error) {
	rds, err := p.c.ledger.Redemptions(ctx, loyalty.Member(member), false, 1)
	return len(rds) > 0, err
}

func (p campaignPoints) Affordable(ctx context.Context, member uint64) (string, bool, error) {
	r, ok, err := p.affordable(ctx, member)
	return r.ID, ok, err
}

// affordable returns the dearest reward in stock the member can pay for.
func (p campaignPoints) affordable(ctx context.Context, member uint64) (loyalty.Reward, bool, error) {
	bal, err := p.Available(ctx, member)
	if err != nil {
		return loyalty.Reward{}, false, err
	}
	rs, err := p.c.ledger.Rewards(ctx)
	if err != nil {
		return loyalty.Reward{}, false, err
	}
	now := p.c.now()
	var best loyalty.Reward
	found := false
	for _, r := range rs {
		if r.ActiveAt(now) && r.Stock != 0 && r.Cost <= bal && (!found || r.Cost > best.Cost) {
			best, found = r, true
		}
	}
	return best, found, nil
}

func (p campaignPoints) ExpiringBy(ctx context.Context, after, until time.Time, fn func(uint64, int64, time.Time) error) error {
	return p.c.ledger.LotsExpiring(ctx, after, until, func(a loyalty.AccountID, n int64, at time.Time) error {
		if id, ok := a.MemberID(); ok {
			return fn(id, n, at)
		}
		return nil
	})
}

func (p campaignPoints) Grant(ctx context.Context, member uint64, points int64, key, reason string) error {
	_, err := p.c.ledger.Post(ctx, loyalty.Posting{Key: key, From: loyalty.Issuance("campaign"), To: loyalty.Member(member), Amount: points, Reason: reason})
	return err
}

// voice renders what campaigns say besides their own texts.
type voice struct{ c *Community }

func (v voice) Vars(ctx context.Context, m campaign.Member, names []string) (map[string]string, error) {
	c := v.c
	cat, loc := c.catalog, m.Locale
	vars := map[string]string{"name": m.Name}
	need := func(ns ...string) bool {
		return slices.ContainsFunc(ns, func(n string) bool { return slices.Contains(names, n) })
	}
	a := loyalty.Member(m.ID)
	if need("points") {
		b, err := c.ledger.Balance(ctx, a)
		if err != nil {
			return nil, err
		}
		vars["points"] = cat.Plural(loc, "n.points", b.Available, bots.Thousands(b.Available))
	}
	if need("tier", "benefits", "next_tier", "points_to_next") {
		ts, err := c.ledger.TierOf(ctx, a)
		if err != nil {
			return nil, err
		}
		vars["tier"], vars["benefits"] = ts.Tier.Name, ts.Tier.Benefits
		if loc == bots.Chinese {
			vars["tier"], vars["benefits"] = cmpOr(ts.Tier.NameZH, ts.Tier.Name), cmpOr(ts.Tier.BenefitsZH, ts.Tier.Benefits)
		}
		if ts.Next != nil {
			vars["next_tier"] = ts.Next.Name
			if loc == bots.Chinese {
				vars["next_tier"] = cmpOr(ts.Next.NameZH, ts.Next.Name)
			}
			vars["points_to_next"] = cat.Plural(loc, "n.points", ts.ToNext, bots.Thousands(ts.ToNext))
		}
	}
	if need("expiring_points", "expiring_date") {
		lot, ok, err := c.ledger.NextExpiry(ctx, a)
		if err != nil {
			return nil, err
		}
		if ok {
			vars["expiring_points"] = cat.Plural(loc, "n.points", lot.Remaining, bots.Thousands(lot.Remaining))
			vars["expiring_date"] = lot.Expires.Add(-time.Second).In(c.loc).Format(time.DateOnly) // the last day they count, as /points says
		}
	}
	if need("reward") {
		r, ok, err := campaignPoints{c}.affordable(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if !ok { // nothing affordable yet: the cheapest, to aim for
			rs, err := c.ledger.Rewards(ctx)
			if err != nil {
				return nil, err
			}
			for _, x := range rs {
				if x.ActiveAt(c.now()) && x.Stock != 0 && (r.ID == "" || x.Cost < r.Cost) {
					r = x
				}
			}
		}
		vars["reward"] = r.Name
		if loc == bots.Chinese {
			vars["reward"] = cmpOr(r.NameZH, r.Name)
		}
	}
	if need("referral_link") && c.ugc != nil {
		code, err := c.ugc.Referrals().Code(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		vars["referral_link"] = "ref_" + code
		if c.notify != nil {
			if link := c.notify.DeepLinks("ref_" + code)[m.Platform]; link != "" {
				vars["referral_link"] = link
			}
		}
	}
	return vars, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (v voice) Survey(locale, survey, id string) (string, []campaign.Choice) {
	cat := v.c.catalog
	lo, hi, key := 1, 5, "campaign.csat"
	if survey == campaign.NPS {
		lo, hi, key = 0, 10, "campaign.nps"
	}
	var bs []campaign.Choice
	for n := lo; n <= hi; n++ {
		bs = append(bs, campaign.Choice{Label: strconv.Itoa(n), Command: fmt.Sprintf("/rate %s %d", id, n)})
	}
	return cat.Format(locale, key), bs
}

func (v voice) Offer(ctx context.Context, locale string, cp campaign.Coupon) string {
	cat := v.c.catalog
	o := cp.Offer
	what := o.Discount[locale]
	if what == "" {
		what = o.Discount["en"]
	}
	if o.Free {
		what = cat.Format(locale, "campaign.offer_free")
	}
	if o.Reward != "" {
		name := o.Reward
		if r, err := v.c.ledger.Reward(ctx, o.Reward); err == nil {
			name = r.Name
			if locale == bots.Chinese {
				name = cmpOr(r.NameZH, r.Name)
			}
		}
		switch {
		case o.Free:
			what = cat.Format(locale, "campaign.offer_free_reward", name)
		case what != "":
			what = cat.Format(locale, "campaign.offer_reward", what, name)
		default:
			what = name
		}
	}
	return cat.Format(locale, "campaign.offer", cp.Code, what, cp.Expires.Add(-time.Second).In(v.c.loc).Format(time.DateOnly))
}

var lifecycleEnglish = map[string]string{
	"campaign.nps":               "How likely are you to recommend us to a friend? Tap a number: 0 is not at all, 10 is extremely likely.",
	"campaign.csat":              "How did we do with your request? Tap a number: 1 is poor, 5 is excellent.",
	"campaign.offer":             "Your code %s: %s, valid until %s",
	"campaign.offer_free_reward": "a free %s",
	"campaign.offer_reward":      "%s on %s",
	"campaign.offer_free":        "a free gift",
	"alert.webhook_disabled":     "⚠️ The webhook %s failed for a day and is switched off: %s. Fix the endpoint, then /webhooks resume.",
}

var lifecycleChinese = map[string]string{
	"campaign.nps":               "你有多大可能把我们推荐给朋友？请点一个数字：0 表示完全不可能，10 表示非常可能。",
	"campaign.csat":              "这次的服务你满意吗？请点一个数字：1 表示很差，5 表示非常满意。",
	"campaign.offer":             "你的优惠码 %s：%s，有效期至 %s",
	"campaign.offer_free_reward": "免费领取「%s」",
	"campaign.offer_reward":      "「%[2]s」%[1]s",
	"campaign.offer_free":        "免费赠品",
	"alert.webhook_disabled":     "⚠️ Webhook %s 已连续失败一天，已停用：%s。修好接收端后发送 /webhooks resume。",
}
