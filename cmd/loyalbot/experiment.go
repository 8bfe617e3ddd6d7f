package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/spf13/cobra"
)

func newExperimentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "experiment", Short: "Analyse experiments"}
	var file, control, weights string
	var confidence, tuning float64
	var asJSON, sequential bool
	analyze := &cobra.Command{
		Use:   "analyze --csv <file> [--control NAME] [--weights 50,50] [--confidence 0.95] [--sequential] [--json]",
		Short: "Lift, intervals, p-values, sample-ratio check and CUPED for an experiment in a CSV file",
		Long: `analyze reads a CSV file with a header row and the columns unit, variant,
value and optionally pre_value (the same metric before exposure, for
CUPED), and compares every variant against the control (--control; default
the first variant name in order): relative lift (0.05 is +5%) with its
delta-method confidence interval and two-sided p-value, Holm-adjusted
across variants, the Welch degrees of freedom, and with pre values the
CUPED-adjusted lift. --weights are the configured shares, in the order of
the variant names sorted (50,50) or by name (control=40,bonus=60), for the
sample-ratio check (chi-square; flagged below p 0.001). --sequential makes
the intervals and p-values always valid (confidence sequences), for
people who look at the results every day and stop when they see one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("--csv is required")
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			obs, err := readExperimentCSV(f)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			w, err := parseWeights(weights, obs)
			if err != nil {
				return err
			}
			a, err := insights.AnalyzeWith(obs, insights.Options{Control: control, Weights: w, Confidence: confidence,
				Sequential: sequential, Tuning: tuning})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(a)
			}
			printAnalysis(g.stdout, a)
			return nil
		},
	}
	analyze.Flags().StringVar(&file, "csv", "", "the CSV file: unit,variant,value[,pre_value]")
	analyze.Flags().StringVar(&control, "control", "", "the control variant (default: the first name in order)")
	analyze.Flags().StringVar(&weights, "weights", "", "configured shares: 50,50 (sorted names) or name=share,...")
	analyze.Flags().Float64Var(&confidence, "confidence", 0.95, "the confidence level of the intervals")
	analyze.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	analyze.Flags().BoolVar(&sequential, "sequential", false, "always-valid intervals and p-values, for looking at the results every day")
	analyze.Flags().Float64Var(&tuning, "tuning", insights.DefaultTuning, "with --sequential: the sample size around which the intervals are tightest")
	cmd.AddCommand(analyze)
	return cmd
}

// readExperimentCSV reads unit,variant,value[,pre_value] rows by header
// name; a line that does not parse is an error naming it.
func readExperimentCSV(r io.Reader) ([]insights.Observation, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("no header row: %w", err)
	}
	col := headerIndex(head)
	for _, need := range []string{"unit", "variant", "value"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("the header has no %s column (want unit,variant,value[,pre_value])", need)
		}
	}
	pre, hasPre := col["pre_value"]
	var out []insights.Observation
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		field := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		o := insights.Observation{Unit: field(col["unit"]), Variant: field(col["variant"])}
		if o.Variant == "" {
			return nil, fmt.Errorf("line %d: no variant", line)
		}
		if o.Value, err = strconv.ParseFloat(field(col["value"]), 64); err != nil || math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
			return nil, fmt.Errorf("line %d: value %q is not a number", line, field(col["value"]))
		}
		if hasPre {
			if o.Pre, err = strconv.ParseFloat(field(pre), 64); err != nil || math.IsNaN(o.Pre) || math.IsInf(o.Pre, 0) {
				return nil, fmt.Errorf("line %d: pre_value %q is not a number", line, field(pre))
			}
			o.HasPre = true
		}
		out = append(out, o)
	}
}

// parseWeights reads --weights: shares in sorted variant-name order, or
// name=share pairs.
func parseWeights(s string, obs []insights.Observation) (map[string]float64, error) {
	if s == "" {
		return nil, nil
	}
	var names []string
	for _, o := range obs {
		if !slices.Contains(names, o.Variant) {
			names = append(names, o.Variant)
		}
	}
	slices.Sort(names)
	out := map[string]float64{}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		name, share, named := strings.Cut(p, "=")
		if !named {
			if len(parts) != len(names) {
				return nil, fmt.Errorf("--weights %q: %d shares for %d variants (%s)", s, len(parts), len(names), strings.Join(names, ", "))
			}
			name, share = names[i], p
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(share), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("--weights %q: %q is not a positive share", s, share)
		}
		out[strings.TrimSpace(name)] = v
	}
	return out, nil
}

func printAnalysis(w io.Writer, a insights.Analysis) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variant\tn\tmean\tsd\n")
	for _, v := range a.Variants {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\n", v.Name, v.N, v.Mean, v.SD)
	}
	tw.Flush()
	warn := ""
	if a.SRMWarning {
		warn = "  ⚠ sample-ratio mismatch: the split is not what was configured; do not trust the results"
	}
	fmt.Fprintf(w, "\nsample ratio p = %.4g%s\n\n", a.SRMP, warn)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "vs %s\tlift\t%.0f%% interval\tp\tp (Holm)\tCUPED lift\tCUPED interval\n", a.Control, 100*a.Confidence)
	for _, c := range a.Comparisons {
		cuped := "\t"
		if c.CUPEDLift != nil {
			cuped = fmt.Sprintf("%+.2f%%\t[%+.2f%%, %+.2f%%]", 100**c.CUPEDLift, 100**c.CUPEDCILow, 100**c.CUPEDCIHigh)
		}
		fmt.Fprintf(tw, "%s\t%+.2f%%\t[%+.2f%%, %+.2f%%]\t%.4g\t%.4g\t%s\n", c.Variant, 100*c.Lift, 100*c.CILow, 100*c.CIHigh, c.PValue, c.PAdjusted, cuped)
	}
	tw.Flush()
}
