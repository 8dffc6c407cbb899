package dev.understudy.netfilter.tcp;

import com.sun.jna.Memory;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.LinuxTcp;

/**
 * A reusable reader of {@code getsockopt(TCP_INFO)} ({@code struct tcp_info}, linux/tcp.h):
 * {@link #read(int)} refreshes the fields in place, no allocation after construction.
 *
 * <p>Thread-safety: none; use one instance per thread.
 */
public final class TcpInfo {
    private final Memory buf = new Memory(LinuxTcp.TCP_INFO_SIZE + 8);

    private int state;
    private int options;
    private int sndWscale;
    private int rcvWscale;
    private int rto;
    private int sndMss;
    private int rcvMss;
    private int unacked;
    private int rtt;
    private int rttvar;
    private int sndCwnd;
    private int advmss;
    private int rcvSpace;
    private long bytesAcked;
    private long bytesReceived;
    private int notsentBytes;

    /**
     * Reads TCP_INFO of {@code fd}.
     *
     * @return this
     * @throws ErrnoException {@code getsockopt(TCP_INFO)} failed (EBADF, ENOTSOCK, EOPNOTSUPP for a non-TCP socket)
     */
    public TcpInfo read(int fd) throws ErrnoException {
        buf.clear();
        buf.setInt(0, LinuxTcp.TCP_INFO_SIZE);
        LibC.check(LibC.getsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_INFO, buf.share(8), buf), "getsockopt(TCP_INFO)");
        decode(buf, 8);
        return this;
    }

    void decode(com.sun.jna.Pointer p, long o) {
        state = p.getByte(o + LinuxTcp.TCPI_STATE) & 0xff;
        options = p.getByte(o + LinuxTcp.TCPI_OPTIONS) & 0xff;
        int ws = p.getByte(o + LinuxTcp.TCPI_WSCALE) & 0xff;
        sndWscale = ws & 0x0f; // bitfield tcpi_snd_wscale:4 is the low nibble on little-endian
        rcvWscale = ws >>> 4;
        rto = p.getInt(o + LinuxTcp.TCPI_RTO);
        sndMss = p.getInt(o + LinuxTcp.TCPI_SND_MSS);
        rcvMss = p.getInt(o + LinuxTcp.TCPI_RCV_MSS);
        unacked = p.getInt(o + LinuxTcp.TCPI_UNACKED);
        rtt = p.getInt(o + LinuxTcp.TCPI_RTT);
        rttvar = p.getInt(o + LinuxTcp.TCPI_RTTVAR);
        sndCwnd = p.getInt(o + LinuxTcp.TCPI_SND_CWND);
        advmss = p.getInt(o + LinuxTcp.TCPI_ADVMSS);
        rcvSpace = p.getInt(o + LinuxTcp.TCPI_RCV_SPACE);
        bytesAcked = p.getLong(o + LinuxTcp.TCPI_BYTES_ACKED);
        bytesReceived = p.getLong(o + LinuxTcp.TCPI_BYTES_RECEIVED);
        notsentBytes = p.getInt(o + LinuxTcp.TCPI_NOTSENT_BYTES);
    }

    /** tcpi_state ({@link LinuxTcp#TCP_ESTABLISHED} = 1, ...). */
    public int state() { return state; }
    /** tcpi_options: {@link LinuxTcp#TCPI_OPT_TIMESTAMPS}, {@code _SACK}, {@code _WSCALE}, {@code _ECN}. */
    public int options() { return options; }
    public boolean timestamps() { return (options & LinuxTcp.TCPI_OPT_TIMESTAMPS) != 0; }
    public boolean sack() { return (options & LinuxTcp.TCPI_OPT_SACK) != 0; }
    public boolean windowScaling() { return (options & LinuxTcp.TCPI_OPT_WSCALE) != 0; }
    /** Shift the peer applies to its window (from the peer's SYN). */
    public int sndWscale() { return sndWscale; }
    /** Shift we apply to our window (sent in our SYN / SYN-ACK). */
    public int rcvWscale() { return rcvWscale; }
    public int rtoMicros() { return rto; }
    public int sndMss() { return sndMss; }
    public int rcvMss() { return rcvMss; }
    public int unacked() { return unacked; }
    public int rttMicros() { return rtt; }
    public int rttvarMicros() { return rttvar; }
    public int sndCwnd() { return sndCwnd; }
    public int advmss() { return advmss; }
    public int rcvSpace() { return rcvSpace; }
    public long bytesAcked() { return bytesAcked; }
    public long bytesReceived() { return bytesReceived; }
    public int notsentBytes() { return notsentBytes; }
}
