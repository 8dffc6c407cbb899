/**
 * Moving established TCP connections between sockets, processes and machines with Linux
 * {@code TCP_REPAIR}.
 *
 * <ul>
 * <li>{@link dev.understudy.netfilter.repair.TcpRepair}: {@code snapshot}, {@code snapshotAndClose} /
 *     {@code snapshotAndRetire} (no FIN, no RST), {@code closeSilently} / {@code retireSilently},
 *     and the two-step restore {@code prepare} (socket rebuilt in repair mode, bound to VIP:port
 *     even before the VIP is local and beside a listener) → make the VIP reachable →
 *     {@code activate} (repair off, unsent output written).</li>
 * <li>{@link dev.understudy.netfilter.repair.TcpState}: the state as a reusable holder with a fixed
 *     little-endian wire layout, to ship to another node.</li>
 * <li>{@link dev.understudy.netfilter.repair.DerivedStateBuilder}: the state rebuilt from captured
 *     inbound segments plus the old node's TCP_INFO, for failover when the old node is gone.</li>
 * </ul>
 *
 * Kernel facts these classes rely on beyond shared/KERNEL.md (found while testing on 6.18):
 * SO_REUSEADDR must be set before TCP_REPAIR (it overwrites SK_FORCE_REUSE, and binding beside a
 * listener then fails with EADDRINUSE); output the old socket had transmitted must be restored
 * in the repair SEND queue (written as new data, the peer's ACK for it can exceed the new
 * snd_nxt and is silently dropped: the connection stalls); TCP_MAXSEG reports the peer's MSS
 * (mss_clamp) only in repair mode, and must be set as user_mss before the repair connect or the
 * socket keeps a 536-byte MSS.
 */
package dev.understudy.netfilter.repair;
