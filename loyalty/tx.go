package loyalty

import "fmt"

// wtx is the read-write transaction the rules run in: the store's Tx, plus
// the account records the transaction changed, which the balance cache
// publishes once it committed, and the newest entry it wrote.
type wtx struct {
	Tx
	changed map[AccountID]Account
	newest  uint64 // the newest entry written
}

// PutEntry stores e and remembers the newest entry id for the boards.
func (s *wtx) PutEntry(e Entry) error {
	if err := s.Tx.PutEntry(e); err != nil {
		return err
	}
	s.newest = max(s.newest, e.ID)
	return nil
}

// PutAccount stores acc and remembers it for the cache.
func (s *wtx) PutAccount(a AccountID, acc Account) error {
	if err := s.Tx.PutAccount(a, acc); err != nil {
		return err
	}
	if s.changed == nil {
		s.changed = make(map[AccountID]Account)
	}
	s.changed[a] = acc
	return nil
}

// replay looks key up. ok is true when it was applied before with the same
// kind and payload; a different payload is ErrIdempotencyConflict.
func (s *wtx) replay(key string, kind KeyKind, h [16]byte) (ref uint64, ok bool, err error) {
	rec, found, err := s.Key(key)
	if err != nil || !found {
		return 0, false, err
	}
	if rec.Kind != kind || rec.Hash != h {
		return 0, false, fmt.Errorf("key %q: %w", key, ErrIdempotencyConflict)
	}
	return rec.Ref, true, nil
}

// replayReceipt returns the receipt of entry id as a replay.
func replayReceipt(tx ReadTx, id uint64, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	e, err := getEntry(tx, id)
	if err != nil {
		return nil, err
	}
	return Receipt{Entry: e, Replay: true}, nil
}

// getEntry returns entry id, or an error wrapping ErrNotFound.
func getEntry(tx ReadTx, id uint64) (Entry, error) {
	e, ok, err := tx.Entry(id)
	if err == nil && !ok {
		err = fmt.Errorf("entry %d: %w", id, ErrNotFound)
	}
	return e, err
}

// getHold returns hold id, or an error wrapping ErrNotFound.
func getHold(tx ReadTx, id uint64) (Hold, error) {
	hd, ok, err := tx.Hold(id)
	if err == nil && !ok {
		err = fmt.Errorf("hold %d: %w", id, ErrNotFound)
	}
	return hd, err
}

// getReward returns reward id, or an error wrapping ErrUnknownReward.
func getReward(tx ReadTx, id string) (Reward, error) {
	r, ok, err := tx.Reward(id)
	if err == nil && !ok {
		err = fmt.Errorf("reward %q: %w", id, ErrUnknownReward)
	}
	return r, err
}

// getRedemption returns redemption id, or an error wrapping ErrNotFound.
func getRedemption(tx ReadTx, id uint64) (Redemption, error) {
	rd, ok, err := tx.Redemption(id)
	if err == nil && !ok {
		err = fmt.Errorf("redemption %d: %w", id, ErrNotFound)
	}
	return rd, err
}
