package ugc_test

import (
	"errors"
	"testing"

	"github.com/loyalbot/loyalbot/ugc"
)

func TestCanonicalize(t *testing.T) {
	tests := []struct {
		in, want, platform string
		short              bool
	}{
		{"https://www.xiaohongshu.com/explore/66f1a2b3000000001e03c9d4?xsec_token=ABx9Qz&xsec_source=pc_share", "https://xiaohongshu.com/explore/66f1a2b3000000001e03c9d4", "xiaohongshu", false},
		{"http://xhslink.com/a/Bc12dE3fG4h", "https://xhslink.com/a/Bc12dE3fG4h", "xiaohongshu", true},
		{"https://www.douyin.com/video/7412345678901234567?previous_page=app_code_link&share_app_id=1128", "https://douyin.com/video/7412345678901234567?previous_page=app_code_link", "douyin", false},
		{"https://v.douyin.com/iAbCdEf/", "https://v.douyin.com/iAbCdEf/", "douyin", true},
		{"https://m.weibo.cn/status/5071234567890123?from=page_1005&wm=3333_2001", "https://weibo.com/status/5071234567890123?wm=3333_2001", "weibo", false},
		{"https://www.bilibili.com/video/BV1xx411c7mD/?spm_id_from=333.1007&vd_source=abc123", "https://bilibili.com/video/BV1xx411c7mD?spm_id_from=333.1007", "bilibili", false},
		{"https://b23.tv/AbCd123", "https://b23.tv/AbCd123", "bilibili", true},
		{"https://channels.weixin.qq.com/web/pages/feed?eid=export%2FUzFf", "https://channels.weixin.qq.com/web/pages/feed?eid=export%2FUzFf", "wechat", false},
		{"https://www.instagram.com/p/C9aBcDeFgHi/?igsh=MWQ1ZGUxMzBkMA==", "https://instagram.com/p/C9aBcDeFgHi", "instagram", false},
		{"https://www.tiktok.com/@lumentea/video/7401234567890123456?is_from_webapp=1&sender_device=pc", "https://tiktok.com/@lumentea/video/7401234567890123456", "tiktok", false},
		{"https://youtu.be/dQw4w9WgXcQ?si=AbCdEfGh&t=42", "https://youtube.com/watch?v=dQw4w9WgXcQ", "youtube", false},
		{"https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "https://youtube.com/watch?v=dQw4w9WgXcQ", "youtube", false},
		{"https://twitter.com/lumentea/status/1834567890123456789?s=20&t=AbC", "https://x.com/lumentea/status/1834567890123456789", "x", false},
		{"HTTPS://Blog.Example.COM/Tea/Review/?utm_source=ig&utm_medium=social&b=2&a=1#comments", "https://blog.example.com/Tea/Review?a=1&b=2", "web", false},
		{"https://example.com:443/x", "https://example.com/x", "web", false},
	}
	for _, tt := range tests {
		got, err := ugc.Canonicalize(tt.in)
		if err != nil || got.Canonical != tt.want || got.Platform != tt.platform || got.Short != tt.short {
			t.Errorf("Canonicalize(%q) = %+v, %v\n want %q on %s (short %v)", tt.in, got, err, tt.want, tt.platform, tt.short)
		}
	}
}

func TestCanonicalize_Bad(t *testing.T) {
	for _, in := range []string{
		"", "not a url", "ftp://example.com/file", "javascript:alert(1)", "https://user:pass@example.com/post",
		"https://token@example.com/", "//example.com/x", "https:///nohost", "mailto:a@b.c",
		"https://example.com/" + string(make([]byte, 2100)),
	} {
		if _, err := ugc.Canonicalize(in); !errors.Is(err, ugc.ErrBadURL) {
			t.Errorf("Canonicalize(%q) = %v, want ErrBadURL", in, err)
		}
	}
}

// FuzzCanonicalize checks that canonicalization never panics and is
// idempotent: a canonical URL canonicalizes to itself.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{
		"https://www.xiaohongshu.com/explore/66f1?xsec_token=x", "https://youtu.be/abc?si=1", "http://a.b/c/?utm_x=1&a=%20&a=b#f",
		"https://m.weibo.cn/", "https://例子.测试/路径?q=一", "https://x.com/a%2Fb?q=a+b", "https://www.m.example.com/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		l, err := ugc.Canonicalize(in)
		if err != nil {
			return
		}
		again, err := ugc.Canonicalize(l.Canonical)
		if err != nil {
			t.Fatalf("canonical %q of %q is refused: %v", l.Canonical, in, err)
		}
		if again != l {
			t.Fatalf("not idempotent: %q → %+v → %+v", in, l, again)
		}
	})
}
