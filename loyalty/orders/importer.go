package orders

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// RowError reports a CSV row that was skipped.
type RowError struct {
	Line   int
	Reason string
}

// ImportReport says what an import did.
type ImportReport struct {
	Rows     int
	Imported int
	Skipped  []RowError
}

// ImportOptions configure Import.
type ImportOptions struct {
	// Map renames columns: field → the file's column name.
	Map map[string]string
	// Strict stops at the first bad row instead of skipping it.
	Strict bool
	// Progress, if set, is called with the rows read so far.
	Progress func(rows int)
}

// importBatch is how many rows share one transaction.
const importBatch = 5000

// Import reads orders from CSV: a header row with at least order_id,
// customer_id, created_at and amount (currency units), and optionally
// currency, status and refunded_amount. Bad rows are reported with their
// line and skipped, or stop the import when Strict. Importing the same
// file again changes nothing.
func (s *Service) Import(ctx context.Context, r io.Reader, opt ImportOptions) (ImportReport, error) {
	var rep ImportReport
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return rep, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	index := func(field string, required bool) (int, error) {
		name := field
		if n, ok := opt.Map[field]; ok {
			name = n
		}
		if i, ok := col[strings.ToLower(name)]; ok {
			return i, nil
		}
		if required {
			return -1, fmt.Errorf("no %q column (rename with --map %s=<column>)", name, field)
		}
		return -1, nil
	}
	var idx [7]int
	for i, f := range []struct {
		name string
		req  bool
	}{{"order_id", true}, {"customer_id", true}, {"created_at", true}, {"amount", true}, {"currency", false}, {"status", false}, {"refunded_amount", false}} {
		if idx[i], err = index(f.name, f.req); err != nil {
			return rep, err
		}
	}
	field := func(rec []string, i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	batch := make([]Order, 0, importBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		members, err := s.store(batch, nil)
		if err != nil {
			return err
		}
		for i, m := range members {
			if m != 0 {
				if err := s.settle(ctx, m, batch[i]); err != nil {
					return err
				}
			}
		}
		rep.Imported += len(batch)
		batch = batch[:0]
		return ctx.Err()
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		rep.Rows++
		var o Order
		if err == nil {
			o, err = parseRow(field(rec, idx[0]), field(rec, idx[1]), field(rec, idx[2]), field(rec, idx[3]), field(rec, idx[4]), field(rec, idx[5]), field(rec, idx[6]))
		}
		if err != nil {
			if opt.Strict {
				return rep, fmt.Errorf("line %d: %w", line, err)
			}
			rep.Skipped = append(rep.Skipped, RowError{Line: line, Reason: err.Error()})
			continue
		}
		if batch = append(batch, o); len(batch) == importBatch {
			if err := flush(); err != nil {
				return rep, err
			}
		}
		if opt.Progress != nil && rep.Rows%1000 == 0 {
			opt.Progress(rep.Rows)
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	if opt.Progress != nil {
		opt.Progress(rep.Rows)
	}
	return rep, nil
}

func parseRow(id, customer, created, amount, currency, status, refunded string) (Order, error) {
	var at time.Time
	var err error
	for _, layout := range []string{time.DateOnly, time.RFC3339, "20060102"} {
		if at, err = time.Parse(layout, created); err == nil {
			break
		}
	}
	if err != nil {
		return Order{}, fmt.Errorf("%w: created_at %q is not a date", ErrBadOrder, created)
	}
	amt, err := strconv.ParseFloat(amount, 64)
	if err != nil {
		return Order{}, fmt.Errorf("%w: amount %q is not a number", ErrBadOrder, amount)
	}
	var ref float64
	if refunded != "" {
		if ref, err = strconv.ParseFloat(refunded, 64); err != nil {
			return Order{}, fmt.Errorf("%w: refunded_amount %q is not a number", ErrBadOrder, refunded)
		}
	}
	if status == "" {
		status = string(Paid)
	}
	o := Order{ID: id, Customer: customer, Created: at, Amount: cents(amt), Refunded: cents(ref), Currency: currency, Status: Status(strings.ToLower(status))}
	return o, o.Validate()
}
