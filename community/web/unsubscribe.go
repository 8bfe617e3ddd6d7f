package web

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// Unsubscriber stops campaign mail to the member a signed token names;
// *community.Lifecycle is one.
type Unsubscriber interface {
	// Unsubscribe returns the member's language, or an error for a token
	// that is not valid.
	Unsubscribe(ctx context.Context, token string) (locale string, err error)
}

var unsubscribePage = template.Must(template.New("u").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto;line-height:1.5">
<p>{{.Text}}</p>{{if .Ask}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

// UnsubscribeHandler serves /unsubscribe/{token}: GET shows a page asking
// to confirm (link scanners fetch links; they must not unsubscribe
// anyone); POST — the button, or a mail client's one-click
// List-Unsubscribe-Post — unsubscribes, idempotently. A token that is not
// valid gets 404.
func UnsubscribeHandler(u Unsubscriber, cat *bots.Catalog, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodGet {
			// Both languages: the page does not know the reader's before
			// the token is used.
			text := cat.Format(bots.English, "email.unsubscribe_ask") + " / " + cat.Format(bots.Chinese, "email.unsubscribe_ask")
			unsubscribePage.Execute(w, map[string]any{"Title": text, "Text": text, "Ask": true,
				"Button": cat.Format(bots.English, "email.unsubscribe_button") + " / " + cat.Format(bots.Chinese, "email.unsubscribe_button")})
			return
		}
		locale, err := u.Unsubscribe(r.Context(), token)
		if err != nil {
			if !errors.Is(err, community.ErrBadUnsubscribe) {
				log.ErrorContext(r.Context(), "unsubscribe failed", "err", err)
			}
			w.WriteHeader(http.StatusNotFound)
			unsubscribePage.Execute(w, map[string]any{"Title": "404", "Text": cat.Format(bots.English, "email.unsubscribe_bad")})
			return
		}
		text := cat.Format(locale, "email.unsubscribed")
		unsubscribePage.Execute(w, map[string]any{"Title": text, "Text": text})
	})
}
