package tandem

import "testing"

func TestUserLabel(t *testing.T) {
	for _, tc := range []struct {
		u    User
		want string
	}{
		{User{ID: 3, Name: "Rita Rep", Email: "rita@example.com"}, "Rita Rep"},
		{User{ID: 3, Name: "  ", Email: "rita@example.com"}, "rita@example.com"},
		{User{ID: 3, Name: "Rita Rep"}, "Rita Rep"},
		{User{ID: 3}, "user 3"},
	} {
		if got := tc.u.Label(); got != tc.want {
			t.Errorf("%+v.Label() = %q; want %q", tc.u, got, tc.want)
		}
	}
}
