/**
 * Failure detection, election and fencing as a state machine with no I/O in it
 * (DESIGN.md, "Failure, election, switchover", invariants 5 and 6).
 *
 * <p>{@link dev.understudy.agent.election.ElectionNode} is one node's view. Everything it
 * learns comes in as a method call with an explicit time in nanoseconds (a tick, a message, a
 * record appended to the local journal, a hand-off request); everything it decides goes out as
 * {@link dev.understudy.agent.election.Message}s to an
 * {@link dev.understudy.agent.election.Outbox} and as local instructions to an
 * {@link dev.understudy.agent.election.ElectionListener} (persist this vote, stop serving,
 * truncate the journal, replicate from here). It reads no clock, starts no thread and draws
 * randomness only from the generator it is given, so a simulation can drive a whole cluster of
 * them from one seed, and the agent can drive one from its heartbeat duty cycle.
 *
 * <p>The rules, with where they come from:
 * <ul>
 *   <li>Suspicion: no heartbeat from the primary for the failure timeout, or the primary says
 *       it stopped (hand-off, step-down, restart).</li>
 *   <li>Pre-vote, then vote (Ongaro's Raft dissertation §9.6 and §4.2.3): a suspecting clone first asks
 *       whether it <em>would</em> be elected in epoch+1, without changing anything; only with a
 *       quorum of yes does it take epoch+1 and ask for real votes. A node that still hears its
 *       primary says no. So a node cut off alone cannot depose a healthy primary by raising
 *       its epoch.</li>
 *   <li>Votes: one per epoch, persisted before it is sent; only to a candidate whose
 *       (last epoch, last position) is at least the voter's (Raft paper §5.4.1). A vote quorum is
 *       at least a majority of the configured members, and large enough to meet every set of
 *       nodes that can hold a committed record ({@link dev.understudy.agent.election.ElectionConfig#voteQuorum()}).</li>
 *   <li>Ties: the most up-to-date clone heard recently, lowest node id among equals, stands
 *       first; the others wait. Split votes are broken by randomized timeouts.</li>
 *   <li>Fencing: a higher epoch in any heartbeat, announcement or vote makes a primary stop
 *       serving at once ({@link dev.understudy.agent.election.ElectionRole#FENCED}); so does
 *       losing contact with enough nodes that another primary could be elected without it
 *       (check-quorum).</li>
 *   <li>Following: a clone that follows a new primary first cuts its journal back to the
 *       longest prefix it shares with the primary's (the primary answers, per epoch, where
 *       that epoch ends in its log: Kafka KIP-101/KIP-279, Aeron Cluster's term positions),
 *       then replicates and acknowledges from there.</li>
 * </ul>
 */
package dev.understudy.agent.election;
