package loyalty

import (
	"context"
	"sync"
)

// opFunc is one write. It runs inside a read-write transaction and may be run
// more than once (a batch that fails is re-run one op at a time), so it must
// derive everything from the transaction's state. A business rejection (see
// isRejection) must leave the transaction untouched and is handed to the
// caller; any other error aborts the transaction.
type opFunc func(s *wtx) (any, error)

type request struct {
	fn   opFunc
	out  any
	err  error
	done chan struct{}
}

// writer is a group-commit writer: one goroutine takes every queued request,
// runs them all in one Store.Update and so pays one commit (one fsync) for
// the lot. While that commit runs, new requests queue up and form the next
// batch, so batches grow with load and a lone writer never waits for a timer
// (unlike bbolt's Batch with its MaxBatchDelay). Being the store's only
// writer, it commits in order, which the balance cache relies on.
type writer struct {
	store    Store
	maxBatch int
	// onCommit runs after each successful commit, before callers hear of
	// it, with the transaction: the account records it wrote and the newest
	// entry.
	onCommit func(s *wtx)

	mu     sync.RWMutex // guards closed and sends on reqs
	closed bool
	reqs   chan *request
	exited chan struct{}
}

func newWriter(store Store, maxBatch int, onCommit func(*wtx)) *writer {
	w := &writer{store: store, maxBatch: maxBatch, onCommit: onCommit, reqs: make(chan *request, maxBatch), exited: make(chan struct{})}
	go w.run()
	return w
}

// do queues fn and waits until its transaction committed or failed. Once
// queued, the write is not abandoned when ctx ends: the caller learns its
// outcome, which the idempotency key makes safe to retry either way.
func (w *writer) do(ctx context.Context, fn opFunc) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &request{fn: fn, done: make(chan struct{})}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return nil, ErrClosed
	}
	w.reqs <- r
	w.mu.RUnlock()
	<-r.done
	return r.out, r.err
}

func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.reqs)
	}
	w.mu.Unlock()
	<-w.exited
}

func (w *writer) run() {
	defer close(w.exited)
	batch := make([]*request, 0, w.maxBatch)
	for r := range w.reqs {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < w.maxBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

func (w *writer) commit(batch []*request) {
	var s *wtx
	// The writer's own context: once queued, a write is not abandoned (see do).
	err := w.store.Update(context.Background(), func(tx Tx) error {
		s = &wtx{Tx: tx}
		for _, r := range batch {
			r.out, r.err = r.fn(s)
			if r.err != nil && !isRejection(r.err) {
				return r.err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		// Find the culprit: re-run every op alone so one failure never fails its neighbours.
		for _, r := range batch {
			w.commit([]*request{r})
		}
		return
	}
	if err == nil {
		w.onCommit(s)
	}
	for _, r := range batch {
		if err != nil {
			r.out, r.err = nil, err
		}
		close(r.done)
	}
}
