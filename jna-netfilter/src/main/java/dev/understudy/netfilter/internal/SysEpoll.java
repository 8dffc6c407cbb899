package dev.understudy.netfilter.internal;

/**
 * {@code struct epoll_event} and constants from {@code sys/epoll.h} / {@code linux/eventpoll.h}.
 * On x86_64 the struct is {@code __attribute__((packed))}: 12 bytes, the 64-bit data at offset 4
 * (EPOLL_PACKED in the uapi header). The call itself is {@link LibC#epoll_ctl}.
 *
 * <pre>
 * struct epoll_event {
 *   __poll_t events;   // 0, u32
 *   __u64    data;     // 4 (unaligned)
 * } EPOLL_PACKED;      // 12 bytes
 * </pre>
 */
public final class SysEpoll {
    public static final int EPOLL_EVENT_SIZE = 12;
    public static final int EPOLL_EVENTS = 0;
    public static final int EPOLL_DATA = 4;

    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;
    public static final int EPOLL_CLOEXEC = 0x80000;

    private SysEpoll() {
    }
}
