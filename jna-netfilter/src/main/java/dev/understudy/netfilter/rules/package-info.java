/**
 * Packet-filter rules Understudy needs, installed with {@code iptables-legacy}: the NFQUEUE
 * capture rule for VIP:port, a hold-all rule for the whole VIP (switchover), DROP guards and the
 * close guard (a per-node chain in filter/OUTPUT that keeps the FIN/RST of a dead process in).
 * Installs are idempotent ({@code -C}); every installed rule is removed on close and at JVM exit.
 */
package dev.understudy.netfilter.rules;
