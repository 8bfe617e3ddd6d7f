package loyalty

import (
	"context"
	"fmt"
	"io"
)

// Backup writes a consistent copy of the ledger's store to w while writes
// continue, and returns the number of bytes written. It needs a store that
// can copy itself (a Backuper: loyalty/bolt copies its whole bbolt database,
// every package's buckets, in one read transaction that never blocks
// writers); for any other store it returns ErrNoBackup, and the store's own
// tools (pg_dump, say) make the backup.
func (l *Ledger) Backup(ctx context.Context, w io.Writer) (int64, error) {
	b, ok := l.store.(Backuper)
	if !ok {
		return 0, ErrNoBackup
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := b.Backup(ctx, w)
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
