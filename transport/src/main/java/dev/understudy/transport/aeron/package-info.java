/**
 * The replication channel over Aeron: primary → clones over UDP multicast (or, with
 * {@code destinations=unicast}, multi-destination-cast to each clone's address, for networks
 * without multicast), clone → primary acknowledgements of durable journal positions,
 * heartbeats, catch-up.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link dev.understudy.transport.aeron.ReplicationConfig}: every setting, validated once.</li>
 *   <li>{@link dev.understudy.transport.aeron.EmbeddedMediaDriver}: one embedded media driver and
 *       client per node, in {@code /dev/shm/understudy-<run>-node<N>}.</li>
 *   <li>{@link dev.understudy.transport.aeron.ReplicationPrimary}: {@code publish(record) → sequence}
 *       (or a negative back-pressure code), journals what it publishes, batches records into
 *       MTU-sized frames on the multicast or MDC publication ({@code fc=min,t:2000ms}), reads acks,
 *       {@code durableSequence(k)} (poll) and a {@link dev.understudy.transport.aeron.DurabilityListener}
 *       (callback), serves catch-up.</li>
 *   <li>{@link dev.understudy.transport.aeron.ReplicationClone}: verifies frames (MAC, CRC), appends
 *       exactly the next sequence to its journal, then acks {@code journal.lastSequence()}; catches
 *       up from a peer's journal when it sees a gap.</li>
 *   <li>{@link dev.understudy.transport.aeron.DurabilityTracker}: k-of-n over clone acks.</li>
 *   <li>{@code ..membership}: heartbeats and lost/rejoined events; {@code ..internal.catchup}: the
 *       journal tailer that serves a peer.</li>
 * </ul>
 *
 * <h2>Streams</h2>
 * <pre>
 *   1001 data        multicast  primary → clones      record frames (RecordBatch, signed with a secret)
 *                    (unicast: dynamic MDC, clones register on the primary's data port + 2)
 *   1002 heartbeats  multicast  every node → every node
 *                    (unicast: manual MDC to every other node's control endpoint)
 *   1003 acks        unicast    clone → primary       (control frame: node id, journal sequence, epoch)
 *   1100+N requests  unicast    → node N              catch-up request/stop
 *   1200+N catch-up  unicast    peer → node N         record frames from the peer's journal
 * </pre>
 *
 * <h2>Driver defaults on a 2-core machine running three JVMs</h2>
 * {@code SHARED} threading (one driver thread per JVM, not three) and a {@code backoff} idle
 * strategy (spin 10, yield 10, park 1→100 µs). Measured with {@code ReplicationBenchLauncher}
 * (publish→durable-ack round trip over UDP, 64 B, k = 1; sustained 64 B records/s durable on two
 * clones), three JVMs in three lab namespaces, on the shared 2-core build machine (load average
 * 13–15 from other builds, so absolute values are pessimistic, the ranking is what counts):
 * <pre>
 *   SHARED    + backoff   p50   596 µs  p99 21.0 ms   65,100 records/s
 *   SHARED    + sleeping  p50 3,342 µs  p99 17.1 ms   69,100 records/s
 *   DEDICATED + backoff   p50   862 µs  p99 48.9 ms   46,700 records/s
 * </pre>
 * {@code sleeping} (Aeron's default, 1 ms park) costs milliseconds per hop of the six thread
 * hand-offs of a round trip; {@code DEDICATED} puts three driver threads plus the application
 * thread per JVM, twelve runnable threads on two cores, and loses on both counts; {@code backoff}
 * keeps wake-ups in the tens of microseconds while giving the cores back when idle.
 */
package dev.understudy.transport.aeron;
