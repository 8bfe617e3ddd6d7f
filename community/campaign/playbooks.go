package campaign

import (
	_ "embed"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

//go:embed playbooks.yaml
var playbooksYAML []byte

// Playbooks returns the built-in campaigns (welcome, expiry, tier,
// birthday, winback, csat, nps).
func Playbooks() ([]Definition, error) {
	var defs []Definition
	if err := yaml.Unmarshal(playbooksYAML, &defs); err != nil {
		return nil, fmt.Errorf("built-in playbooks: %w", err)
	}
	return defs, nil
}

// Merge returns the playbooks switched on (switches maps a playbook's id
// to false to switch it off; an unknown id is an error) followed by
// custom, where a custom campaign with a playbook's id replaces it.
func Merge(playbooks []Definition, switches map[string]bool, custom []Definition) ([]Definition, error) {
	for id := range switches {
		if !slices.ContainsFunc(playbooks, func(d Definition) bool { return d.ID == id }) {
			return nil, fmt.Errorf("playbooks.%s: no such playbook", id)
		}
	}
	var out []Definition
	for _, p := range playbooks {
		if on, set := switches[p.ID]; set && !on {
			continue
		}
		if i := slices.IndexFunc(custom, func(d Definition) bool { return d.ID == p.ID }); i >= 0 {
			continue // replaced below
		}
		out = append(out, p)
	}
	return append(out, custom...), nil
}
