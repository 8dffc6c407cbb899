package dev.understudy.netfilter.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * {@code recvmmsg(2)}, {@code sendmmsg(2)} and the struct layouts they need, from {@code sys/socket.h} and
 * {@code bits/uio.h} (LP64 Linux: x86_64, aarch64). Functions already in {@link LibC} are
 * not repeated. Direct-mapped; errno is left in {@code Native.getLastError()}.
 *
 * <pre>
 * struct iovec   { void *iov_base; size_t iov_len; };            // 16 bytes
 * struct msghdr  {                                                 // 56 bytes
 *     void *msg_name;          // 0
 *     socklen_t msg_namelen;   // 8  (+4 padding)
 *     struct iovec *msg_iov;   // 16
 *     size_t msg_iovlen;       // 24
 *     void *msg_control;       // 32
 *     size_t msg_controllen;   // 40
 *     int msg_flags;           // 48 (+4 padding)
 * };
 * struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };  // 64 bytes, msg_len at 56
 * </pre>
 *
 * <p>Thread-safety: all methods are thread-safe.
 */
public final class SysSocket {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    public static final int IOVEC_SIZE = 16;
    public static final int IOV_BASE_OFFSET = 0;
    public static final int IOV_LEN_OFFSET = 8;

    public static final int MSGHDR_SIZE = 56;
    public static final int MSG_NAME_OFFSET = 0;
    public static final int MSG_NAMELEN_OFFSET = 8;
    public static final int MSG_IOV_OFFSET = 16;
    public static final int MSG_IOVLEN_OFFSET = 24;
    public static final int MSG_CONTROL_OFFSET = 32;
    public static final int MSG_CONTROLLEN_OFFSET = 40;
    public static final int MSG_FLAGS_OFFSET = 48;

    public static final int MMSGHDR_SIZE = 64;
    public static final int MMSG_LEN_OFFSET = 56;

    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_WAITFORONE = 0x10000;

    private SysSocket() {
    }

    /** {@code int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout)}. */
    public static native int recvmmsg(int sockfd, Pointer msgvec, int vlen, int flags, Pointer timeout);

    /**
     * {@code int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags)}: returns the number of
     * messages sent (msg_len of each is set), or -1 with errno when the first one failed.
     */
    public static native int sendmmsg(int sockfd, Pointer msgvec, int vlen, int flags);
}
