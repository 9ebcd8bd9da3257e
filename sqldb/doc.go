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
//   - import.go: CSV imports of every kind, through IntakeLeads and the rest
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
//   - outbox.go: notifications written in the transaction, delivered later
//
// Deals and campaigns: the closed loop.
//   - deals.go: opportunities, won and lost, settling the lead
//   - campaigns.go: campaigns, spend, marketing touches
//   - closedloop.go: jeopardy alerts, frozen scorecards, outcomes
//
// Reads for reports: rows gathered for package report, which computes.
//   - slareport.go: SLAInput for the SLA report and board
//   - rates.go: History (cohorts for the plan's rates), won deals
//   - dealreport.go: DealReportRows, the deals of the deals report
//   - atrisk.go, queuepage.go: the pages' lists of leads at risk and queues
//   - kept.go: kept (cached) reports
//
// People and access: users, sessions, tokens.
//   - users.go, sessions.go, tokens.go
//
// Plumbing.
//   - db.go: Open, migrations, transactions (transact, Tx.Now)
//   - dialect.go, sqlite.go, postgres.go: what differs between the engines
//   - stmtcache.go: prepared statements per connection
//   - backup.go, dump.go, dumpload.go: backup, JSON-lines export and load
//   - migrations/: the schema, one numbered file per change, for both engines
package sqldb
