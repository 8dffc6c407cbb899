/**
 * Catch-up of a late or restarted clone from a peer's journal: the peer's
 * {@link dev.understudy.transport.internal.catchup.CatchupServer} tails its journal from the requested
 * sequence and streams record frames on a unicast stream; the clone accepts only the next
 * sequence from either stream (no gap, no duplicate) and stops the session once live has bridged.
 *
 * <p>Not a public API: the replication channel's plumbing, run by {@code ReplicationPrimary} and
 * {@code ReplicationClone}, which expose its counters.
 */
package dev.understudy.transport.internal.catchup;
