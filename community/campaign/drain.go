package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// Queue is the campaigns' outgoing messages: queued in the transaction of
// the step that sends them, handed to the platforms by Drain.
type Queue struct{ *Engine }

// Surveys are the campaigns' survey answers and comments.
type Surveys struct{ *Engine }

// maxTries is how often a message the platform refused is tried.
const maxTries = 3

// Drain hands up to limit queued messages to deliver, oldest first, and
// returns how many were delivered; during the quiet hours it sends none. Each is marked as attempted, durably,
// in the transaction that settles the one before it, just before it is
// handed over, so a crash mid-send sends it at most once (the next Drain
// logs and drops it). A delivery error keeps the message for another try,
// up to maxTries.
func (q *Queue) Drain(ctx context.Context, limit int, deliver func(context.Context, Message) error) (int, error) {
	if _, quiet := q.quietUntil(q.cfg.Now()); quiet {
		return 0, nil // queued before the quiet hours, sent after them
	}
	sent := 0
	var prev *Message // handed over: deleted, or kept for another try, with the next mark
	var prevErr error
	failed := map[uint64]bool{} // refused in this Drain: tried again at the next
	for handed := 0; ; handed++ {
		var next Message
		found := false
		err := q.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
			if err := q.settle(tx, prev, prevErr); err != nil {
				return err
			}
			if handed == limit || ctx.Err() != nil {
				return nil
			}
			return stopped(tx.Outgoing(func(m Message) error {
				if failed[m.Seq] {
					return nil
				}
				if m.Attempted {
					q.cfg.Log.WarnContext(ctx, "campaign message was being sent when loyalbot stopped; not sent again",
						"campaign", m.Campaign, "member", m.Member, "key", m.Key)
					return tx.DeleteOutgoing(m.Seq)
				}
				next, found = m, true
				next.Attempted = true
				if err := tx.UpdateOutgoing(next); err != nil {
					return err
				}
				return errStop
			}))
		})
		if err != nil || !found {
			return sent, err
		}
		prev, prevErr = &next, deliver(ctx, next)
		if prevErr == nil {
			sent++
		} else {
			failed[next.Seq] = true
		}
	}
}

// settle deletes a message handed over, or keeps one the platform refused
// for another try.
func (q *Queue) settle(tx Tx, m *Message, err error) error {
	if m == nil {
		return nil
	}
	if err != nil && m.Tries+1 < maxTries {
		q.cfg.Log.Warn("campaign message not delivered; trying again", "campaign", m.Campaign, "member", m.Member, "try", m.Tries+1, "err", err)
		m.Attempted, m.Tries = false, m.Tries+1
		return tx.UpdateOutgoing(*m)
	}
	if err != nil {
		q.cfg.Log.Error("campaign message dropped after repeated failures", "campaign", m.Campaign, "member", m.Member, "err", err)
	}
	return tx.DeleteOutgoing(m.Seq)
}

// Queued returns how many messages wait to be sent.
func (e *Queue) Queued(ctx context.Context) (int, error) {
	n := 0
	err := e.store.View(ctx, func(tx ReadTx) error {
		return tx.Outgoing(func(Message) error { n++; return nil })
	})
	return n, err
}

// Errors of Answer.
var (
	ErrNoSurvey  = errors.New("campaign: that survey was not sent to this member")
	ErrBadScore  = errors.New("campaign: the score is out of range")
	ErrAnswered  = errors.New("campaign: already answered")
	ErrNoAnswer  = errors.New("campaign: no answer to comment on")
	ErrLongReply = errors.New("campaign: the comment is too long")
)

// maxComment bounds a survey comment, in runes.
const maxComment = 1000

// Answer records member's score for the survey campaign id sent them, and
// publishes survey_answered in the same transaction. A second answer to
// the same entry is refused with ErrAnswered.
func (e *Surveys) Answer(ctx context.Context, id string, member uint64, score int) (Answer, error) {
	d, ok := e.Definition(id)
	if !ok {
		return Answer{}, fmt.Errorf("campaign %q: %w", id, ErrUnknown)
	}
	survey := surveyOf(d.Steps)
	lo, hi := 1, 5
	if survey == NPS {
		lo, hi = 0, 10
	}
	if survey == "" {
		return Answer{}, ErrNoSurvey
	}
	if score < lo || score > hi {
		return Answer{}, fmt.Errorf("%w: %d is not between %d and %d", ErrBadScore, score, lo, hi)
	}
	now := e.cfg.Now()
	a := Answer{Campaign: id, Member: member, Survey: survey, Score: score, At: now}
	err := e.store.Update(ctx, func(tx Tx) error {
		r, ok, err := tx.Run(id, member)
		if err != nil {
			return err
		}
		if !ok || !e.asked(ctx, r) {
			return ErrNoSurvey
		}
		prev, found, err := tx.Answer(id, member)
		if err != nil {
			return err
		}
		if found && !prev.At.Before(r.Entered) {
			return ErrAnswered
		}
		if err := tx.PutAnswer(a); err != nil {
			return err
		}
		_, err = tx.Publish(outbox.Event{Key: fmt.Sprintf("survey:%s:%d:%d", id, member, r.Entries), Type: outbox.SurveyAnswered,
			Member: member, At: now, Props: map[string]string{"campaign": id, "survey": survey, "score": fmt.Sprint(score)}})
		return err
	})
	return a, err
}

// Comment adds a comment to member's latest answer to campaign id's
// survey, given within a day of it.
func (e *Surveys) Comment(ctx context.Context, id string, member uint64, text string) error {
	text = strings.TrimSpace(text)
	if len([]rune(text)) > maxComment {
		return ErrLongReply
	}
	now := e.cfg.Now()
	return e.store.Update(ctx, func(tx Tx) error {
		a, found, err := tx.Answer(id, member)
		if err != nil {
			return err
		}
		if !found || now.Sub(a.At) > 24*time.Hour {
			return ErrNoAnswer
		}
		a.Comment = text
		return tx.PutAnswer(a)
	})
}

// LatestSurvey returns the survey campaign member was most recently asked
// and has not commented on: where a comment they send goes.
func (e *Surveys) LatestSurvey(ctx context.Context, member uint64) (string, bool, error) {
	var best Answer
	err := e.store.View(ctx, func(tx ReadTx) error {
		for _, id := range e.IDs() {
			a, ok, err := tx.Answer(id, member)
			if err != nil {
				return err
			}
			if ok && a.Comment == "" && a.At.After(best.At) {
				best = a
			}
		}
		return nil
	})
	return best.Campaign, best.Campaign != "", err
}

func surveyOf(steps []Step) string {
	for _, s := range steps {
		if s.Survey != "" {
			return s.Survey
		}
		if v := surveyOf(s.Then); v != "" {
			return v
		}
		if v := surveyOf(s.Else); v != "" {
			return v
		}
	}
	return ""
}

// asked reports whether r reached its program's survey operation.
func (e *Surveys) asked(ctx context.Context, r Run) bool {
	c, err := e.version(ctx, r.Campaign, r.Version)
	if err != nil || c == nil {
		return false
	}
	for pc, o := range c.prog {
		if o.kind == opSurvey && slices.Contains(r.Reached, pc) {
			return true
		}
	}
	return false
}
