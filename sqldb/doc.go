// Package sqldb stores Tandem's data in SQLite (the embedded default) or
// PostgreSQL, with one set of hand-written SQL. What the two databases do
// differently (reserving ids, bulk inserts, locking rows, reading times and
// JSON) sits behind the small dialect interface; everything else is shared
// and tested on both by one suite.
//
// The store loads rows, calls the pure rule packages (agreement, sla,
// attribution, calendar) and writes what they decide; it holds no business
// rule of its own. Its files, by the domain's concerns:
//
// Ledger and intake: a lead's events and the tables derived from them.
//   - leads.go: IntakeLeads (match, append events, run the stage rules), Lead
//   - import.go: CSV imports of every kind, through IntakeLeads and the rest;
//     the users import, in one transaction, matching people by email or name
//   - dates.go: a written date without an offset read in the agreement's zone
//   - stageentries.go, stagecounts.go: stage entries and hourly stage counts,
//     derived from the events in the transaction that writes them
//   - verify.go: VerifyLedger replays every lead from its events
//
// The SLA engine: hand-offs, clocks, cadences, escalation.
//   - agreements.go: propose, sign, the agreement in force (AgreementAt)
//   - handoffs.go: opening a hand-off, routing, the engine that reacts to moves
//   - timers.go: durable timers as indexed rows; FireDue claims the due ones
//   - fire.go: what a fired clock does (breach, escalation, next step)
//   - work.go: touches, decisions (accept, reject, disqualify), assignment
//   - outbox.go: structured events and their notifications, written in the
//     transaction (Tx.publish), delivered later by the channels; dead letters
//   - inbox.go: a person's in-app notifications, the unread count, mark read
//   - webhooks.go: outgoing webhook subscriptions and their deliveries,
//     written with the event, claimed with a lease; the installation id
//
// Deals and campaigns: the closed loop.
//   - deals.go: opportunities through the pipeline's stages, won and lost,
//     settling the lead; the deals import (deals without a lead create it)
//   - dealbatch.go: what a batch of the deals import reads once and writes
//     together
//   - accounts.go, products.go: the accounts and the product catalogue
//   - dealboard.go: the deals board (sums, weighted pipeline, cards) and
//     the deals' read rule (a deal is read through its lead)
//   - accountpage.go: the account page, the accounts list and the catalogue
//   - campaigns.go: campaigns, spend, marketing touches
//   - closedloop.go: jeopardy alerts, frozen scorecards, outcomes
//
// Reads for reports: rows gathered for package report, which computes.
//   - slareport.go: SLAInput for the SLA report and board
//   - rates.go: History (cohorts for the plan's rates), won deals
//   - movedon.go: leads that went on from each stage in a window
//   - dealreport.go: one row per deal for the deals report (win rates)
//   - dealreport.go: DealReportRows, the deals of the deals report
//   - atrisk.go, queuepage.go: the pages' lists of leads at risk and queues
//   - campaignpage.go: the campaigns page's quality by campaign and the
//     lead-review list (CampaignQuality)
//   - kept.go: kept (cached) reports
//
// People and access: users, sessions, tokens, who may act.
//   - users.go, sessions.go, tokens.go
//   - access.go: gathers the facts package access decides on (the caller,
//     who is below them, a lead's owners) and the list scope for reads
//   - audit.go: the audit log of users and tokens, written with each change
//
// Integrations: what other systems send.
//   - forms.go: website forms and their posts (SubmitForms: a batch of
//     posts in one transaction, idempotent by submission id)
//   - hooks.go: inbound webhook sources, their secrets, and the delivered
//     message ids kept against replays
//
// Plumbing.
//   - db.go: Open, migrations, transactions (transact, Tx.Now)
//   - dialect.go, sqlite.go, postgres.go: what differs between the engines
//   - stmtcache.go: prepared statements per connection
//   - backup.go, dump.go, dumpload.go: backup, JSON-lines export and load
//   - migrations/: the schema, one numbered file per change, for both engines
package sqldb
