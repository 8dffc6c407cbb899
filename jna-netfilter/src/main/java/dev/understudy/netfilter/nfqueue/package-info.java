/**
 * NFQUEUE capture over a raw {@code NETLINK_NETFILTER} socket.
 *
 * <p>Public API: {@link dev.understudy.netfilter.nfqueue.NfQueue} (open a queue with an
 * {@link dev.understudy.netfilter.nfqueue.NfQueueConfig} and a
 * {@link dev.understudy.netfilter.nfqueue.SegmentHandler}; the handler returns a
 * {@link dev.understudy.netfilter.nfqueue.Verdict}: ACCEPT, DROP or HOLD; held packets are
 * released by id, up to an id, or all, from any thread), its
 * {@link dev.understudy.netfilter.nfqueue.NfQueueCounter counters} and the kernel's
 * {@link dev.understudy.netfilter.nfqueue.KernelQueueStats}. {@code NfqMessages} encodes the
 * netlink messages (public for tests and tools); the message reader is package-private.
 *
 * <p>Typical use, with the rule from {@link dev.understudy.netfilter.rules}:
 * <pre>{@code
 * NfQueue q = NfQueue.open(NfQueueConfig.forQueue(3), (id, seg) -> {
 *     record(seg);                       // copy what must be kept: seg is only valid here
 *     return Verdict.HOLD;               // released once a clone has it
 * });
 * q.start();
 * InstalledRule rule = Iptables.local().install(IptablesRule.capture("198.18.0.100", 7000, 3));
 * ...
 * q.releaseUpTo(lastDurableId);          // any thread
 * rule.close();
 * q.close();
 * }</pre>
 */
package dev.understudy.netfilter.nfqueue;
