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

// FAQSuggestions lists the FAQ entries proposed from closed tickets with
// status — support.SuggestionPending for those no manager has decided
// yet, support.SuggestionAccepted for those in the FAQ — oldest first. It
// returns a *ForbiddenError below manager.
func (c *Admin) FAQSuggestions(ctx context.Context, actor Actor, status string) ([]FAQSuggestion, error) {
	if err := actor.require("faq", bots.RoleManager); err != nil {
		return nil, err
	}
	if c.tickets == nil {
		return nil, nil
	}
	ss, err := c.tickets.Suggestions(ctx, status, maxSuggestions)
	if err != nil {
		return nil, err
	}
	out := make([]FAQSuggestion, len(ss))
	for i, s := range ss {
		out[i] = FAQSuggestion{Suggestion: s}
		if status == support.SuggestionPending {
			out[i].Similar = c.similar(s)
		}
	}
	return out, nil
}

// RephraseFAQ replaces a suggestion's question with the manager's own
// wording — the member's words, even without names, can say more about
// them than an FAQ should — and updates the FAQ when it is accepted
// already. It returns a *ForbiddenError below manager and
// support.ErrNoSuggestion. Audited as "faq-question".
func (c *Admin) RephraseFAQ(ctx context.Context, actor Actor, id uint64, question, key string) (support.Suggestion, error) {
	if err := actor.require("faq-question", bots.RoleManager); err != nil {
		return support.Suggestion{}, err
	}
	if c.tickets == nil {
		return support.Suggestion{}, fmt.Errorf("suggestion %d: %w", id, support.ErrNoSuggestion)
	}
	s, err := c.tickets.Rephrase(ctx, id, question)
	if err != nil {
		return s, err
	}
	e := actor.entry("faq-question", c.asker(ctx, s))
	e.Args, e.Key = map[string]string{"suggestion": strconv.FormatUint(id, 10), "question": question}, key
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return s, err
	}
	if s.Status == support.SuggestionAccepted {
		return s, c.LoadLearnedFAQ(ctx)
	}
	return s, nil
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
	e := actor.entry(op, 0) // the brand's answer now: no member's record
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
func (c *Admin) LoadLearnedFAQ(ctx context.Context) error {
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

// asker returns the member whose ticket a suggestion came from, 0 when the
// ticket is gone: the audit entry of a rephrasing names them, as the
// question may be their words, so that erasing them scrubs it.
func (c *Admin) asker(ctx context.Context, s support.Suggestion) uint64 {
	tk, ok, err := c.tickets.Get(ctx, s.Ticket)
	if err != nil || !ok {
		return 0
	}
	return tk.Member
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
