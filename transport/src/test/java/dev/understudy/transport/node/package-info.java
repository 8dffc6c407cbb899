/**
 * Runnable mains for the lab: {@link dev.understudy.transport.node.ReplicationNode} (one
 * replication node per namespace, driven by stdin commands, observed through a status file) and
 * {@link dev.understudy.transport.node.FrameForger} (the attacker of the authentication IT), and
 * {@link dev.understudy.transport.node.SyntheticRecords}. Test scope only: the benchmarks get them
 * from the transport test-jar; no jar a user runs contains them.
 */
package dev.understudy.transport.node;
