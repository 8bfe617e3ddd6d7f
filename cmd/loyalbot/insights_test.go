package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_Insights converts the raw CDNOW sample to an orders CSV and runs
// `loyalbot insights` on it as of the end of the calibration period.
func TestCLI_Insights(t *testing.T) {
	raw, err := os.Open("../../loyalty/insights/testdata/cdnow/CDNOW_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var csv bytes.Buffer
	csv.WriteString("id,cust,date,total\n")
	sc := bufio.NewScanner(raw)
	for n := 0; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		fmt.Fprintf(&csv, "%d,%s,%s-%s-%s,%s\n", n, f[1], f[2][:4], f[2][4:6], f[2][6:], f[4])
	}
	file := filepath.Join(t.TempDir(), "orders.csv")
	os.WriteFile(file, csv.Bytes(), 0o600)
	var out bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"insights", "--orders", file, "--as-of", "1997-09-30", "--map", "order_id=id,customer_id=cust,created_at=date,amount=total"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2357 customers as of 1997-09-30", "Champions", "Lost", "BG/NBD: r=0.243 alpha=4.414 a=0.793 b=2.426", "Gamma-Gamma: p=6.250 q=3.744 v=15.444"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	root = newRootCmd(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"insights", "--orders", file})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), `no "customer_id" column`) {
		t.Errorf("missing column: %v", err)
	}
}

// TestCLI_ImportOrders imports a CSV twice through the command line: the
// second run changes nothing, and a bad row is reported with its line.
func TestCLI_ImportOrders(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "orders.csv")
	os.WriteFile(file, []byte("order_id,customer_id,created_at,amount\nA1,c1,2026-01-05,10.50\nA2,c2,someday,3\nA3,c2,2026-01-06,7\n"), 0o600)
	db := filepath.Join(dir, "loyalbot.db")
	for run := range 2 {
		var out, errs bytes.Buffer
		root := newRootCmd(strings.NewReader(""), &out, &errs, func(string) string { return "" })
		root.SetArgs([]string{"import", "orders", file, "--db", db})
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !strings.Contains(out.String(), "imported 2 of 3 rows (1 skipped)") || !strings.Contains(errs.String(), "line 3 skipped") {
			t.Errorf("run %d: %q / %q", run, out.String(), errs.String())
		}
	}
	var js bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &js, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"insights", "--db", db, "--as-of", "2026-02-01", "--json"})
	if err := root.ExecuteContext(context.Background()); err != nil || !strings.Contains(js.String(), `"customers": 2`) {
		t.Errorf("insights from the database: %v\n%s", err, js.String())
	}
	var out bytes.Buffer
	root = newRootCmd(strings.NewReader(""), &out, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"import", "orders", file, "--db", db, "--strict"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("--strict: %v", err)
	}
}
