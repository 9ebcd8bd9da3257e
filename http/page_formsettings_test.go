package http

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/webhook"
)

// TestSettingsIntegrations: an admin makes a form (bad settings shown by
// their fields, nothing stored), sees its snippet, makes a Standard
// Webhooks source and sees its secret once, rotates and retires it, and
// creates a token with scopes and an expiry that the page lists.
func TestSettingsIntegrations(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ctx := context.Background()
		db, clk := openDB(t, b)
		users := pageUsers(t, db)
		s := startServer(t, db, nil)
		admin := newWebClient(t, s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")

		bad := url.Values{"name": {"Contact Us"}, "origins": {"https://example.com/page"}, "per_minute": {"0"}, "mapping": {"kind: leads\nfields:\n  email: email\n"}}
		want(t, "a bad form", admin.post("/settings/forms", bad), 422, "is not a form name", "is not an origin", "is not between 1 and")
		if fs, _ := db.Forms(ctx); len(fs) != 0 {
			t.Errorf("a refused form was stored: %+v", fs)
		}
		good := url.Values{"name": {"contact"}, "origins": {"https://www.example.com"}, "per_minute": {"10"}, "honeypot": {"website"},
			"campaign": {"spring"}, "utm_source": {"site"}, "mapping": {"kind: leads\nfields:\n  email: email\n  first_name: {column: first_name, optional: true}\n"}}
		want(t, "save a form", admin.post("/settings/forms", good), 303, "/settings?done=form#forms")
		want(t, "the form's snippet", admin.get("/settings"), 200, "action=&#34;"+s.URL()+"/f/contact&#34;", "name=&#34;website&#34;", "stamps the campaign spring")
		f, err := db.Form(ctx, "contact")
		if err != nil || f.UTM["utm_source"] != "site" || f.PerMinute != 10 {
			t.Errorf("Form(contact) = %+v, %v; want utm_source site, 10 a minute", f, err)
		}
		want(t, "the form's posts page", admin.get("/settings/forms/contact"), 200, "No posts yet")

		r := admin.post("/settings/sources", url.Values{"name": {"crm"}, "kind": {"standard"}})
		want(t, "add a source", r, 200, "The new secret of the source crm")
		secret := html.UnescapeString(shownSecret(t, "add a source", r))
		if _, err := webhook.ParseSecret(secret); err != nil {
			t.Errorf("the shown secret %q is not a Standard Webhooks secret: %v", secret, err)
		}
		if strings.Contains(html.UnescapeString(string(admin.get("/settings").body)), secret) {
			t.Errorf("the settings page shows the source's secret again")
		}
		r = admin.post("/settings/sources/rotate", url.Values{"name": {"crm"}})
		second := html.UnescapeString(shownSecret(t, "rotate", r))
		src, err := db.Source(ctx, "crm")
		if err != nil || len(src.Secrets) != 2 || src.Secrets[0] != second || src.Secrets[1] != secret {
			t.Errorf("after a rotation the source's secrets = %d, %v; want the new one, then the old", len(src.Secrets), err)
		}
		want(t, "retire", admin.post("/settings/sources/retire", url.Values{"name": {"crm"}}), 303, "/settings?done=retired#sources")
		if src, _ := db.Source(ctx, "crm"); len(src.Secrets) != 1 || src.Secrets[0] != second {
			t.Errorf("after retiring, the source keeps %d secrets; want the newest only", len(src.Secrets))
		}
		want(t, "a HubSpot source without its secret", admin.post("/settings/sources", url.Values{"name": {"hs"}, "kind": {"hubspot"}}), 422, "client secret")

		expires := clk.Now().AddDate(0, 0, 30).Format(time.DateOnly)
		r = admin.post("/settings/tokens", url.Values{"name": {"site"}, "role": {"marketing"}, "scopes": {"leads:write", "leads:read"}, "expires": {expires}})
		want(t, "a scoped token", r, 200, "created the token site")
		want(t, "an unknown scope", admin.post("/settings/tokens", url.Values{"name": {"odd"}, "role": {"marketing"}, "scopes": {"leads:delete"}}), 422, "is not a scope")
		want(t, "the token's scopes", admin.get("/settings"), 200, `data-testid="scopes">leads:read, leads:write</td>`, `datetime="`+expires+`T00:00:00Z"`)
		toks, err := db.Tokens(ctx)
		if err != nil || len(toks) != 1 || strings.Join(toks[0].Scopes, " ") != "leads:read leads:write" || toks[0].ExpiresAt.Format(time.DateOnly) != expires {
			t.Errorf("Tokens = %+v, %v; want site with leads:read leads:write, expiring %s", toks, err, expires)
		}
	})
}
