/**
 * The clone's journal on Chronicle Queue: {@link dev.understudy.transport.journal.Journal} appends
 * every received record (one record per excerpt, consecutive sequences) before the clone
 * acknowledges, recovers its last sequence on open, reports a full disk as
 * {@link dev.understudy.transport.journal.JournalFullException} without corrupting what was written,
 * and applies retention; {@link dev.understudy.transport.journal.JournalTailer} reads records in order
 * from any sequence for the replayer and for catch-up; {@link dev.understudy.transport.journal.JournalDigest}
 * compares two journals' content.
 */
package dev.understudy.transport.journal;
