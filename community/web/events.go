package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// EventSink takes inbound events; *community.Lifecycle is one.
type EventSink interface {
	// ResolveMember returns the member a shop customer id, or a member
	// link ("platform:user id", or a loyalbot member id), names.
	ResolveMember(ctx context.Context, customer, member string) (id uint64, ok bool, err error)
	// Publish appends ev to the outbox; added is false for a key seen before.
	Publish(ctx context.Context, ev outbox.Event) (added bool, err error)
}

// errBadEvent marks an inbound event the sender must fix (400);
// errRefusedEvent one that is well formed but refused (422).
var (
	errBadEvent     = errors.New("bad event")
	errRefusedEvent = errors.New("event refused")
)

// reserved are the event types loyalbot records itself: a sender must not
// forge a check-in or a paid order, which campaigns may pay points for.
var reserved = map[string]bool{outbox.MemberJoined: true, outbox.CheckedIn: true, outbox.PointsEarned: true, outbox.PointsRedeemed: true,
	outbox.PointsExpired: true, outbox.TierChanged: true, outbox.OrderPaid: true, outbox.OrderRefunded: true,
	outbox.SubmissionApproved: true, outbox.ReferralQualified: true, outbox.TicketClosed: true, outbox.SurveyAnswered: true,
	"segment_changed": true}

// Inbound event limits.
const (
	maxProps     = 20
	maxPropValue = 200
)

var eventType = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// EventWebhook serves POST /webhooks/events, signed like the order
// webhook (X-Loyalbot-Timestamp, X-Loyalbot-Signature). The body is
// {"event_id", "customer_id" or "member", "type", "at" (RFC 3339),
// "properties": {...}}. Answers: 503 with no secret, 413, 401 as the order
// webhook; 400 for a malformed event; 422 for a type loyalbot records
// itself or a time more than a day ahead; 200 otherwise, with
// "matched" (a member was found) and "duplicate" (the event id was seen).
func EventWebhook(sink EventSink, secret string, now func() time.Time, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := signedBody(w, r, secret, "events webhook", now, log)
		if !ok {
			return
		}
		in, err := decodeInbound(body, now())
		var member uint64
		var matched, added bool
		if err == nil {
			member, matched, err = sink.ResolveMember(r.Context(), in.customer, in.member)
		}
		if err == nil && matched {
			added, err = sink.Publish(r.Context(), outbox.Event{Key: "inbound:" + in.id, Type: in.typ, Member: member, At: in.at, Props: in.props})
		}
		switch {
		case errors.Is(err, errBadEvent):
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case errors.Is(err, errRefusedEvent):
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		case err != nil:
			log.ErrorContext(r.Context(), "events webhook failed", "event", in.id, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !matched {
			log.InfoContext(r.Context(), "events webhook: no member for the event", "event", in.id, "type", in.typ)
		}
		JSON(w, http.StatusOK, map[string]any{"ok": true, "event_id": in.id, "matched": matched, "duplicate": matched && !added})
	})
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// inbound is a decoded inbound event.
type inbound struct {
	id, customer, member, typ string
	at                        time.Time
	props                     map[string]string
}

func decodeInbound(body []byte, now time.Time) (inbound, error) {
	var e struct {
		ID       string         `json:"event_id"`
		Customer string         `json:"customer_id"`
		Member   string         `json:"member"`
		Type     string         `json:"type"`
		At       string         `json:"at"`
		Props    map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return inbound{}, fmt.Errorf("%w: %s", errBadEvent, jsonProblem(err))
	}
	ev := inbound{id: e.ID, customer: e.Customer, member: e.Member, typ: e.Type, props: map[string]string{}}
	at, err := time.Parse(time.RFC3339, e.At)
	switch {
	case e.ID == "" || len(e.ID) > 200 || !printable(e.ID):
		return ev, fmt.Errorf("%w: event_id is required: at most 200 printable characters", errBadEvent)
	case e.Customer == "" && e.Member == "":
		return ev, fmt.Errorf("%w: give customer_id or member", errBadEvent)
	case !eventType.MatchString(e.Type):
		return ev, fmt.Errorf("%w: type %q: 2–40 lowercase letters, digits and _", errBadEvent, e.Type)
	case err != nil:
		return ev, fmt.Errorf("%w: at %q is not RFC 3339", errBadEvent, e.At)
	case at.Year() < 2000:
		return ev, fmt.Errorf("%w: at %s is before 2000", errRefusedEvent, e.At)
	case at.After(now.Add(24 * time.Hour)):
		return ev, fmt.Errorf("%w: at %s is more than a day ahead", errRefusedEvent, e.At)
	case reserved[e.Type]:
		return ev, fmt.Errorf("%w: type %s is one loyalbot records itself", errRefusedEvent, e.Type)
	case len(e.Props) > maxProps:
		return ev, fmt.Errorf("%w: at most %d properties", errBadEvent, maxProps)
	}
	ev.at = at
	for k, v := range e.Props {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(v)
		case nil:
			continue
		default:
			return ev, fmt.Errorf("%w: property %s: want a string, number or boolean", errBadEvent, k)
		}
		if k == "" || len(k) > 40 || !printable(k) {
			return ev, fmt.Errorf("%w: property names are 1–40 printable characters", errBadEvent)
		}
		if len(s) > maxPropValue || !utf8.ValidString(s) {
			return ev, fmt.Errorf("%w: property %s: at most %d bytes of UTF-8", errBadEvent, k, maxPropValue)
		}
		ev.props[k] = s
	}
	return ev, nil
}
