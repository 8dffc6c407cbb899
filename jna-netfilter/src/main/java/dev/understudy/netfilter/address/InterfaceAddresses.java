package dev.understudy.netfilter.address;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.Rtnetlink;

/**
 * Adds and removes IPv4 addresses (the service VIP) on an interface over rtnetlink
 * ({@code NETLINK_ROUTE}, {@code RTM_NEWADDR}/{@code RTM_DELADDR} with {@code NLM_F_ACK}),
 * in the network namespace of the calling thread at construction. No {@code ip} process is
 * spawned. Needs CAP_NET_ADMIN (else EPERM).
 *
 * <p>Idempotent: {@link #add} returns {@code false} when the kernel answers EEXIST (the
 * address is already there) and {@link #remove} returns {@code false} on EADDRNOTAVAIL (it
 * was not there); both are success. Every other kernel error is thrown as an
 * {@link ErrnoException} naming the request, with the errno from the {@code NLMSG_ERROR} reply.
 *
 * <pre>
 * request = nlmsghdr(16) | ifaddrmsg(8) | rtattr IFA_LOCAL(4+4) | rtattr IFA_ADDRESS(4+4)  = 40 bytes
 * </pre>
 *
 * <p>Thread-safety: not thread-safe (one socket, one scratch buffer); use one per thread or lock.
 */
public final class InterfaceAddresses implements AutoCloseable {
    static final int REQUEST_SIZE = Rtnetlink.NLMSGHDR_SIZE + Rtnetlink.IFADDRMSG_SIZE + 2 * (Rtnetlink.RTATTR_SIZE + 4);
    private static final int REPLY_SIZE = 8192;

    private final int fd;
    private final Memory request = new Memory(REQUEST_SIZE);
    private final Memory reply = new Memory(REPLY_SIZE);
    private final Memory nladdr = new Memory(Rtnetlink.SOCKADDR_NL_SIZE);
    private int seq = (int) (System.nanoTime() & 0x7fffffff);
    private boolean closed;

    /**
     * Opens the rtnetlink socket.
     *
     * @throws ErrnoException {@code socket(AF_NETLINK, NETLINK_ROUTE)} or {@code bind} failed
     */
    public InterfaceAddresses() throws ErrnoException {
        fd = LibC.check(LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, Rtnetlink.NETLINK_ROUTE),
            "socket(AF_NETLINK, NETLINK_ROUTE)");
        boolean ok = false;
        try {
            nladdr.clear();
            nladdr.setShort(Rtnetlink.NL_FAMILY, (short) LibC.AF_NETLINK);
            LibC.check(LibC.bind(fd, nladdr, Rtnetlink.SOCKADDR_NL_SIZE), "bind(NETLINK_ROUTE)");
            ok = true;
        } finally {
            if (!ok) {
                LibC.close(fd);
            }
        }
    }

    /**
     * Adds {@code address/prefixLength} to {@code ifname}.
     *
     * @param address IPv4 address as a big-endian int
     * @return true if added, false if it was already configured (EEXIST)
     * @throws ErrnoException ENODEV for an unknown interface, EPERM without CAP_NET_ADMIN, ...
     */
    public boolean add(String ifname, int address, int prefixLength) throws ErrnoException {
        int errno = request(Rtnetlink.RTM_NEWADDR,
            Rtnetlink.NLM_F_REQUEST | Rtnetlink.NLM_F_ACK | Rtnetlink.NLM_F_CREATE | Rtnetlink.NLM_F_EXCL,
            ifname, address, prefixLength);
        if (errno == Errno.EEXIST) {
            return false;
        }
        if (errno != 0) {
            throw new ErrnoException("rtnetlink(RTM_NEWADDR " + describe(ifname, address, prefixLength) + ")", errno);
        }
        return true;
    }

    /**
     * Removes {@code address/prefixLength} from {@code ifname}.
     *
     * @return true if removed, false if it was not configured (EADDRNOTAVAIL)
     * @throws ErrnoException ENODEV for an unknown interface, EPERM without CAP_NET_ADMIN, ...
     */
    public boolean remove(String ifname, int address, int prefixLength) throws ErrnoException {
        int errno = request(Rtnetlink.RTM_DELADDR, Rtnetlink.NLM_F_REQUEST | Rtnetlink.NLM_F_ACK, ifname, address, prefixLength);
        if (errno == Errno.EADDRNOTAVAIL) {
            return false;
        }
        if (errno != 0) {
            throw new ErrnoException("rtnetlink(RTM_DELADDR " + describe(ifname, address, prefixLength) + ")", errno);
        }
        return true;
    }

    /** Returns the errno of the kernel's reply (0 = ACK). */
    private int request(int type, int flags, String ifname, int address, int prefixLength) throws ErrnoException {
        if (closed) {
            throw new IllegalStateException("InterfaceAddresses is closed");
        }
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("invalid prefix length: value=" + prefixLength + ", expected 0..32");
        }
        int ifindex = LibC.if_nametoindex(ifname);
        if (ifindex == 0) {
            throw new ErrnoException("if_nametoindex(" + ifname + ")", Native.getLastError());
        }
        int mySeq = ++seq;
        encode(request, type, flags, mySeq, ifindex, address, prefixLength);
        nladdr.clear();
        nladdr.setShort(Rtnetlink.NL_FAMILY, (short) LibC.AF_NETLINK);
        long sent;
        do {
            sent = LibC.sendto(fd, request, REQUEST_SIZE, 0, nladdr, Rtnetlink.SOCKADDR_NL_SIZE);
        } while (sent == -1 && Native.getLastError() == Errno.EINTR);
        LibC.check(sent, "sendto(NETLINK_ROUTE)");
        // rtnetlink handles the request inside sendmsg: the reply is already queued. Skip any
        // message that is not the answer to this sequence number (bounded).
        for (int i = 0; i < 64; i++) {
            long n = LibC.recv(fd, reply, REPLY_SIZE, 0);
            if (n == -1) {
                if (Native.getLastError() == Errno.EINTR) {
                    continue;
                }
                throw new ErrnoException("recv(NETLINK_ROUTE)", Native.getLastError());
            }
            int off = 0;
            while (off + Rtnetlink.NLMSGHDR_SIZE <= n) {
                int len = reply.getInt(off + Rtnetlink.NLMSG_LEN);
                int mtype = reply.getShort(off + Rtnetlink.NLMSG_TYPE) & 0xffff;
                int mseq = reply.getInt(off + Rtnetlink.NLMSG_SEQ);
                if (len < Rtnetlink.NLMSGHDR_SIZE) {
                    break;
                }
                if (mseq == mySeq && mtype == Rtnetlink.NLMSG_ERROR) {
                    return -reply.getInt(off + Rtnetlink.NLMSGHDR_SIZE + Rtnetlink.NLMSGERR_ERROR);
                }
                off += Rtnetlink.align(len);
            }
        }
        throw new ErrnoException("rtnetlink(no NLMSG_ERROR reply for seq " + mySeq + ")", Errno.EIO);
    }

    /** Writes the request into {@code m} (visible to tests for the byte-for-byte layout check). */
    static void encode(com.sun.jna.Pointer m, int type, int flags, int seq, int ifindex, int address, int prefixLength) {
        m.setInt(Rtnetlink.NLMSG_LEN, REQUEST_SIZE);
        m.setShort(Rtnetlink.NLMSG_TYPE, (short) type);
        m.setShort(Rtnetlink.NLMSG_FLAGS, (short) flags);
        m.setInt(Rtnetlink.NLMSG_SEQ, seq);
        m.setInt(Rtnetlink.NLMSG_PID, 0);
        int ifa = Rtnetlink.NLMSGHDR_SIZE;
        m.setByte(ifa + Rtnetlink.IFA_FAMILY, (byte) LibC.AF_INET);
        m.setByte(ifa + Rtnetlink.IFA_PREFIXLEN, (byte) prefixLength);
        m.setByte(ifa + Rtnetlink.IFA_FLAGS_OFF, (byte) 0);
        m.setByte(ifa + Rtnetlink.IFA_SCOPE, (byte) Rtnetlink.RT_SCOPE_UNIVERSE);
        m.setInt(ifa + Rtnetlink.IFA_INDEX, ifindex);
        int rta = ifa + Rtnetlink.IFADDRMSG_SIZE;
        putAddressAttr(m, rta, Rtnetlink.IFA_LOCAL, address);
        putAddressAttr(m, rta + 8, Rtnetlink.IFA_ADDRESS, address);
    }

    private static void putAddressAttr(com.sun.jna.Pointer m, int off, int type, int address) {
        m.setShort(off + Rtnetlink.RTA_LEN, (short) (Rtnetlink.RTATTR_SIZE + 4));
        m.setShort(off + Rtnetlink.RTA_TYPE, (short) type);
        m.setByte(off + 4, (byte) (address >>> 24)); // network order
        m.setByte(off + 5, (byte) (address >>> 16));
        m.setByte(off + 6, (byte) (address >>> 8));
        m.setByte(off + 7, (byte) address);
    }

    private static String describe(String ifname, int address, int prefixLength) {
        return dev.understudy.netfilter.internal.LinuxIn.toString(address) + "/" + prefixLength + " dev " + ifname;
    }

    /** Closes the netlink socket. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
