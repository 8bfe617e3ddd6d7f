package ugc

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// MaxURLLength is the longest URL a submission may carry.
const MaxURLLength = 2048

// ErrBadURL is wrapped by the errors Canonicalize returns for URLs it refuses.
var ErrBadURL = errors.New("ugc: bad url")

// Why a URL is refused, as URLError.Reason.
const (
	URLTooLong   = "too_long"  // over MaxURLLength
	URLMalformed = "malformed" // not a URL at all
	URLScheme    = "scheme"    // not http or https
	URLUserInfo  = "userinfo"  // carries a user name or password
	URLNoHost    = "no_host"   // no host
	URLBadHost   = "bad_host"  // the host is not a domain name
)

// URLError is the error Canonicalize returns for a URL it refuses. It
// wraps ErrBadURL; Reason is one of the URL* constants, for a caller to
// explain in the member's language.
type URLError struct {
	Reason string
	Host   string // for URLBadHost
	err    error  // the parser's error, for URLMalformed
}

func (e *URLError) Error() string {
	switch e.Reason {
	case URLTooLong:
		return fmt.Sprintf("%v: longer than %d characters", ErrBadURL, MaxURLLength)
	case URLMalformed:
		return fmt.Sprintf("%v: %v", ErrBadURL, e.err)
	case URLScheme:
		return fmt.Sprintf("%v: only http and https links", ErrBadURL)
	case URLUserInfo:
		return fmt.Sprintf("%v: links with a user name or password are not accepted", ErrBadURL)
	case URLBadHost:
		return fmt.Sprintf("%v: %q is not a domain name", ErrBadURL, e.Host)
	}
	return fmt.Sprintf("%v: no host", ErrBadURL)
}

// Unwrap returns ErrBadURL.
func (e *URLError) Unwrap() error { return ErrBadURL }

// Link is a validated, canonical content URL.
type Link struct {
	Canonical string // the form duplicates are found by
	Platform  string // "xiaohongshu", "douyin", ..., or "web"
	Type      string // "video" or "post"
	Short     bool   // a share short link, recorded as given
}

// hostAliases fold mobile and alternative hosts into one.
var hostAliases = map[string]string{
	"twitter.com":        "x.com",
	"mobile.twitter.com": "x.com",
	"m.weibo.cn":         "weibo.com",
	"weibo.cn":           "weibo.com",
	"m.douyin.com":       "douyin.com",
	"iesdouyin.com":      "douyin.com",
	"m.bilibili.com":     "bilibili.com",
	"m.youtube.com":      "youtube.com",
	"music.youtube.com":  "youtube.com",
	"m.tiktok.com":       "tiktok.com",
	"m.xiaohongshu.com":  "xiaohongshu.com",
	"m.instagram.com":    "instagram.com",
}

// shortHosts serve share short links: they redirect to a post, and are kept as given.
var shortHosts = map[string]string{
	"xhslink.com": "xiaohongshu", "v.douyin.com": "douyin", "b23.tv": "bilibili",
	"vm.tiktok.com": "tiktok", "vt.tiktok.com": "tiktok", "t.co": "x",
}

// platforms maps a canonical host (or its parent domain) to a platform.
var platforms = map[string]string{
	"xiaohongshu.com": "xiaohongshu", "douyin.com": "douyin", "weibo.com": "weibo",
	"bilibili.com": "bilibili", "channels.weixin.qq.com": "wechat", "mp.weixin.qq.com": "wechat",
	"instagram.com": "instagram", "tiktok.com": "tiktok", "youtube.com": "youtube", "x.com": "x",
}

var videoPlatforms = map[string]bool{"douyin": true, "tiktok": true, "youtube": true, "bilibili": true}

// trackingParams are query parameters that say who shared a link, never what it is.
var trackingParams = map[string]bool{
	"spm": true, "share_source": true, "xsec_token": true, "xsec_source": true, "fbclid": true, "gclid": true,
	"igsh": true, "igshid": true, "si": true, "feature": true, "share_from_user_hidden": true, "app_platform": true,
	"app_version": true, "share_id": true, "apptime": true, "author_share": true, "is_copy_url": true,
	"is_from_webapp": true, "sender_device": true, "web_id": true, "vd_source": true, "share_medium": true,
	"share_plat": true, "share_session_id": true, "share_tag": true, "unique_k": true, "bbid": true, "ts": true,
	"from": true, "from_spmid": true, "mid": true, "ref": true, "ref_src": true, "s": true, "t": true,
	"_r": true, "_t": true, "u_code": true, "did": true, "iid": true, "sec_uid": true, "share_app_id": true,
	"share_link_id": true, "share_item_id": true, "timestamp": true, "utm_id": true, "pp": true, "wfr": true,
	"_d": true, "_nt": true, "_xt": true, "sourceFrom": true, "source": true, "shareRedId": true, "ab": true,
}

// Canonicalize validates a content URL and returns its canonical form: the
// scheme is https, the host lower case without "www." and with mobile hosts
// folded, tracking parameters (utm_*, spm, xsec_token, fbclid, igsh, si, ...)
// and the fragment removed, the remaining parameters sorted, and a trailing
// slash dropped. Share short links (xhslink.com, v.douyin.com, b23.tv, ...)
// are kept as given. It returns an error wrapping ErrBadURL for anything
// but an absolute http(s) URL within MaxURLLength, with no credentials.
// Canonicalize is idempotent: canonicalizing a canonical URL changes nothing.
func Canonicalize(raw string) (Link, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURLLength {
		return Link{}, &URLError{Reason: URLTooLong}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Link{}, &URLError{Reason: URLMalformed, err: err}
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return Link{}, &URLError{Reason: URLScheme}
	case u.User != nil:
		return Link{}, &URLError{Reason: URLUserInfo}
	case u.Hostname() == "" || u.Opaque != "":
		return Link{}, &URLError{Reason: URLNoHost}
	}
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	if !strings.Contains(host, ".") || strings.Contains(host, "..") || strings.HasPrefix(host, ".") ||
		strings.ContainsAny(host, " %/\\@[]") {
		return Link{}, &URLError{Reason: URLBadHost, Host: u.Hostname()}
	}
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	if platform, ok := shortHosts[strings.TrimPrefix(host, "www.")]; ok {
		u.Scheme, u.Host, u.Fragment, u.RawFragment = "https", strings.TrimPrefix(host, "www."), "", ""
		return Link{Canonical: u.String(), Platform: platform, Type: typeOf(platform), Short: true}, nil
	}
	for _, prefix := range []string{"www.", "m.", "mobile."} {
		if h := strings.TrimPrefix(host, prefix); h != host && strings.Contains(h, ".") {
			if _, alias := hostAliases[host]; !alias {
				host = h
			}
		}
	}
	if a, ok := hostAliases[host]; ok {
		host = a
	}
	q := u.Query()
	path := u.EscapedPath()
	if host == "youtu.be" && len(path) > 1 { // youtu.be/ID is youtube.com/watch?v=ID
		q.Set("v", strings.Trim(path, "/"))
		host, path = "youtube.com", "/watch"
	}
	for k := range q {
		if trackingParams[k] || strings.HasPrefix(strings.ToLower(k), "utm_") {
			q.Del(k)
		}
	}
	path = strings.TrimRight(path, "/")
	out := "https://" + host + path
	if len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			vs := slices.Clone(q[k])
			slices.Sort(vs)
			for _, v := range vs {
				parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
			}
		}
		out += "?" + strings.Join(parts, "&")
	}
	platform := platformOf(host)
	return Link{Canonical: out, Platform: platform, Type: typeOf(platform)}, nil
}

func platformOf(host string) string {
	for h := host; h != ""; {
		if p, ok := platforms[h]; ok {
			return p
		}
		_, rest, found := strings.Cut(h, ".")
		if !found {
			break
		}
		h = rest
	}
	return "web"
}

func typeOf(platform string) string {
	if videoPlatforms[platform] {
		return "video"
	}
	return "post"
}
