/**
 * IPv4 and TCP header layouts ({@link dev.understudy.netfilter.packet.Ipv4Header},
 * {@link dev.understudy.netfilter.packet.TcpHeader}: named offsets and static readers) and the
 * reusable parse-once flyweight {@link dev.understudy.netfilter.packet.TcpSegment} that
 * validates a packet in place and exposes the 4-tuple, seq/ack, window, flags, options (MSS,
 * window scale, SACK-permitted, SACK blocks, timestamps) and the payload as
 * (buffer, offset, length). Nothing here allocates per packet.
 */
package dev.understudy.netfilter.packet;
