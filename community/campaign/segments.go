package campaign

import (
	"context"
	"strconv"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// SegmentChanged is the event type of a shop-linked member moving to
// another RFM segment (props from, to, p_alive).
const SegmentChanged = "segment_changed"

// Standing is a shop-linked member's RFM segment and probability of
// still being a customer (P(alive), -1 when the models are not fitted).
type Standing struct {
	Segment string
	PAlive  float64
}

// TrackSegments compares each member's segment with the one stored at the
// last call and publishes segment_changed for every member whose segment
// changed (not for a member seen the first time), in the transaction that
// stores the new one. It returns how many changed.
func (e *triggers) TrackSegments(ctx context.Context, now time.Time, standings map[uint64]Standing) (int, error) {
	changed := 0
	day := e.day(now)
	ids := make([]uint64, 0, len(standings))
	for id := range standings {
		ids = append(ids, id)
	}
	for start := 0; start < len(ids); start += scanBatch {
		chunk := ids[start:min(start+scanBatch, len(ids))]
		err := e.store.Update(ctx, func(tx Tx) error {
			for _, id := range chunk {
				s := standings[id]
				prev, seen, err := tx.Segment(id)
				if err != nil {
					return err
				}
				if seen && prev == s.Segment {
					continue
				}
				if err := tx.PutSegment(id, s.Segment); err != nil {
					return err
				}
				if !seen {
					continue
				}
				props := map[string]string{"from": prev, "to": s.Segment}
				if s.PAlive >= 0 {
					props["p_alive"] = strconv.FormatFloat(s.PAlive, 'f', 3, 64)
				}
				if _, err := tx.Publish(outbox.Event{Key: "segment:" + strconv.FormatUint(id, 10) + ":" + s.Segment + ":" + day,
					Type: SegmentChanged, Member: id, At: now, Props: props}); err != nil {
					return err
				}
				changed++
			}
			return nil
		})
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}
