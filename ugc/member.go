package ugc

import "context"

// What the programme holds about one member spans its parts: their
// submissions, their referral code and referrals, their application.

// Erase forgets what the programme holds about member that could identify
// them beyond a member number: the notes on their submissions, their
// referral code and their application text. Their pending submissions are
// rejected, so no row of an erased member waits in the review queue.
// Submissions (public posts) and referral records stay for the audit trail
// of the points they paid.
func (s *Service) Erase(ctx context.Context, member uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		ids, err := collect(func(fn func(uint64) error) error { return tx.SubmissionIDsOf(member, OldestFirst, fn) })
		if err != nil {
			return err
		}
		for _, id := range ids {
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			sub.Note = ""
			if sub.Status == Pending {
				sub.Status, sub.Reason, sub.Reviewed = Rejected, ReasonErased, s.now()
			}
			if err := tx.PutSubmission(sub); err != nil {
				return err
			}
		}
		if code, ok, err := tx.MemberCode(member); err != nil {
			return err
		} else if ok {
			if err := tx.DeleteCode(code); err != nil {
				return err
			}
			if err := tx.DeleteMemberCode(member); err != nil {
				return err
			}
		}
		if app, found, err := tx.Application(member); err != nil {
			return err
		} else if found {
			app.Why = ""
			if app.Status == AppPending {
				app.Status, app.Decided = AppRejected, s.now()
			}
			return tx.PutApplication(app)
		}
		return nil
	})
}

// ReasonErased is the rejection reason of submissions whose author erased
// their data before review.
const ReasonErased = "member erased their data"

// Merge moves what member from has in the programme to member to, when
// /link folds two chat accounts into one: submissions, the referrals they
// made, the referral that brought them (unless to has one), their
// referral code (which now credits to) and an application to has not got.
func (s *Service) Merge(ctx context.Context, from, to uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		subs, err := collect(func(fn func(uint64) error) error { return tx.SubmissionIDsOf(from, OldestFirst, fn) })
		if err != nil {
			return err
		}
		for _, id := range subs {
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			sub.Member = to // and into to's index
			if err := tx.PutSubmission(sub); err != nil {
				return err
			}
		}
		referees, err := collect(func(fn func(uint64) error) error { return tx.RefereesOf(from, fn) })
		if err != nil {
			return err
		}
		for _, referee := range referees {
			ref, found, err := tx.Referral(referee)
			if err != nil {
				return err
			}
			if found {
				ref.Referrer = to // and into to's index
				if err := tx.PutReferral(ref); err != nil {
					return err
				}
			}
		}
		if ref, found, err := tx.Referral(from); err != nil {
			return err
		} else if found {
			if _, has, err := tx.Referral(to); err != nil {
				return err
			} else if !has && ref.Referrer != to {
				ref.Referee = to
				if err := tx.PutReferral(ref); err != nil {
					return err
				}
			}
			if err := tx.DeleteReferral(from); err != nil {
				return err
			}
		}
		if code, ok, err := tx.MemberCode(from); err != nil {
			return err
		} else if ok {
			if err := tx.PutCode(code, to); err != nil {
				return err
			}
			if err := tx.DeleteMemberCode(from); err != nil {
				return err
			}
			if _, has, err := tx.MemberCode(to); err != nil {
				return err
			} else if !has {
				if err := tx.PutMemberCode(to, code); err != nil {
					return err
				}
			}
		}
		if app, found, err := tx.Application(from); err != nil {
			return err
		} else if found {
			if _, has, err := tx.Application(to); err != nil {
				return err
			} else if !has {
				app.Member = to
				if err := tx.PutApplication(app); err != nil {
					return err
				}
			}
			return tx.DeleteApplication(from)
		}
		return nil
	})
}
