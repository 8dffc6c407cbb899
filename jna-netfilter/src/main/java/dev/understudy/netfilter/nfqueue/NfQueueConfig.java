package dev.understudy.netfilter.nfqueue;

/**
 * Settings of one {@link NfQueue}; immutable, validated on construction. Start from
 * {@link #forQueue(int)} and adjust with the {@code with*} methods.
 *
 * <table>
 * <caption>settings</caption>
 * <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 * <tr><td>queueNumber</td><td>-</td><td>the {@code --queue-num} of the iptables NFQUEUE rule, 0..65535</td></tr>
 * <tr><td>maxLength</td><td>8192</td><td>NFQA_CFG_QUEUE_MAXLEN: packets queued (held included) before the kernel drops</td></tr>
 * <tr><td>receiveBufferBytes</td><td>4 MiB</td><td>SO_RCVBUFFORCE of the netlink socket</td></tr>
 * <tr><td>batchSize</td><td>64</td><td>datagrams per recvmmsg (one verdict send per batch)</td></tr>
 * <tr><td>slotBytes</td><td>65536 + 512</td><td>receive buffer per datagram: a full 64 KiB IPv4 packet plus netlink attributes</td></tr>
 * <tr><td>pollTimeoutMillis</td><td>100</td><td>longest idle wait of the {@link NfQueue#start() receive thread} (bounds close latency)</td></tr>
 * <tr><td>requestQueueCapacity</td><td>65536</td><td>pending release/drop requests from other threads</td></tr>
 * <tr><td>receiveThreadNice</td><td>0</td><td>nice value of the {@link NfQueue#start() receive thread} (-20..19; below 0 needs
 * CAP_SYS_NICE): packets wait in the queue whenever that thread is not scheduled, so a busy host may want it above
 * ordinary threads, as the kernel's own softirq work is</td></tr>
 * <tr><td>gatherMicros</td><td>0 (off)</td><td>after an idle wait ends, sleep this long before reading, so a burst
 * is read and verdicted as one batch: fewer wake-ups and syscalls per packet under load, at up to this much (plus the
 * timer slack) added latency for packets that arrive at an idle queue; see {@link #withGatherMicros(int)}</td></tr>
 * <tr><td>gso</td><td>true</td><td>NFQA_CFG_F_GSO: take GSO/GRO packets whole (up to 64 KiB) instead of kernel-segmented copies</td></tr>
 * </table>
 */
public final class NfQueueConfig {
    public static final int DEFAULT_MAX_LENGTH = 8192;
    public static final int DEFAULT_RECEIVE_BUFFER_BYTES = 4 << 20;
    public static final int DEFAULT_BATCH_SIZE = 64;
    public static final int DEFAULT_SLOT_BYTES = 65536 + 512;
    public static final int DEFAULT_POLL_TIMEOUT_MILLIS = 100;
    public static final int DEFAULT_REQUEST_QUEUE_CAPACITY = 65536;
    public static final int DEFAULT_GATHER_MICROS = 0;

    private final int queueNumber;
    private final int maxLength;
    private final int receiveBufferBytes;
    private final int batchSize;
    private final int slotBytes;
    private final int pollTimeoutMillis;
    private final int requestQueueCapacity;
    private final boolean gso;
    private final int receiveThreadNice;
    private final int gatherMicros;

    private NfQueueConfig(int queueNumber, int maxLength, int receiveBufferBytes, int batchSize, int slotBytes,
                          int pollTimeoutMillis, int requestQueueCapacity, boolean gso, int receiveThreadNice, int gatherMicros) {
        check("queueNumber", queueNumber, 0, 65535);
        check("maxLength", maxLength, 1, 1 << 20);
        check("receiveBufferBytes", receiveBufferBytes, 64 << 10, 1 << 30);
        check("batchSize", batchSize, 1, 1024);
        check("slotBytes", slotBytes, 2048, 1 << 20);
        check("pollTimeoutMillis", pollTimeoutMillis, 1, 10_000);
        check("requestQueueCapacity", requestQueueCapacity, 16, 1 << 24);
        check("receiveThreadNice", receiveThreadNice, -20, 19);
        check("gatherMicros", gatherMicros, 0, 10_000);
        if ((long) batchSize * slotBytes > (256L << 20)) {
            throw new IllegalArgumentException("invalid nfqueue batchSize*slotBytes: value=" + (long) batchSize * slotBytes
                + ", expected <= 256 MiB");
        }
        this.queueNumber = queueNumber;
        this.maxLength = maxLength;
        this.receiveBufferBytes = receiveBufferBytes;
        this.batchSize = batchSize;
        this.slotBytes = slotBytes;
        this.pollTimeoutMillis = pollTimeoutMillis;
        this.requestQueueCapacity = requestQueueCapacity;
        this.gso = gso;
        this.receiveThreadNice = receiveThreadNice;
        this.gatherMicros = gatherMicros;
    }

    private static void check(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("invalid nfqueue " + name + ": value=" + value + ", expected " + min + ".." + max);
        }
    }

    /** Defaults for queue {@code queueNumber}. */
    public static NfQueueConfig forQueue(int queueNumber) {
        return new NfQueueConfig(queueNumber, DEFAULT_MAX_LENGTH, DEFAULT_RECEIVE_BUFFER_BYTES, DEFAULT_BATCH_SIZE,
            DEFAULT_SLOT_BYTES, DEFAULT_POLL_TIMEOUT_MILLIS, DEFAULT_REQUEST_QUEUE_CAPACITY, true, 0, DEFAULT_GATHER_MICROS);
    }

    public NfQueueConfig withMaxLength(int v) {
        return new NfQueueConfig(queueNumber, v, receiveBufferBytes, batchSize, slotBytes, pollTimeoutMillis, requestQueueCapacity, gso, receiveThreadNice, gatherMicros);
    }

    public NfQueueConfig withReceiveBufferBytes(int v) {
        return new NfQueueConfig(queueNumber, maxLength, v, batchSize, slotBytes, pollTimeoutMillis, requestQueueCapacity, gso, receiveThreadNice, gatherMicros);
    }

    public NfQueueConfig withBatchSize(int v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, v, slotBytes, pollTimeoutMillis, requestQueueCapacity, gso, receiveThreadNice, gatherMicros);
    }

    public NfQueueConfig withSlotBytes(int v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, batchSize, v, pollTimeoutMillis, requestQueueCapacity, gso, receiveThreadNice, gatherMicros);
    }

    public NfQueueConfig withPollTimeoutMillis(int v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, batchSize, slotBytes, v, requestQueueCapacity, gso, receiveThreadNice, gatherMicros);
    }

    public NfQueueConfig withRequestQueueCapacity(int v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, batchSize, slotBytes, pollTimeoutMillis, v, gso, receiveThreadNice, gatherMicros);
    }

    /** A copy with NFQA_CFG_F_GSO on or off (off: the kernel segments GSO packets before queueing). */
    public NfQueueConfig withGso(boolean v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, batchSize, slotBytes, pollTimeoutMillis, requestQueueCapacity, v, receiveThreadNice, gatherMicros);
    }

    /** A copy whose receive thread runs at nice value {@code v} (-20..19). */
    public NfQueueConfig withReceiveThreadNice(int v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, batchSize, slotBytes, pollTimeoutMillis, requestQueueCapacity,
            gso, v, gatherMicros);
    }

    /**
     * A copy whose receive thread, after waking from an idle wait, sleeps {@code v} microseconds (0..10000; 0 = off)
     * before reading, so that the packets arriving meanwhile are read and verdicted as one batch. Trades latency for
     * CPU: every packet that arrives at an idle queue waits up to {@code v} µs plus the kernel's timer slack
     * (50 µs by default) longer for its verdict; packets that arrive while the thread is busy are not delayed.
     */
    public NfQueueConfig withGatherMicros(int v) {
        return new NfQueueConfig(queueNumber, maxLength, receiveBufferBytes, batchSize, slotBytes, pollTimeoutMillis, requestQueueCapacity,
            gso, receiveThreadNice, v);
    }

    public int gatherMicros() {
        return gatherMicros;
    }

    public int receiveThreadNice() {
        return receiveThreadNice;
    }

    public boolean gso() {
        return gso;
    }

    public int queueNumber() {
        return queueNumber;
    }

    public int maxLength() {
        return maxLength;
    }

    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    public int batchSize() {
        return batchSize;
    }

    public int slotBytes() {
        return slotBytes;
    }

    public int pollTimeoutMillis() {
        return pollTimeoutMillis;
    }

    public int requestQueueCapacity() {
        return requestQueueCapacity;
    }

    @Override
    public String toString() {
        return "NfQueueConfig{queue=" + queueNumber + ", maxLength=" + maxLength + ", rcvbuf=" + receiveBufferBytes + ", batch="
            + batchSize + ", slot=" + slotBytes + ", pollTimeoutMs=" + pollTimeoutMillis + ", requests=" + requestQueueCapacity + ", gso=" + gso + ", nice=" + receiveThreadNice + ", gatherUs=" + gatherMicros + '}';
    }
}
