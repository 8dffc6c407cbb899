/**
 * Heartbeats (node id, role, epoch, journal and durable positions, health, control address) on
 * the multicast heartbeat stream, and the membership table that reports a member lost after the
 * configured timeout and rejoined when it is heard again ({@link dev.understudy.transport.membership.Membership},
 * time passed in for testability).
 */
package dev.understudy.transport.membership;
