package inbound

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
)

// Source is a system that pushes leads and deal changes to
// POST /api/v1/hooks/{Name} (docs/integrations.md, "Inbound webhooks").
type Source struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Kind is KindStandard or KindHubSpot: how requests are signed and
	// what their bodies hold.
	Kind string `json:"kind"`
	// Secrets verify the signatures; more than one while a secret is
	// rotated. They are never shown again after they are made.
	Secrets []string `json:"-"`
	// Mapping is the YAML of the leads mapping of the payload's names;
	// empty means the kind's preset. DealMapping is the same for deals
	// (HubSpot's deal events); empty means the preset.
	Mapping     string    `json:"mapping,omitempty"`
	DealMapping string    `json:"deal_mapping,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// The kinds of source.
const (
	// KindStandard signs per the Standard Webhooks specification; the body
	// is {"type": ..., "timestamp": ..., "data": {...}} whose data is one
	// record (an object of names to values) or an array of them.
	KindStandard = "standard"
	// KindHubSpot signs with X-HubSpot-Signature-v3; the body is HubSpot's
	// array of contact and deal events.
	KindHubSpot = "hubspot"
)

// Kinds lists the kinds of source.
var Kinds = []string{KindStandard, KindHubSpot}

// MaxSecrets bounds the secrets a source holds at once.
const MaxSecrets = 5

//go:embed presets/*.yaml
var presets embed.FS

// Preset returns the YAML of a kind's mapping of the given record kind
// ("leads" or "deals"), or "" when the kind has none.
func Preset(kind, records string) string {
	b, err := presets.ReadFile("presets/" + kind + "_" + records + ".yaml")
	if err != nil {
		return ""
	}
	return string(b)
}

// Mappings is a source's compiled mappings: Deals is nil for a source
// whose kind sends no deals.
type Mappings struct {
	Leads, Deals *csvimport.Mapping
}

// Check returns an EINVALID error naming every setting that is wrong, and
// the source's mappings otherwise.
func (s Source) Check() (Mappings, error) {
	var errs []tandem.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, tandem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !formName.MatchString(s.Name) {
		bad("name", "%q is not a source name: 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit", s.Name)
	}
	if !slices.Contains(Kinds, s.Kind) {
		bad("kind", "%q is not a kind of source (%s)", s.Kind, strings.Join(Kinds, ", "))
	}
	if len(s.Secrets) == 0 || len(s.Secrets) > MaxSecrets {
		bad("secrets", "a source holds 1 to %d secrets; this has %d", MaxSecrets, len(s.Secrets))
	}
	for _, sec := range s.Secrets {
		if len(sec) < 16 || len(sec) > 200 {
			bad("secrets", "a secret is 16 to 200 characters; one has %d", len(sec))
		}
	}
	var ms Mappings
	parse := func(field, yaml, records string) *csvimport.Mapping {
		if yaml == "" {
			yaml = Preset(s.Kind, records)
			if yaml == "" {
				return nil
			}
		}
		m, err := csvimport.ParseMapping("source "+s.Name+" "+field, []byte(yaml))
		if err != nil {
			bad(field, "%s", tandem.ErrorMessage(err))
			return nil
		}
		if m.Kind != records {
			bad(field, "this mapping is of kind %s, not %q", records, m.Kind)
			return nil
		}
		if m.Source == "" {
			m.Source = s.Name
		}
		return m
	}
	if slices.Contains(Kinds, s.Kind) {
		ms.Leads = parse("mapping", s.Mapping, "leads")
		ms.Deals = parse("deal_mapping", s.DealMapping, "deals")
		if s.Kind == KindStandard && s.DealMapping != "" {
			bad("deal_mapping", "a %s source sends leads only", KindStandard)
		}
	}
	if len(errs) > 0 {
		return Mappings{}, tandem.Invalid(errs...)
	}
	return ms, nil
}

// Payload is what one request brings: records of leads and of deals.
type Payload struct {
	Leads, Deals []Record
}

// ParseStandard reads a Standard Webhooks body: an object whose "data" is
// a record or an array of records. A record's values are strings, numbers,
// booleans or null (no value); anything else is an EMALFORMED error naming
// the record and the name.
func ParseStandard(body []byte) (Payload, error) {
	var doc struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := decode(body, &doc); err != nil {
		return Payload{}, err
	}
	data := bytes.TrimSpace(doc.Data)
	if len(data) == 0 || string(data) == "null" {
		return Payload{}, tandem.Errorf(tandem.EMALFORMED, `the body has no "data": send {"type": ..., "timestamp": ..., "data": {...}}`)
	}
	var objs []map[string]any
	if data[0] == '[' {
		if err := decode(data, &objs); err != nil {
			return Payload{}, err
		}
	} else {
		var one map[string]any
		if err := decode(data, &one); err != nil {
			return Payload{}, err
		}
		objs = []map[string]any{one}
	}
	if len(objs) > maxRecords {
		return Payload{}, tandem.Errorf(tandem.ETOOLARGE, "data holds %d records; at most %d are taken at once", len(objs), maxRecords)
	}
	var p Payload
	for i, o := range objs {
		rec := make(Record, len(o))
		for k, v := range o {
			s, err := scalar(v)
			if err != nil {
				return Payload{}, tandem.Errorf(tandem.EMALFORMED, "data[%d].%s: %v", i, k, err)
			}
			rec[k] = s
		}
		p.Leads = append(p.Leads, rec)
	}
	return p, nil
}

// hubspotEvent is one event of a HubSpot webhook body.
type hubspotEvent struct {
	ObjectID         json.Number `json:"objectId"`
	SubscriptionType string      `json:"subscriptionType"`
	PropertyName     string      `json:"propertyName"`
	PropertyValue    any         `json:"propertyValue"`
	OccurredAt       json.Number `json:"occurredAt"`
}

// ParseHubSpot reads a HubSpot webhook body, a JSON array of events. The
// events of one object (contact.creation, contact.propertyChange, ...)
// become one record: "objectId", "occurredAt" (the first event's time, in
// RFC 3339) and each changed property by its internal name, the last
// change winning. Contacts are lead records, deals deal records; other
// objects' events are skipped.
func ParseHubSpot(body []byte) (Payload, error) {
	var evs []hubspotEvent
	if err := decode(body, &evs); err != nil {
		return Payload{}, err
	}
	if len(evs) > maxRecords*10 {
		return Payload{}, tandem.Errorf(tandem.ETOOLARGE, "the body holds %d events; at most %d are taken at once", len(evs), maxRecords*10)
	}
	var p Payload
	index := map[string]int{} // "contact:123" to its record in p
	for i, e := range evs {
		object, _, _ := strings.Cut(e.SubscriptionType, ".")
		var list *[]Record
		switch object {
		case "contact":
			list = &p.Leads
		case "deal":
			list = &p.Deals
		default:
			continue
		}
		id := e.ObjectID.String()
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return Payload{}, tandem.Errorf(tandem.EMALFORMED, "event %d: objectId %q is not a whole number", i, id)
		}
		key := object + ":" + id
		j, ok := index[key]
		if !ok {
			rec := Record{"objectId": id}
			if ms, err := e.OccurredAt.Int64(); err == nil && ms > 0 {
				rec["occurredAt"] = time.UnixMilli(ms).UTC().Format(time.RFC3339)
			}
			*list = append(*list, rec)
			j = len(*list) - 1
			index[key] = j
		}
		if e.PropertyName != "" {
			v, err := scalar(e.PropertyValue)
			if err != nil {
				return Payload{}, tandem.Errorf(tandem.EMALFORMED, "event %d: propertyValue: %v", i, err)
			}
			(*list)[j][e.PropertyName] = v
		}
	}
	if len(p.Leads)+len(p.Deals) > maxRecords {
		return Payload{}, tandem.Errorf(tandem.ETOOLARGE, "the body changes %d objects; at most %d are taken at once", len(p.Leads)+len(p.Deals), maxRecords)
	}
	return p, nil
}

func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return tandem.Errorf(tandem.EMALFORMED, "the body is not the JSON expected: %v", err)
	}
	if dec.More() {
		return tandem.Errorf(tandem.EMALFORMED, "the body has more after its JSON value")
	}
	return nil
}

// scalar writes a JSON value as a record's value: null is "".
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("a value must be a string, number, boolean or null")
}

// HubSpot's signature headers.
const (
	HubSpotSignatureHeader = "X-HubSpot-Signature-v3"
	HubSpotTimestampHeader = "X-HubSpot-Request-Timestamp"
	// HubSpotTolerance is how old a request may be.
	HubSpotTolerance = 5 * time.Minute
)

// HubSpotURI is the URI HubSpot signs for a request to scheme://host and
// the request URI (path and query) as received: HubSpot decodes these
// escapes before signing.
func HubSpotURI(scheme, host, requestURI string) string {
	return scheme + "://" + host + hubspotUnescape.Replace(requestURI)
}

var hubspotUnescape = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$", "%27", "'",
	"%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";")

// SignHubSpot returns HubSpot's v3 signature: the base64 HMAC-SHA256,
// under the app's secret, of method, URI, body and timestamp (Unix
// milliseconds, as written in the header) joined as they are.
func SignHubSpot(secret, method, uri string, body []byte, timestamp string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(method))
	h.Write([]byte(uri))
	h.Write(body)
	h.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// VerifyHubSpot checks a HubSpot v3 signature: the timestamp must be
// within HubSpotTolerance of now (either way) and the signature must be
// the one of one of the secrets. Its error says which check failed.
func VerifyHubSpot(secrets []string, method, uri string, body []byte, signature, timestamp string, now time.Time) error {
	if signature == "" || timestamp == "" {
		return fmt.Errorf("the request is not signed: send %s and %s", HubSpotSignatureHeader, HubSpotTimestampHeader)
	}
	if len(timestamp) > 15 || strings.Trim(timestamp, "0123456789") != "" {
		return fmt.Errorf("%s %q is not Unix milliseconds", HubSpotTimestampHeader, timestamp)
	}
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q is not Unix milliseconds", HubSpotTimestampHeader, timestamp)
	}
	if d := now.Sub(time.UnixMilli(ms)); d > HubSpotTolerance || d < -HubSpotTolerance {
		return fmt.Errorf("%s is %v from now, over %v: a stale or replayed request", HubSpotTimestampHeader, d.Round(time.Second), HubSpotTolerance)
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%s is not a base64 HMAC-SHA256", HubSpotSignatureHeader)
	}
	for _, s := range secrets {
		want, _ := base64.StdEncoding.DecodeString(SignHubSpot(s, method, uri, body, timestamp))
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%s does not match: the request is not from the source's secret, or was changed", HubSpotSignatureHeader)
}

// Deals maps deal records through the deals mapping m, as [Leads] does
// leads.
func Deals(m *csvimport.Mapping, records []Record) (ins []tandem.DealInput, errs []error) {
	ins = make([]tandem.DealInput, len(records))
	errs = make([]error, len(records))
	for i, rec := range records {
		var in tandem.LeadInput
		in, errs[i] = one(m, rec)
		ins[i] = tandem.DealInput{Fields: in.Fields, Initial: in.Initial}
	}
	return ins, errs
}

// SourceLeads maps a source's lead records as [Leads] does, and rejects a
// record that gives no external_id: a source's records are known by it,
// so that a change sent again (in a new message) changes nothing rather
// than creating the lead again.
func SourceLeads(m *csvimport.Mapping, records []Record) (ins []tandem.LeadInput, errs []error) {
	ins, errs = Leads(m, records)
	for i := range ins {
		if errs[i] == nil && strings.TrimSpace(ins[i].Fields["external_id"]) == "" {
			errs[i] = tandem.Invalid(tandem.FieldError{Field: "external_id", Message: "a webhook's record needs an id (the external_id), by which a change sent again is the same lead"})
		}
	}
	return ins, errs
}
