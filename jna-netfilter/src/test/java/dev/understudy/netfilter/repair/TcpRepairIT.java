package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.fd.FileDescriptors;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.tcp.TcpInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TCP_REPAIR on loopback in this JVM (real kernel, no namespaces needed): a connection is
 * snapshotted, retired silently, shipped as bytes and rebuilt while the listener still owns
 * the port; the peer sees no FIN/RST and the stream continues both ways.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpRepairIT {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void shouldContinueStreamBothWaysAfterSnapshotRetireAndRestoreWhileListenerOwnsPort() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(LOOPBACK, 0));
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel server = listener.accept()) {
                byte[] unread = random(1, 3000);
                writeAll(client, unread);
                byte[] echoedBefore = random(2, 5000);
                writeAll(server, echoedBefore);
                assertArrayEquals(echoedBefore, readExactly(client, echoedBefore.length));
                waitForQueue(server, unread.length);

                int fd = FileDescriptors.of(server);
                TcpInfo info = new TcpInfo().read(fd);
                assertTrue(info.timestamps(), "loopback negotiates timestamps");
                TcpRepair repair = new TcpRepair();
                TcpState state = repair.snapshotAndRetire(fd, new TcpState());
                assertEquals(unread.length, state.recvQueueLength());
                assertArrayEquals(unread, java.util.Arrays.copyOf(state.recvQueue(), state.recvQueueLength()));
                assertEquals(0, state.sendQueueLength(), "client read everything");
                assertEquals(((java.net.InetSocketAddress) client.getLocalAddress()).getPort(), state.remotePort());
                assertTrue(state.hasOption(TcpState.OPT_TIMESTAMPS) && state.hasOption(TcpState.OPT_SACK)
                    && state.hasOption(TcpState.OPT_WSCALE), state.toString());
                assertEquals(0, state.tsClock() & 1, "ms timestamps: even");
                server.close(); // the JDK closes the placeholder: nothing reaches the client

                client.configureBlocking(false);
                assertEquals(0, client.read(ByteBuffer.allocate(10)), "no FIN or RST after the silent retire");

                TcpState shipped = TcpState.fromBytes(state.toBytes());
                assertEquals(state, shipped);
                Thread.sleep(30); // let the clock move on: the restored clock must not go back
                int restored = repair.restore(shipped);
                try {
                    TcpInfo after = new TcpInfo().read(restored);
                    assertEquals(1, after.state(), "ESTABLISHED");
                    assertEquals(info.rcvWscale(), after.rcvWscale());
                    assertEquals(info.sndWscale(), after.sndWscale());
                    assertTrue(after.timestamps() && after.sack());
                    assertArrayEquals(unread, jnaRead(restored, unread.length), "unread bytes back in the receive queue");
                    byte[] more = random(3, 100_000);
                    jnaWrite(restored, more);
                    client.configureBlocking(true);
                    assertArrayEquals(more, readExactly(client, more.length));
                    byte[] fromClient = random(4, 50_000);
                    writeAll(client, fromClient);
                    assertArrayEquals(fromClient, jnaRead(restored, fromClient.length));
                    assertTrue(new TcpInfo().read(restored).state() == 1);
                } finally {
                    LibC.close(restored);
                }
            }
        }
    }

    @Test
    void shouldRestoreUnackedOutputAsOrdinaryDataAfterRepairOff() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(LOOPBACK, 0));
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel server = listener.accept()) {
                int fd = FileDescriptors.of(server);
                TcpRepair repair = new TcpRepair();
                // A state whose send queue holds output the client has not seen: take a real
                // snapshot, then pretend the last 4000 bytes written were never acknowledged.
                byte[] out = random(5, 4000);
                TcpState state = repair.snapshotAndRetire(fd, new TcpState());
                server.close();
                state.sendQueue(out, 0, out.length).sendQueueUnsent(out.length);
                long t0 = System.nanoTime();
                int restored = repair.restore(TcpState.fromBytes(state.toBytes()));
                try {
                    assertArrayEquals(out, readExactly(client, out.length), "written after repair off, seq from snd_una");
                    assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(500), "left at once, no retransmit timer");
                } finally {
                    LibC.close(restored);
                }
            }
        }
    }

    @Test
    void shouldRetransmitInFlightOutputFromRepairSendQueueWhenPeerLacksIt() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(LOOPBACK, 0));
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel server = listener.accept()) {
                TcpRepair repair = new TcpRepair();
                TcpState state = repair.snapshotAndRetire(FileDescriptors.of(server), new TcpState());
                server.close();
                // output "transmitted" by the old socket but lost: 3000 bytes in flight + 1000 never sent
                byte[] out = random(6, 4000);
                state.sendQueue(out, 0, out.length).sendQueueUnsent(1000);
                int restored = repair.restore(state);
                try {
                    assertArrayEquals(out, readExactly(client, out.length), "the kernel retransmits the in-flight part");
                } finally {
                    LibC.close(restored);
                }
            }
        }
    }

    @Test
    void shouldCloseSilentlyWithoutFinOrRst() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(LOOPBACK, 0));
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel server = listener.accept()) {
                int dup = LibC.dup(FileDescriptors.of(server));
                TcpRepair.retireSilently(FileDescriptors.of(server));
                LibC.close(dup); // last reference: closes in repair mode
                server.close();
                client.configureBlocking(false);
                try (Selector sel = Selector.open()) {
                    client.register(sel, SelectionKey.OP_READ);
                    assertEquals(0, sel.select(300), "nothing readable: no FIN, no RST");
                }
                assertEquals(0, client.read(ByteBuffer.allocate(1)));
            }
        }
    }

    @Test
    void shouldNameCallAndErrnoAndLeaveListenerUsableWhenRepairIsRefused() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(LOOPBACK, 0));
            int fd = FileDescriptors.of(listener);
            IOException e = assertThrows(IOException.class, () -> new TcpRepair().snapshot(fd, new TcpState()));
            assertTrue(e.getMessage().contains("state=10"), e.getMessage());
            ErrnoException close = assertThrows(ErrnoException.class, () -> TcpRepair.closeSilently(fd));
            assertEquals("setsockopt(TCP_REPAIR)", close.call());
            assertEquals(Errno.EPERM, close.errno());
            try (SocketChannel c = SocketChannel.open(listener.getLocalAddress()); SocketChannel s = listener.accept()) {
                assertFalse(s == null);
            }
        }
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void writeAll(SocketChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (buf.hasRemaining() && System.nanoTime() < deadline) {
            if (ch.read(buf) < 0) {
                throw new IOException("EOF after " + buf.position());
            }
        }
        return buf.array();
    }

    static void waitForQueue(SocketChannel ch, int n) throws Exception {
        int fd = FileDescriptors.of(ch);
        try (Memory m = new Memory(4)) {
            for (int i = 0; i < 200; i++) {
                dev.understudy.netfilter.internal.SysIoctl.ioctl(fd, dev.understudy.netfilter.internal.SysIoctl.SIOCINQ, m);
                if (m.getInt(0) >= n) {
                    return;
                }
                Thread.sleep(5);
            }
        }
        throw new AssertionError("receive queue never reached " + n);
    }

    static byte[] jnaRead(int fd, int n) throws ErrnoException {
        byte[] out = new byte[n];
        try (Memory m = new Memory(Math.max(1, n))) {
            int off = 0;
            while (off < n) {
                long r = LibC.check(LibC.read(fd, m.share(off), n - off), "read");
                if (r == 0) {
                    throw new AssertionError("EOF after " + off);
                }
                off += (int) r;
            }
            m.read(0, out, 0, n);
        }
        return out;
    }

    static void jnaWrite(int fd, byte[] b) throws ErrnoException {
        try (Memory m = new Memory(b.length)) {
            m.write(0, b, 0, b.length);
            int off = 0;
            while (off < b.length) {
                off += (int) LibC.check(LibC.write(fd, m.share(off), b.length - off), "write");
            }
        }
    }
}
