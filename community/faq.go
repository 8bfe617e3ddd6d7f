package community

import (
	"context"
	"fmt"
	"strconv"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/support"
)

// maxSuggestions bounds the FAQ suggestions a list returns.
const maxSuggestions = 50

// FAQSuggestion is a proposed FAQ entry with the entry that already
// answers its question offline, if one does.
type FAQSuggestion struct {
	support.Suggestion
	Similar string
}

// FAQSuggestions lists the FAQ entries proposed from closed tickets that
// no manager has decided yet, oldest first. It returns a *ForbiddenError
// below manager.
func (c *Admin) FAQSuggestions(ctx context.Context, actor Actor) ([]FAQSuggestion, error) {
	if err := actor.require("faq", bots.RoleManager); err != nil {
		return nil, err
	}
	if c.tickets == nil {
		return nil, nil
	}
	ss, err := c.tickets.Suggestions(ctx, support.SuggestionPending, maxSuggestions)
	if err != nil {
		return nil, err
	}
	out := make([]FAQSuggestion, len(ss))
	for i, s := range ss {
		out[i] = FAQSuggestion{Suggestion: s, Similar: c.similar(s)}
	}
	return out, nil
}

// DecideFAQ accepts a suggestion into the FAQ (with answer in place of
// the proposed one when it is not empty) or rejects it; rejecting an
// accepted one takes it out of the FAQ again. The next question is
// answered with the change. It returns a *ForbiddenError below manager,
// support.ErrNoSuggestion and support.ErrDecided (nothing is audited
// then). Audited as "faq-accept" or "faq-reject".
func (c *Admin) DecideFAQ(ctx context.Context, actor Actor, id uint64, accept bool, answer, key string) (support.Suggestion, error) {
	op := "faq-reject"
	if accept {
		op = "faq-accept"
	}
	if err := actor.require(op, bots.RoleManager); err != nil {
		return support.Suggestion{}, err
	}
	if c.tickets == nil {
		return support.Suggestion{}, fmt.Errorf("suggestion %d: %w", id, support.ErrNoSuggestion)
	}
	s, err := c.tickets.Decide(ctx, id, accept, answer, actor.Member)
	if err != nil {
		return s, err
	}
	e := actor.entry(op, 0)
	e.Args, e.Key = map[string]string{"suggestion": strconv.FormatUint(id, 10), "entry": support.LearnedID(id)}, key
	if answer != "" {
		e.Args["answer"] = answer
	}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return s, err
	}
	return s, c.LoadLearnedFAQ(ctx)
}

// LoadLearnedFAQ merges the accepted FAQ suggestions into the FAQ the
// assistant answers from. serve calls it on start; DecideFAQ after each
// decision.
func (c *Community) LoadLearnedFAQ(ctx context.Context) error {
	if c.tickets == nil || c.assistant == nil {
		return nil
	}
	learned, err := c.tickets.Learned(ctx)
	if err != nil {
		return fmt.Errorf("learned FAQ: %w", err)
	}
	c.assistant.SetLearned(learned)
	return nil
}

// similar returns the FAQ entry that answers one of the suggestion's
// questions offline, or "".
func (c *Admin) similar(s support.Suggestion) string {
	if c.assistant == nil {
		return ""
	}
	kb := c.assistant.KB()
	for _, q := range s.Questions {
		if a := support.Offline(kb, q); a.EntryID != "" {
			return a.EntryID
		}
	}
	return ""
}
