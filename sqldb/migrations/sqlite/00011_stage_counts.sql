-- +goose Up
-- Stage counts (docs/plan.md): the stage entries counted by hour, stage and
-- the lead's current source, origin and segment, with how many of those
-- leads entered the next path stage and the last one, so that the funnel's
-- history and pacing sum a few rows per hour instead of reading every
-- entry. The store keeps them equal to what stage_entries and leads give,
-- in the transaction that writes those (sqldb.Tx.writeStageCounts).
-- Migrations only move forward, so there is no Down.
--
-- bucket is the hour's start in UTC, in the fixed-width text form of every
-- time. The primary key leads with (stage, bucket): a window is one range
-- per stage. WITHOUT ROWID keeps the rows in that order.
CREATE TABLE stage_counts (
    stage        TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    source       TEXT NOT NULL,
    origin       TEXT NOT NULL,
    segment      TEXT NOT NULL,
    entered      INTEGER NOT NULL,
    reached_next INTEGER NOT NULL,
    reached_last INTEGER NOT NULL,
    PRIMARY KEY (stage, bucket, source, origin, segment)
) WITHOUT ROWID;

-- The path stages that "next" and "last" in stage_counts follow, separated
-- by spaces: those of the agreement in force when the counts were last
-- rebuilt. A write under another path rebuilds the counts.
CREATE TABLE stage_counts_path (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    stages TEXT NOT NULL
);
INSERT INTO stage_counts_path (id, stages) VALUES (1, '');

-- Databases that have stage entries need their counts built from them.
INSERT INTO backfills (name) VALUES ('stage_counts');
