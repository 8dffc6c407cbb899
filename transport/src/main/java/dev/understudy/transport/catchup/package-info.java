/**
 * Catch-up of a late or restarted clone from a peer's journal: the peer's
 * {@link dev.understudy.transport.catchup.CatchupServer} tails its journal from the requested
 * sequence and streams record frames on a unicast stream; the clone accepts only the next
 * sequence from either stream (no gap, no duplicate) and stops the session once live has bridged.
 */
package dev.understudy.transport.catchup;
