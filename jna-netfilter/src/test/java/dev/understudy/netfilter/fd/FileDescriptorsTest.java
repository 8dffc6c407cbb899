package dev.understudy.netfilter.fd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.LinuxIn;
import dev.understudy.netfilter.internal.LinuxIn6;
import dev.understudy.netfilter.internal.SysEpoll;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FileDescriptorsTest {
    /** The local port the kernel reports for {@code fd} (IPv4 or IPv6 sockaddr: port at offset 2 in both). */
    static int kernelPort(int fd) throws ErrnoException {
        try (Memory addr = new Memory(LinuxIn6.SOCKADDR_IN6_SIZE); Memory len = new Memory(4)) {
            len.setInt(0, LinuxIn6.SOCKADDR_IN6_SIZE);
            LibC.check(LibC.getsockname(fd, addr, len), "getsockname");
            return LinuxIn.port(addr, 0);
        }
    }

    @Test
    void shouldFindTheFdOfEveryKindOfJdkSocket() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket ss = new ServerSocket(0, 50, lo);
             Socket client = new Socket(lo, ss.getLocalPort());
             Socket accepted = ss.accept();
             ServerSocketChannel ssc = ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0));
             SocketChannel sc = SocketChannel.open(ssc.getLocalAddress());
             SocketChannel acceptedChannel = ssc.accept()) {
            assertEquals(ss.getLocalPort(), kernelPort(FileDescriptors.of(ss)));
            assertEquals(client.getLocalPort(), kernelPort(FileDescriptors.of(client)));
            assertEquals(ss.getLocalPort(), kernelPort(FileDescriptors.of(accepted)));
            int sscPort = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
            assertEquals(sscPort, kernelPort(FileDescriptors.of(ssc)));
            assertEquals(((InetSocketAddress) sc.getLocalAddress()).getPort(), kernelPort(FileDescriptors.of(sc)));
            assertEquals(sscPort, kernelPort(FileDescriptors.of(acceptedChannel)));
            assertEquals(FileDescriptors.of(sc), FileDescriptors.of(sc.socket()), "socket adaptor");
            assertEquals(FileDescriptors.of(ssc), FileDescriptors.of(ssc.socket()), "server socket adaptor");
            assertEquals(-1, FileDescriptors.of(new FileDescriptor()));
        }
    }

    @Test
    void shouldToggleNonBlockingAndDup2() throws Exception {
        try (ServerSocketChannel ssc = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel a = SocketChannel.open(ssc.getLocalAddress());
             SocketChannel b = SocketChannel.open(ssc.getLocalAddress())) {
            int fa = FileDescriptors.of(a);
            assertFalse(FileDescriptors.isNonBlocking(fa));
            FileDescriptors.setNonBlocking(fa, true);
            assertTrue(FileDescriptors.isNonBlocking(fa));
            assertTrue((FileDescriptors.getFlags(fa) & LibC.O_NONBLOCK) != 0);
            FileDescriptors.setNonBlocking(fa, false);
            assertFalse(FileDescriptors.isNonBlocking(fa));

            int copy = LibC.dup(FileDescriptors.of(b));
            try {
                int port = kernelPort(copy);
                FileDescriptors.dup2(fa, copy);
                assertEquals(kernelPort(fa), kernelPort(copy), "copy now refers to a's socket");
                assertTrue(port != kernelPort(copy));
            } finally {
                LibC.close(copy);
            }
            ErrnoException e = assertThrows(ErrnoException.class, () -> FileDescriptors.dup2(-1, 1000));
            assertEquals(Errno.EBADF, e.errno());
            assertTrue(e.getMessage().startsWith("dup2(-1, 1000) failed: EBADF"), e.getMessage());
        }
    }

    @Test
    void shouldPackEpollEventIn12BytesAndNameTheCallOnError() throws Exception {
        assertEquals(12, SysEpoll.EPOLL_EVENT_SIZE);
        try (Memory m = new Memory(12)) {
            FileDescriptors.encodeEpollEvent(m, SysEpoll.EPOLLIN | SysEpoll.EPOLLOUT, 0x1122334455667788L);
            assertEquals("05000000" + "8877665544332211", HexFormat.of().formatHex(m.getByteArray(0, 12)));
        }
        int ep = LibC.check(LibC.epoll_create1(SysEpoll.EPOLL_CLOEXEC), "epoll_create1");
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            int fd = FileDescriptors.of(ssc);
            FileDescriptors.epollCtl(ep, SysEpoll.EPOLL_CTL_ADD, fd, SysEpoll.EPOLLIN, 42L);
            ErrnoException twice = assertThrows(ErrnoException.class,
                () -> FileDescriptors.epollCtl(ep, SysEpoll.EPOLL_CTL_ADD, fd, SysEpoll.EPOLLIN, 42L));
            assertEquals(Errno.EEXIST, twice.errno());
            assertTrue(twice.call().contains("EPOLL_CTL_ADD"), twice.call());
            FileDescriptors.epollCtl(ep, SysEpoll.EPOLL_CTL_MOD, fd, SysEpoll.EPOLLOUT, 43L);
            FileDescriptors.epollCtl(ep, SysEpoll.EPOLL_CTL_DEL, fd, 0, 0);
            assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class,
                () -> FileDescriptors.epollCtl(ep, SysEpoll.EPOLL_CTL_DEL, fd, 0, 0)).errno());
        } finally {
            LibC.close(ep);
        }
    }

    @Test
    void shouldSayWhichAddOpensIsMissing() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
            .replace(' ', java.io.File.pathSeparatorChar);
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", cp, NoOpensProbe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(out.contains("ERROR cannot read sun.nio.ch.SocketChannelImpl.fdVal")
            && out.contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED"), out);
    }
    @Test
    void shouldSetTheSocketMarkOrSayEpermWithoutCapNetAdmin() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket ss = new ServerSocket(0, 50, lo); Socket client = new Socket(lo, ss.getLocalPort())) {
            int fd = FileDescriptors.of(client);
            assertEquals(0, FileDescriptors.mark(fd));
            try {
                FileDescriptors.setMark(fd, 0x75);
                assertEquals(0x75, FileDescriptors.mark(fd), "read back: the kernel took it");
            } catch (ErrnoException e) {
                assertEquals(Errno.EPERM, e.errno(), "only CAP_NET_ADMIN may set SO_MARK: " + e.getMessage());
            }
        }
        ErrnoException bad = assertThrows(ErrnoException.class, () -> FileDescriptors.setMark(-1, 0x75));
        assertEquals(Errno.EBADF, bad.errno());
        assertEquals("setsockopt(-1, SO_MARK)", bad.call());
    }
}
