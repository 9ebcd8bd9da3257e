package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
)

// Inbound webhook sources (docs/integrations.md, "Inbound webhooks"):
// their settings and secrets, and the message ids they delivered, kept
// to refuse replays.

// HookToken is the caller a source's deliveries are made as, for the lead
// rule ([FormRole]); the ledger names it "token:hook:NAME".
func HookToken(name string) tandem.Token { return tandem.Token{Name: "hook:" + name, Role: FormRole} }

// DeliveryKept is how long a delivered message id is kept: a message's
// timestamp is taken within 5 minutes either way of the time it is
// received, so after twice that no replay of it can be taken.
const DeliveryKept = 10 * time.Minute

const sourceColumns = `id, name, kind, secrets, mapping, deal_mapping, created_at`

func scanSource(row interface{ Scan(...any) error }) (inbound.Source, error) {
	var s inbound.Source
	var secrets string
	err := row.Scan(&s.ID, &s.Name, &s.Kind, &secrets, &s.Mapping, &s.DealMapping, scanTime{&s.CreatedAt})
	s.Secrets = strings.Fields(secrets)
	return s, err
}

// SaveSource creates the source, or changes the kind, mappings and
// secrets of the one of the same name; its settings are checked first
// ([inbound.Source.Check]: EINVALID naming each bad setting).
func (db *DB) SaveSource(ctx context.Context, s inbound.Source) (saved inbound.Source, err error) {
	defer wrap(&err, "save source %q", s.Name)
	if _, err := s.Check(); err != nil {
		return s, err
	}
	for _, sec := range s.Secrets {
		if strings.ContainsAny(sec, " \t\r\n") {
			return s, tandem.Invalid(tandem.FieldError{Field: "secrets", Message: "a secret has no spaces"})
		}
	}
	err = db.transact(ctx, func(tx *Tx) error {
		var before map[string]string
		if old, err := scanSource(tx.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM hook_sources WHERE name = $1`, s.Name)); err == nil {
			before = sourceAudit(old)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hook_sources (name, kind, secrets, mapping, deal_mapping, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)
			ON CONFLICT (name) DO UPDATE SET kind = $2, secrets = $3, mapping = $4, deal_mapping = $5, updated_at = $6`,
			s.Name, s.Kind, strings.Join(s.Secrets, " "), s.Mapping, s.DealMapping, tx.t(tx.Now))
		if err != nil {
			return err
		}
		saved, err = scanSource(tx.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM hook_sources WHERE name = $1`, s.Name))
		if err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditSourceSave, "source:"+s.Name, settingChanges(before, sourceAudit(saved)))
	})
	return saved, err
}

// sourceAudit is what the audit log shows of an inbound source: its
// secrets by count and fingerprint, never themselves.
func sourceAudit(s inbound.Source) map[string]string {
	fps := make([]string, len(s.Secrets))
	for i, sec := range s.Secrets {
		fps[i] = fingerprint(sec)
	}
	return map[string]string{"kind": s.Kind, "mapping": s.Mapping, "deal_mapping": s.DealMapping,
		"secrets": fmt.Sprintf("%d: %s", len(s.Secrets), strings.Join(fps, " "))}
}

// Source returns the source with the name, secrets included, or
// ENOTFOUND.
func (db *DB) Source(ctx context.Context, name string) (s inbound.Source, err error) {
	defer wrap(&err, "source %q", name)
	s, err = scanSource(db.read.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM hook_sources WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return s, tandem.Errorf(tandem.ENOTFOUND, "no inbound source %q", name)
	}
	return s, err
}

// Sources returns every source, by name, secrets included.
func (db *DB) Sources(ctx context.Context) (ss []inbound.Source, err error) {
	defer wrap(&err, "list sources")
	rows, err := db.read.QueryContext(ctx, `SELECT `+sourceColumns+` FROM hook_sources ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ss = []inbound.Source{}
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, rows.Err()
}

// DeleteSource deletes the source with the name, or answers ENOTFOUND.
func (db *DB) DeleteSource(ctx context.Context, name string) (err error) {
	defer wrap(&err, "delete source %q", name)
	return db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hook_deliveries WHERE source_id IN (SELECT id FROM hook_sources WHERE name = $1)`, name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM hook_sources WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no inbound source %q", name)
		}
		return tx.recordAudit(ctx, AuditSourceDelete, "source:"+name, nil)
	})
}

// ErrReplay is the EUNAUTHORIZED error of a message delivered before.
func errReplay(id string) error {
	return tandem.Errorf(tandem.EUNAUTHORIZED, "message %q was delivered before: a replay is refused", id)
}

// DeliverLeads takes a verified message of the source in one transaction:
// its id is recorded (a message id delivered before is refused as
// EUNAUTHORIZED, changing nothing) and its lead inputs go through intake
// as the source's caller ([HookToken]). An input whose mapping failed has
// its error in mapErrs and is rejected with it.
func (db *DB) DeliverLeads(ctx context.Context, src inbound.Source, messageID string, ins []tandem.LeadInput, mapErrs []error) (rs []IntakeResult, err error) {
	defer wrap(&err, "deliver to source %q", src.Name)
	err = db.transact(ctx, func(tx *Tx) error {
		if err := tx.recordDelivery(ctx, src.ID, messageID); err != nil {
			return err
		}
		rs = make([]IntakeResult, len(ins))
		var good []tandem.LeadInput
		for i, in := range ins {
			if mapErrs[i] == nil {
				good = append(good, in)
			}
		}
		out := make([]IntakeResult, len(good))
		if len(good) > 0 {
			tok := HookToken(src.Name)
			if err := tx.intakeLeads(ctx, good, IntakeOptions{DefaultSource: src.Name, Actor: tok.Actor(), As: &tok}, out); err != nil {
				return err
			}
		}
		for i := range ins {
			if mapErrs[i] != nil {
				rs[i] = IntakeResult{Status: tandem.StatusRejected, Err: mapErrs[i]}
				continue
			}
			rs[i], out = out[0], out[1:]
		}
		return nil
	})
	return rs, err
}

// recordDelivery records the message id, refusing one delivered before,
// and forgets the ids past [DeliveryKept].
func (tx *Tx) recordDelivery(ctx context.Context, sourceID int64, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM hook_deliveries WHERE expires_at < $1`, tx.t(tx.Now)); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO hook_deliveries (source_id, message_id, received_at, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (source_id, message_id) DO NOTHING`, sourceID, id, tx.t(tx.Now), tx.t(tx.Now.Add(DeliveryKept)))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errReplay(id)
	}
	return nil
}

// DeliverDeals takes the deal inputs of a verified message of the source
// through the deals import ([DB.ImportDeals]), as the source ("hook:NAME"
// in the ledger). The message's id is recorded first, in its own
// transaction (a message id delivered before is refused as
// EUNAUTHORIZED): when the import then fails, the id is forgotten again so
// that the sender's retry is taken. skipRecord leaves the id to a
// DeliverLeads of the same message.
func (db *DB) DeliverDeals(ctx context.Context, src inbound.Source, messageID string, skipRecord bool, ins []tandem.DealInput, mapErrs []error) (rs []IntakeResult, err error) {
	defer wrap(&err, "deliver deals to source %q", src.Name)
	if !skipRecord {
		if err := db.transact(ctx, func(tx *Tx) error { return tx.recordDelivery(ctx, src.ID, messageID) }); err != nil {
			return nil, err
		}
	}
	var good []tandem.DealInput
	for i, in := range ins {
		if mapErrs[i] == nil {
			good = append(good, in)
		}
	}
	out, err := db.ImportDeals(ctx, good, DealImportOptions{DefaultSource: src.Name, Actor: HookToken(src.Name).Actor()})
	if err != nil {
		// Forget the id, so that the sender's retry is taken.
		bg := context.WithoutCancel(ctx)
		if ferr := db.transact(bg, func(tx *Tx) error {
			_, err := tx.ExecContext(bg, `DELETE FROM hook_deliveries WHERE source_id = $1 AND message_id = $2`, src.ID, messageID)
			return err
		}); ferr != nil {
			return nil, errors.Join(err, ferr)
		}
		return nil, err
	}
	rs = make([]IntakeResult, len(ins))
	for i := range ins {
		if mapErrs[i] != nil {
			rs[i] = IntakeResult{Status: tandem.StatusRejected, Err: mapErrs[i]}
			continue
		}
		rs[i], out = out[0], out[1:]
	}
	return rs, nil
}
