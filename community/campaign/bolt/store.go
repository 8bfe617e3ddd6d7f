// Package bolt keeps campaign data in bbolt: it implements campaign.Store.
//
// # Layout
//
//	campaign.versions        campaign id → []Version (JSON)
//	campaign.state           campaign id → State
//	campaign.stats           campaign id → Stats
//	campaign.runs            campaign id, 0, member id → Run
//	campaign.runs_by_member  member id, campaign id → nil
//	campaign.due             due (unix ns), campaign id, 0, member id → nil, for running runs
//	campaign.cursors         consumer name → sequence number
//	campaign.outgoing        sequence → Message (the send queue)
//	campaign.sends           member id → recent marketing send times
//	campaign.tags            member id → tags
//	campaign.answers         campaign id, 0, member id → Answer
//	campaign.coupons         code → Coupon
//	campaign.webhooks        webhook id → HookState
//	campaign.segments        member id → the RFM segment last tracked
//
// The outbox is the one every bbolt store shares (internal/bolt). Indexes
// are kept in the same transaction as the run they index.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/community/campaign"
	boltrec "github.com/loyalbot/loyalbot/internal/bolt"
	"github.com/loyalbot/loyalbot/internal/outbox"
	bbolt "go.etcd.io/bbolt"
)

var (
	bucketVersions = []byte("campaign.versions")
	bucketState    = []byte("campaign.state")
	bucketStats    = []byte("campaign.stats")
	bucketRuns     = []byte("campaign.runs")
	bucketByMember = []byte("campaign.runs_by_member")
	bucketDue      = []byte("campaign.due")
	bucketCursors  = []byte("campaign.cursors")
	bucketOutgoing = []byte("campaign.outgoing")
	bucketSends    = []byte("campaign.sends")
	bucketTags     = []byte("campaign.tags")
	bucketAnswers  = []byte("campaign.answers")
	bucketCoupons  = []byte("campaign.coupons")
	bucketHooks    = []byte("campaign.webhooks")
	bucketSegments = []byte("campaign.segments")
)

// Store is campaign.Store on a bbolt database.
type Store struct{ db *bbolt.DB }

// Open creates the campaign buckets (and the shared outbox) when missing.
func Open(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketVersions, bucketState, bucketStats, bucketRuns, bucketByMember, bucketDue, bucketCursors,
			bucketOutgoing, bucketSends, bucketTags, bucketAnswers, bucketCoupons, bucketHooks, bucketSegments} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return boltrec.CreateOutbox(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("campaign store: %w", err)
	}
	return &Store{db: db}, nil
}

// Update runs fn in one bbolt read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(tx campaign.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// View runs fn in one bbolt read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx campaign.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// txn is one transaction: runTxn reads and writes versions, states,
// counters, runs and cursors; dataTxn the outbox, the queue and what
// campaigns keep per member.
type txn struct {
	runTxn
	dataTxn
}

func newTxn(tx *bbolt.Tx) *txn {
	return &txn{runTxn{bucketTx{tx}, map[string]campaign.Run{}}, dataTxn{bucketTx{tx}}}
}

type bucketTx struct{ tx *bbolt.Tx }

func (t bucketTx) b(name []byte) *bbolt.Bucket { return t.tx.Bucket(name) }

// runTxn keeps the runs it read or wrote decoded, so an operation's
// re-read and the due index's upkeep decode a run once per transaction.
type runTxn struct {
	bucketTx
	runs map[string]campaign.Run
}

type dataTxn struct{ bucketTx }

func pairKey(campaignID string, member uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(campaignID), 0), member)
}

func dueKey(due time.Time, campaignID string, member uint64) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano())), pairKey(campaignID, member)...)
}

func getJSON[T any](b *bbolt.Bucket, k []byte) (T, bool, error) {
	var v T
	ok, err := boltrec.GetJSON(b.Get(k), &v)
	return v, ok, err
}

func (t *runTxn) Versions(id string) ([]campaign.Version, error) {
	v, _, err := getJSON[[]campaign.Version](t.b(bucketVersions), []byte(id))
	return v, err
}

func (t *runTxn) PutVersion(id string, v campaign.Version) error {
	vs, err := t.Versions(id)
	if err != nil {
		return err
	}
	return boltrec.PutJSON(t.b(bucketVersions), []byte(id), append(vs, v))
}

func (t *runTxn) State(id string) (campaign.State, error) {
	s, _, err := getJSON[campaign.State](t.b(bucketState), []byte(id))
	return s, err
}

func (t *runTxn) PutState(id string, s campaign.State) error {
	return boltrec.PutJSON(t.b(bucketState), []byte(id), s)
}

func (t *runTxn) Stats(id string) (campaign.Stats, error) {
	s, _, err := getJSON[campaign.Stats](t.b(bucketStats), []byte(id))
	return s, err
}

func (t *runTxn) PutStats(id string, s campaign.Stats) error {
	return boltrec.PutJSON(t.b(bucketStats), []byte(id), s)
}

func (t *runTxn) Run(campaignID string, member uint64) (campaign.Run, bool, error) {
	k := pairKey(campaignID, member)
	if r, ok := t.runs[string(k)]; ok {
		return r, true, nil
	}
	r, ok, err := getJSON[campaign.Run](t.b(bucketRuns), k)
	if ok && err == nil {
		t.runs[string(k)] = r
	}
	return r, ok, err
}

func (t *runTxn) RunsOf(member uint64, fn func(campaign.Run) error) error {
	prefix := boltrec.Key(member)
	c := t.b(bucketByMember).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		r, ok, err := t.Run(string(k[8:]), member)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("campaign index names run %s/%d, which is missing", k[8:], member)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (t *runTxn) PutRun(r campaign.Run) error {
	old, ok, err := t.Run(r.Campaign, r.Member)
	if err != nil {
		return err
	}
	if ok && old.State == campaign.Running {
		if err := t.b(bucketDue).Delete(dueKey(old.Due, old.Campaign, old.Member)); err != nil {
			return err
		}
	}
	if r.State == campaign.Running {
		if err := t.b(bucketDue).Put(dueKey(r.Due, r.Campaign, r.Member), nil); err != nil {
			return err
		}
	}
	if !ok {
		if err := t.b(bucketByMember).Put(append(boltrec.Key(r.Member), r.Campaign...), nil); err != nil {
			return err
		}
	}
	k := pairKey(r.Campaign, r.Member)
	t.runs[string(k)] = r
	return boltrec.PutJSON(t.b(bucketRuns), k, r)
}

func (t *runTxn) DeleteRun(campaignID string, member uint64) error {
	old, ok, err := t.Run(campaignID, member)
	if err != nil || !ok {
		return err
	}
	if old.State == campaign.Running {
		if err := t.b(bucketDue).Delete(dueKey(old.Due, campaignID, member)); err != nil {
			return err
		}
	}
	if err := t.b(bucketByMember).Delete(append(boltrec.Key(member), campaignID...)); err != nil {
		return err
	}
	delete(t.runs, string(pairKey(campaignID, member)))
	return t.b(bucketRuns).Delete(pairKey(campaignID, member))
}

func (t *runTxn) Due(until time.Time, fn func(string, uint64, time.Time) error) error {
	c := t.b(bucketDue).Cursor()
	limit := uint64(until.UnixNano())
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		at := binary.BigEndian.Uint64(k)
		if at > limit {
			return nil
		}
		rest := k[8:]
		i := bytes.IndexByte(rest, 0)
		if i < 0 || len(rest) != i+9 {
			return fmt.Errorf("campaign due key %x is malformed", k)
		}
		if err := fn(string(rest[:i]), binary.BigEndian.Uint64(rest[i+1:]), time.Unix(0, int64(at))); err != nil {
			return err
		}
	}
	return nil
}

func (t *runTxn) NextDue() (time.Time, bool, error) {
	k, _ := t.b(bucketDue).Cursor().First()
	if k == nil {
		return time.Time{}, false, nil
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))), true, nil
}

func (t *runTxn) Cursor(name string) (uint64, error) {
	v, _, err := boltrec.ID(t.b(bucketCursors).Get([]byte(name)))
	return v, err
}

func (t *runTxn) PutCursor(name string, seq uint64) error {
	return t.b(bucketCursors).Put([]byte(name), boltrec.Key(seq))
}

func (t *dataTxn) Events(after uint64, fn func(outbox.Event) error) error {
	return boltrec.Events(t.tx, after, fn)
}

func (t *dataTxn) Publish(ev outbox.Event) (bool, error) {
	_, added, err := boltrec.Publish(t.tx, ev)
	return added, err
}

func (t *dataTxn) ScrubEvents(member uint64) error { return boltrec.ScrubEvents(t.tx, member) }

func (t *dataTxn) TrimEvents(upTo uint64, before time.Time) (int, error) {
	return boltrec.TrimEvents(t.tx, upTo, before)
}

func (t *dataTxn) Outgoing(fn func(campaign.Message) error) error {
	return boltrec.Walk(t.b(bucketOutgoing), false, func(k, v []byte) error {
		var m campaign.Message
		if _, err := boltrec.GetJSON(v, &m); err != nil {
			return fmt.Errorf("queued message %x: %w", k, err)
		}
		return fn(m)
	})
}

func (t *dataTxn) PutOutgoing(m campaign.Message) (uint64, error) {
	b := t.b(bucketOutgoing)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	m.Seq = seq
	return seq, boltrec.PutJSON(b, boltrec.Key(seq), m)
}

func (t *dataTxn) UpdateOutgoing(m campaign.Message) error {
	return boltrec.PutJSON(t.b(bucketOutgoing), boltrec.Key(m.Seq), m)
}

func (t *dataTxn) DeleteOutgoing(seq uint64) error {
	return t.b(bucketOutgoing).Delete(boltrec.Key(seq))
}

func (t *dataTxn) Sends(member uint64) ([]time.Time, error) {
	v, _, err := getJSON[[]time.Time](t.b(bucketSends), boltrec.Key(member))
	return v, err
}

func (t *dataTxn) PutSends(member uint64, times []time.Time) error {
	if len(times) == 0 {
		return t.b(bucketSends).Delete(boltrec.Key(member))
	}
	return boltrec.PutJSON(t.b(bucketSends), boltrec.Key(member), times)
}

func (t *dataTxn) Tags(member uint64) ([]string, error) {
	v, _, err := getJSON[[]string](t.b(bucketTags), boltrec.Key(member))
	return v, err
}

func (t *dataTxn) PutTags(member uint64, tags []string) error {
	if len(tags) == 0 {
		return t.b(bucketTags).Delete(boltrec.Key(member))
	}
	return boltrec.PutJSON(t.b(bucketTags), boltrec.Key(member), tags)
}

func (t *dataTxn) Answers(campaignID string, fn func(campaign.Answer) error) error {
	prefix := append([]byte(campaignID), 0)
	c := t.b(bucketAnswers).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var a campaign.Answer
		if _, err := boltrec.GetJSON(v, &a); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (t *dataTxn) Answer(campaignID string, member uint64) (campaign.Answer, bool, error) {
	return getJSON[campaign.Answer](t.b(bucketAnswers), pairKey(campaignID, member))
}

func (t *dataTxn) PutAnswer(a campaign.Answer) error {
	return boltrec.PutJSON(t.b(bucketAnswers), pairKey(a.Campaign, a.Member), a)
}

func (t *dataTxn) DeleteAnswer(campaignID string, member uint64) error {
	return t.b(bucketAnswers).Delete(pairKey(campaignID, member))
}

func (t *dataTxn) Coupon(code string) (campaign.Coupon, bool, error) {
	return getJSON[campaign.Coupon](t.b(bucketCoupons), []byte(code))
}

func (t *dataTxn) PutCoupon(c campaign.Coupon) error {
	return boltrec.PutJSON(t.b(bucketCoupons), []byte(c.Code), c)
}

func (t *dataTxn) DeleteCoupon(code string) error { return t.b(bucketCoupons).Delete([]byte(code)) }

func (t *dataTxn) HookState(id string) (campaign.HookState, error) {
	s, _, err := getJSON[campaign.HookState](t.b(bucketHooks), []byte(id))
	return s, err
}

func (t *dataTxn) PutHookState(id string, s campaign.HookState) error {
	return boltrec.PutJSON(t.b(bucketHooks), []byte(id), s)
}

func (t *dataTxn) Segment(member uint64) (string, bool, error) {
	v := t.b(bucketSegments).Get(boltrec.Key(member))
	return string(v), v != nil, nil
}

func (t *dataTxn) PutSegment(member uint64, segment string) error {
	return t.b(bucketSegments).Put(boltrec.Key(member), []byte(segment))
}

var keySecret = []byte("\x00coupon-secret") // no campaign id starts with 0

func (t *dataTxn) Secret() ([]byte, error) {
	v := t.b(bucketState).Get(keySecret)
	return append([]byte(nil), v...), nil
}

func (t *dataTxn) PutSecret(secret []byte) error { return t.b(bucketState).Put(keySecret, secret) }
