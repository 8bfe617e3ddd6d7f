package orders

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
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

// importBatch is how many rows share one transaction, and then one
// settlement (see settleMany).
const importBatch = settleBatch

// columns are the fields Import reads, the first four required.
var columns = []string{"order_id", "customer_id", "created_at", "amount", "currency", "status", "refunded_amount",
	"email", "email_verified", "phone", "phone_verified", "link_code"}

// Import reads orders from CSV: a header row with at least order_id,
// customer_id, created_at and amount (currency units), and optionally
// currency, status, refunded_amount and, as in the webhook, email,
// email_verified, phone, phone_verified and link_code. The separator (comma,
// semicolon or tab) is taken from the header, and a UTF-8 byte-order mark is
// skipped. Bad rows are reported with their line and skipped, or stop the
// import when Strict; a quote left open stops it with its line, as
// everything after it would be misread. Importing the same file again
// changes nothing.
//
// Rows are stored a thousand at a time, each batch in one transaction that
// also marks the orders of linked customers unsettled; the batch's orders
// are then settled together (see settleMany). An import that stops midway
// — an error, a crash — leaves every stored row's mark, and Resume pays
// what is left; importing the file again does too.
func (s *Service) Import(ctx context.Context, r io.Reader, opt ImportOptions) (ImportReport, error) {
	var rep ImportReport
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if first, err := br.Peek(4096); len(first) > 0 {
		cr.Comma = separator(first)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return rep, fmt.Errorf("header: %w", err)
	}
	head, err := cr.Read()
	if err != nil {
		return rep, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	idx := make([]int, len(columns))
	for i, field := range columns {
		name := field
		if n, ok := opt.Map[field]; ok {
			name = n
		}
		j, ok := col[strings.ToLower(name)]
		if !ok && i < 4 {
			return rep, fmt.Errorf("no %q column (rename with --map %s=<column>)", name, field)
		}
		if !ok {
			j = -1
		}
		idx[i] = j
	}
	var batch []Order
	var contacts []Contact
	var lines []int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := s.storeRows(ctx, batch, contacts, lines, &rep, opt.Strict)
		if err != nil {
			return err
		}
		var settle []string
		for _, r := range res {
			if r.settle {
				settle = append(settle, r.Order.ID)
			}
		}
		if err := s.settler.settleMany(ctx, settle); err != nil {
			return err // the rows are stored and marked: Resume settles them
		}
		batch, contacts, lines = batch[:0], contacts[:0], lines[:0]
		return ctx.Err()
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var line int
		if err == nil && len(rec) > 0 {
			line, _ = cr.FieldPos(0)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) {
			return rep, fmt.Errorf("line %d: a quote opened here is never closed", pe.StartLine)
		}
		rep.Rows++
		var o Order
		var c Contact
		if err == nil {
			o, c, err = s.parseRow(func(i int) string {
				if j := idx[i]; j >= 0 && j < len(rec) {
					return strings.TrimSpace(rec[j])
				}
				return ""
			})
		}
		if err != nil {
			if pe != nil {
				line = pe.Line
			}
			if opt.Strict {
				return rep, fmt.Errorf("line %d: %w", line, err)
			}
			rep.Skipped = append(rep.Skipped, RowError{Line: line, Reason: err.Error()})
			continue
		}
		batch, contacts, lines = append(batch, o), append(contacts, c), append(lines, line)
		if len(batch) == importBatch {
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

// storeRows stores a batch; rows that conflict with stored orders are
// reported (or stop a strict import) and the rest stored.
func (s *Service) storeRows(ctx context.Context, batch []Order, contacts []Contact, lines []int, rep *ImportReport, strict bool) ([]stored, error) {
	for {
		res, err := s.put(ctx, batch, contacts)
		var ce *ConflictError
		if !errors.As(err, &ce) {
			if err == nil {
				rep.Imported += len(batch)
			}
			return res, err
		}
		i := 0
		for i < len(batch) && batch[i].ID != ce.Order {
			i++
		}
		if i == len(batch) || strict {
			return nil, fmt.Errorf("line %d: %w", lines[min(i, len(lines)-1)], err)
		}
		rep.Skipped = append(rep.Skipped, RowError{Line: lines[i], Reason: err.Error()})
		batch, contacts, lines = append(batch[:i:i], batch[i+1:]...), append(contacts[:i:i], contacts[i+1:]...), append(lines[:i:i], lines[i+1:]...)
	}
}

// separator picks the header line's separator: the most frequent of
// comma, semicolon and tab.
func separator(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, n := ',', bytes.Count(head, []byte(","))
	for _, sep := range []rune{';', '\t'} {
		if c := bytes.Count(head, []byte(string(sep))); c > n {
			best, n = sep, c
		}
	}
	return best
}

func (s *Service) parseRow(field func(int) string) (Order, Contact, error) {
	created := field(2)
	var at time.Time
	var err error
	for _, layout := range []string{time.DateOnly, time.RFC3339, "20060102"} {
		if at, err = time.Parse(layout, created); err == nil {
			break
		}
	}
	if err != nil {
		return Order{}, Contact{}, fmt.Errorf("%w: created_at %q is not a date", ErrBadOrder, created)
	}
	amt, err := strconv.ParseFloat(field(3), 64)
	if err != nil || math.IsNaN(amt) {
		return Order{}, Contact{}, fmt.Errorf("%w: amount %q is not a number", ErrBadOrder, field(3))
	}
	var ref float64
	if v := field(6); v != "" {
		if ref, err = strconv.ParseFloat(v, 64); err != nil || math.IsNaN(ref) {
			return Order{}, Contact{}, fmt.Errorf("%w: refunded_amount %q is not a number", ErrBadOrder, v)
		}
	}
	status := strings.ToLower(field(5))
	if status == "" {
		status = string(Paid)
	}
	o := Order{ID: field(0), Customer: field(1), Created: at, Amount: Cents(amt), Refunded: Cents(ref), Currency: field(4), Status: Status(status)}
	if err := s.normalize(&o); err != nil {
		return Order{}, Contact{}, err
	}
	yes := func(v string) bool {
		b, _ := strconv.ParseBool(strings.ToLower(v))
		return b || v == "1" || strings.EqualFold(v, "yes")
	}
	c := Contact{Email: field(7), EmailVerified: yes(field(8)), Phone: field(9), PhoneVerified: yes(field(10)), LinkCode: field(11)}
	return o, c, nil
}
