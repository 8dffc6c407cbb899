/**
 * Failover glue around the election state machine ({@code dev.understudy.agent.election}, which has
 * no I/O): {@link dev.understudy.agent.failover.ElectionDriver} runs it between real nodes over the
 * transport's control channel, {@link dev.understudy.agent.failover.DurableStateFile} keeps its
 * epoch and vote on disk, {@link dev.understudy.agent.failover.ElectionCodec} maps its messages to
 * the wire. Detection by the resource supervisor and the switchover itself belong here too.
 */
package dev.understudy.agent.failover;
