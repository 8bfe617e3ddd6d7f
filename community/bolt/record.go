package bolt

import (
	"fmt"
	"strconv"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/internal/outbox"
	bbolt "go.etcd.io/bbolt"
)

// recordTxn reads and writes the smaller records: link codes, erased
// accounts, day markers, jobs and the schema version.
type recordTxn struct{ bucketTx }

func (t *recordTxn) Publish(ev outbox.Event) error {
	_, _, err := boltrec.Publish(t.tx, ev)
	return err
}

func (t *recordTxn) SchemaVersion() (int, error) { return schemaVersion(t.b(bucketMeta)) }

func (t *recordTxn) LinkCode(code string) (community.LinkCode, bool, error) {
	var lc community.LinkCode
	ok, err := boltrec.GetJSON(t.b(bucketLinks).Get([]byte(code)), &lc)
	if err != nil {
		return community.LinkCode{}, false, fmt.Errorf("decode link code %s: %w", code, err)
	}
	return lc, ok, nil
}

func (t *recordTxn) PutLinkCode(code string, lc community.LinkCode) error {
	return boltrec.PutJSON(t.b(bucketLinks), []byte(code), lc)
}

func (t *recordTxn) DeleteLinkCode(code string) error { return t.b(bucketLinks).Delete([]byte(code)) }

func (t *recordTxn) Erased(h community.AccountHash) (bool, error) {
	return t.b(bucketErased).Get(h[:]) != nil, nil
}

func (t *recordTxn) PutErased(h community.AccountHash) error {
	return t.b(bucketErased).Put(h[:], nil)
}

func (t *recordTxn) DayMarked(key string) (bool, error) {
	return t.b(bucketDays).Get([]byte(key)) != nil, nil
}

func (t *recordTxn) MarkDay(key string) error { return t.b(bucketDays).Put([]byte(key), nil) }

func (t *recordTxn) Jobs(fn func(community.Job) error) error {
	return walk(t.b(bucketJobs), community.OldestFirst, func(k, v []byte) error {
		var j community.Job
		if _, err := boltrec.GetJSON(v, &j); err != nil {
			return fmt.Errorf("decode job %q: %w", k, err)
		}
		return fn(j)
	})
}

func (t *recordTxn) PutJob(j community.Job) error {
	return boltrec.PutJSON(t.b(bucketJobs), []byte(j.Key), j)
}

func (t *recordTxn) DeleteJob(key string) error { return t.b(bucketJobs).Delete([]byte(key)) }

// schemaVersion reads the version stored in meta: 1 when there is none
// (a release before versions were stored).
func schemaVersion(meta *bbolt.Bucket) (int, error) {
	raw := meta.Get(keySchema)
	if raw == nil {
		return 1, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w", raw, err)
	}
	return v, nil
}
