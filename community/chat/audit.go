package chat

import (
	"context"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
)

// auditLog is /audit [@member]: the latest manager actions, for owners.
func (c *handlers) auditLog(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	es, err := c.community.AuditLog(ctx, ev.ArgMember("member"), 20)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return bots.SayPrivately(ev, "audit.empty"), nil
	}
	var ids []uint64
	for _, e := range es {
		ids = append(ids, e.Actor, e.Target)
	}
	names, err := c.members.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	lines := []string{ev.T("audit.header")}
	for _, e := range es {
		who := names[e.Actor]
		if e.Platform != "" {
			who += " (" + e.Platform + " " + e.UserID + ")"
		}
		line := ev.T("audit.line", e.ID, e.Time.In(c.loc).Format("2006-01-02 15:04"), who, "/"+e.Action)
		if e.Target != 0 {
			line += " → " + names[e.Target]
		}
		if e.Amount != 0 {
			line += " " + pts(ev, e.Amount)
		}
		for _, k := range sortedKeys(e.Args) {
			if v := e.Args[k]; v != "" {
				line += " " + strconv.Quote(v)
			}
		}
		line += " [" + ev.T("outcome."+strings.ReplaceAll(e.Outcome, " ", "_")) + "]"
		lines = append(lines, line)
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Private: true}}, nil
}
