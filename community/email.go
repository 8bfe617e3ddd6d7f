package community

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/campaign"
	maildom "github.com/loyalbot/loyalbot/community/mail"
)

// Email is the e-mail channel: who sends, where unsubscribe links point,
// and the key that signs them.
type Email struct {
	Sender    maildom.Sender
	PublicURL string // the address loyalbot's HTTP server is reached at, e.g. https://bot.example.com
	Key       []byte // signs unsubscribe links
}

// E-mail errors.
var (
	ErrNoEmail        = errors.New("community: e-mail is not set up")
	ErrBadEmail       = errors.New("community: not an e-mail address")
	ErrTooManyCodes   = errors.New("community: too many confirmation codes today")
	ErrWrongCode      = errors.New("community: wrong or expired confirmation code")
	ErrBadUnsubscribe = errors.New("community: not a valid unsubscribe link")
)

// Confirmation codes: how many a member may ask for a day, how long one works.
const (
	codesPerDay  = 3
	codeTTL      = 30 * time.Minute
	maxCodeTries = 5
	mailsPerAddr = 3 // confirmation mails to one address a day, whoever asks
)

// Mailing is the Lifecycle's e-mail channel: members' addresses,
// confirmation codes, campaign mail and unsubscribing.
type Mailing struct {
	*Lifecycle

	mu   sync.Mutex
	day  string         // the community day sent counts
	sent map[string]int // confirmation mails per address that day, whoever asked (per process)
}

// allow counts a confirmation mail to addr today and reports whether it
// may go: at most mailsPerAddr a day, so no one can flood an address from
// many accounts (or one erased and rejoined).
func (l *Mailing) allow(addr, today string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.day != today || l.sent == nil {
		l.day, l.sent = today, map[string]int{}
	}
	addr = strings.ToLower(addr)
	if l.sent[addr] >= mailsPerAddr {
		return false
	}
	l.sent[addr]++
	return true
}

// EmailOn reports whether the e-mail channel is set up.
func (l *Mailing) EmailOn() bool { return l.email != nil }

// WithEmail turns the e-mail channel on.
func (l *Mailing) WithEmail(e Email) *Lifecycle {
	l.email = &e
	return l.Lifecycle
}

func codeHash(member uint64, code string) string {
	sum := sha256.Sum256([]byte(strconv.FormatUint(member, 10) + ":" + strings.TrimSpace(code)))
	return hex.EncodeToString(sum[:])
}

// RequestEmail sends a confirmation code to addr; the address is the
// member's once they send the code back (ConfirmEmail). It returns the
// address as it will be used.
func (l *Mailing) RequestEmail(ctx context.Context, member uint64, addr string) (string, error) {
	if l.email == nil {
		return "", ErrNoEmail
	}
	a, err := mail.ParseAddress(strings.TrimSpace(addr))
	if err != nil || strings.ContainsAny(a.Address, " \r\n") || len(a.Address) > 254 {
		return "", ErrBadEmail
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	now := l.c.now()
	today := now.In(l.c.loc).Format(time.DateOnly)
	if !l.allow(a.Address, today) {
		return "", ErrTooManyCodes
	}
	m, err := l.c.members.Update(ctx, member, func(m *Member) error {
		if m.EmailDay != today {
			m.EmailDay, m.EmailSent = today, 0
		}
		if m.EmailSent >= codesPerDay {
			return ErrTooManyCodes
		}
		m.EmailSent++
		m.EmailPending, m.EmailCode, m.EmailExpires, m.EmailTries = a.Address, codeHash(member, code), now.Add(codeTTL), 0
		return nil
	})
	if err != nil {
		return "", err
	}
	loc := localeOr(m.Locale)
	err = l.email.Sender.Send(ctx, maildom.Message{To: a.Address, Subject: l.c.catalog.Format(loc, "email.code_subject"),
		Text: l.c.catalog.Format(loc, "email.code_body", m.Name, code)})
	if err != nil {
		l.c.log.WarnContext(ctx, "confirmation mail not sent", "member", member, "err", err)
		return "", fmt.Errorf("send confirmation: %w", err)
	}
	return a.Address, nil
}

// ConfirmEmail makes the pending address the member's when code is the
// one sent to it, within half an hour.
func (l *Mailing) ConfirmEmail(ctx context.Context, member uint64, code string) (string, error) {
	var addr string
	wrong := false
	_, err := l.c.members.Update(ctx, member, func(m *Member) error {
		ok := m.EmailPending != "" && l.c.now().Before(m.EmailExpires) &&
			subtle.ConstantTimeCompare([]byte(m.EmailCode), []byte(codeHash(member, code))) == 1
		if !ok {
			// A wrong code is counted (committed, not rolled back); the
			// fifth voids the code, so six digits cannot be guessed.
			if m.EmailPending != "" {
				if m.EmailTries++; m.EmailTries >= maxCodeTries {
					m.EmailPending, m.EmailCode, m.EmailExpires = "", "", time.Time{}
				}
			}
			wrong = true
			return nil
		}
		addr = m.EmailPending
		m.Email, m.EmailOff, m.EmailPending, m.EmailCode, m.EmailExpires, m.EmailTries = addr, false, "", "", time.Time{}, 0
		return nil
	})
	if err == nil && wrong {
		return "", ErrWrongCode
	}
	return addr, err
}

// RemoveEmail forgets the member's address.
func (l *Mailing) RemoveEmail(ctx context.Context, member uint64) error {
	_, err := l.c.members.Update(ctx, member, func(m *Member) error {
		m.Email, m.EmailPending, m.EmailCode, m.EmailExpires = "", "", "", time.Time{}
		return nil
	})
	return err
}

// unsubscribeToken signs member for an unsubscribe link.
func (l *Mailing) unsubscribeToken(member uint64) string {
	mac := hmac.New(sha256.New, l.email.Key)
	id := strconv.FormatUint(member, 10)
	mac.Write([]byte("unsubscribe:" + id))
	return id + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// UnsubscribeURL is the member's one-click unsubscribe link.
func (l *Mailing) UnsubscribeURL(member uint64) string {
	return strings.TrimSuffix(l.email.PublicURL, "/") + "/unsubscribe/" + l.unsubscribeToken(member)
}

// Unsubscribe stops campaign mail to the member a signed token names, and
// returns their language. It is idempotent.
func (l *Mailing) Unsubscribe(ctx context.Context, token string) (string, error) {
	if l.email == nil {
		return "", ErrNoEmail
	}
	id, _, _ := strings.Cut(token, ".")
	member, err := strconv.ParseUint(id, 10, 64)
	if err != nil || subtle.ConstantTimeCompare([]byte(token), []byte(l.unsubscribeToken(member))) != 1 {
		return "", ErrBadUnsubscribe
	}
	m, err := l.c.members.Update(ctx, member, func(m *Member) error { m.EmailOff = true; return nil })
	if errors.Is(err, ErrNoMember) {
		return bots.English, nil // erased since: nothing is sent anyway
	}
	if err == nil {
		l.c.log.InfoContext(ctx, "member unsubscribed from campaign mail", "member", member)
	}
	return localeOr(m.Locale), err
}

// mailTo e-mails a campaign message to its member; ok is false when they
// have no confirmed address or unsubscribed.
func (l *Mailing) mailTo(ctx context.Context, mem Member, m campaign.Message) (bool, error) {
	if l.email == nil || mem.Email == "" || mem.EmailOff {
		return false, nil
	}
	loc := localeOr(mem.Locale)
	text := m.Text
	for _, b := range m.Buttons {
		text += "\n" + b.Label + ": " + b.Command
	}
	err := l.email.Sender.Send(ctx, maildom.Message{To: mem.Email, Subject: m.Subject, Text: text,
		Unsubscribe: l.UnsubscribeURL(mem.ID), Footer: l.c.catalog.Format(loc, "email.unsubscribe")})
	return err == nil, err
}

var emailEnglish = map[string]string{
	"email.code_subject":       "Your confirmation code",
	"email.code_body":          "Hi %s,\nyour confirmation code is %s. Send /email confirm %[2]s in the chat within 30 minutes.\nIf you did not ask for it, ignore this mail.",
	"email.unsubscribe":        "Unsubscribe from these e-mails",
	"email.unsubscribe_ask":    "Stop campaign e-mails to this address?",
	"email.unsubscribe_button": "Unsubscribe",
	"email.unsubscribed":       "Done: you will get no more campaign e-mails. Chat messages are not affected; /email off in the chat removes the address.",
	"email.unsubscribe_bad":    "This unsubscribe link is not valid.",
}

var emailChinese = map[string]string{
	"email.code_subject":       "你的验证码",
	"email.code_body":          "%s，你好：\n你的验证码是 %s。请在 30 分钟内在聊天中发送 /email confirm %[2]s。\n如果不是你本人操作，请忽略这封邮件。",
	"email.unsubscribe":        "退订此类邮件",
	"email.unsubscribe_ask":    "停止向这个邮箱发送活动邮件？",
	"email.unsubscribe_button": "退订",
	"email.unsubscribed":       "已退订：不会再收到活动邮件。聊天消息不受影响；在聊天中发送 /email off 可删除邮箱。",
	"email.unsubscribe_bad":    "这个退订链接无效。",
}
