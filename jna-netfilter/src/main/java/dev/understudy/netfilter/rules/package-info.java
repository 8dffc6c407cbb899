/**
 * Packet-filter rules Understudy needs, installed with {@code iptables-legacy}: the NFQUEUE
 * capture rule for VIP:port, a hold-all rule for the whole VIP (switchover) and DROP guards.
 * Installs are idempotent ({@code -C}); every installed rule is removed on close and at JVM exit.
 */
package dev.understudy.netfilter.rules;
