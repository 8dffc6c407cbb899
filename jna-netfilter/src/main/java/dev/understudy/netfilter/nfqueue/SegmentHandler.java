package dev.understudy.netfilter.nfqueue;

import dev.understudy.netfilter.packet.TcpSegment;

/**
 * Receives every parsed IPv4/TCP packet of a queue and decides its fate.
 *
 * <p>Called on the queue's receive thread (the thread in {@link NfQueue#poll} or the one
 * {@link NfQueue#start()} made; also the thread in {@link NfQueue#open} for packets that arrive
 * while the queue is being configured). The {@code segment} flyweight and the payload bytes it
 * points at are valid only until this method returns: copy what must be kept. Must not block
 * for long: the kernel queue fills while it runs. May call {@link NfQueue#release} and
 * friends (they are applied after the current batch). An exception thrown here is counted
 * ({@link NfQueueCounter#HANDLER_ERRORS}) and the packet is dropped (fail closed).
 */
@FunctionalInterface
public interface SegmentHandler {
    /**
     * @param packetId the kernel's id of the queued packet (unsigned 32-bit, wraps), for {@link NfQueue#release}
     * @param segment  the parsed packet: 4-tuple, seq, ack, window, flags, options, payload
     * @return the verdict; never null (null is treated as {@link Verdict#DROP})
     */
    Verdict onSegment(int packetId, TcpSegment segment);
}
