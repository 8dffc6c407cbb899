package dev.understudy.transport.record;

/**
 * The TCP option bits of every record that carries them ({@link ConnOpenFlyweight#tcpOptions()},
 * {@link TcpInfoFlyweight#tcpiOptions()}): exactly the kernel's {@code TCPI_OPT_*} values from
 * {@code include/uapi/linux/tcp.h}, so the byte {@code getsockopt(TCP_INFO)} returns in
 * {@code tcpi_options} is stored unchanged and one bit order is used on the wire and in the kernel.
 *
 * <p>The kernel defines further bits ({@code TCPI_OPT_ECN_SEEN = 16}, {@code TCPI_OPT_SYN_DATA = 32},
 * {@code TCPI_OPT_USEC_TS = 64} on recent kernels); they are passed through as read, not interpreted.
 */
public final class TcpOptions {
    /** {@code TCPI_OPT_TIMESTAMPS}: the timestamp option (RFC 7323) was negotiated. */
    public static final int TCPI_OPT_TIMESTAMPS = 1;
    /** {@code TCPI_OPT_SACK}: SACK (RFC 2018) was negotiated. */
    public static final int TCPI_OPT_SACK = 2;
    /** {@code TCPI_OPT_WSCALE}: window scaling (RFC 7323) was negotiated. */
    public static final int TCPI_OPT_WSCALE = 4;
    /** {@code TCPI_OPT_ECN}: ECN (RFC 3168) was negotiated. */
    public static final int TCPI_OPT_ECN = 8;

    private TcpOptions() {
    }
}
