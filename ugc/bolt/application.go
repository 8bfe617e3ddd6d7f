package bolt

import (
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/ugc"
)

func (t *recordTxn) Application(member uint64) (ugc.Application, bool, error) {
	var app ugc.Application
	ok, err := boltrec.GetJSON(t.b(bucketApps).Get(u64(member)), &app)
	if err != nil {
		return ugc.Application{}, false, fmt.Errorf("decode application of %d: %w", member, err)
	}
	return app, ok, nil
}

func (t *recordTxn) Applications(fn func(ugc.Application) error) error {
	return walk(t.b(bucketApps), ugc.OldestFirst, func(k, v []byte) error {
		var app ugc.Application
		if _, err := boltrec.GetJSON(v, &app); err != nil {
			return fmt.Errorf("decode application %x: %w", k, err)
		}
		return fn(app)
	})
}

func (t *recordTxn) PutApplication(app ugc.Application) error {
	return boltrec.PutJSON(t.b(bucketApps), u64(app.Member), app)
}

func (t *recordTxn) DeleteApplication(member uint64) error {
	return t.b(bucketApps).Delete(u64(member))
}
