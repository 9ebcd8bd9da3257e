package http

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tandemhq/tandem/webhook"
)

// The Standard Webhooks scheme for inbound sources, through package
// webhook: the one implementation of the specification, which the
// outgoing webhooks sign with.

// verifyStandard checks a Standard Webhooks signature under any of the
// source's secrets (more than one during a rotation) and returns the
// message's id, by which a replay is refused.
func verifyStandard(h http.Header, body []byte, now time.Time, secrets []string) (string, error) {
	keys := make([]webhook.Secret, 0, len(secrets))
	for _, s := range secrets {
		k, err := webhook.ParseSecret(s)
		if err != nil {
			return "", fmt.Errorf("a secret of the source is not a Standard Webhooks secret: %w", err)
		}
		keys = append(keys, k)
	}
	return webhook.Verify(h, body, now, keys...)
}

// newStandardSecret makes a source's secret, "whsec_...".
func newStandardSecret() string { return webhook.NewSecret().String() }

// checkStandardSecret says why s is not a Standard Webhooks secret.
func checkStandardSecret(s string) error {
	_, err := webhook.ParseSecret(s)
	return err
}
