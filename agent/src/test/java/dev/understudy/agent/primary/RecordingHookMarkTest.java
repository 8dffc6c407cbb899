package dev.understudy.agent.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.fd.FileDescriptors;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The primary's hook marks a service socket for the close guard before the application ends it, and never throws. */
@Timeout(30)
class RecordingHookMarkTest {
    private final ConnectionTable table = new ConnectionTable();
    private final CountersManager counters = new CountersManager(new UnsafeBuffer(ByteBuffer.allocate(64 * 1024)),
        new UnsafeBuffer(ByteBuffer.allocate(16 * 1024)));
    private final AtomicCounter failures = counters.newCounter("close guard marks failed");
    private final List<String> said = new ArrayList<>();

    private RecordingHook hook(int mark) {
        ManyToOneRingBuffer ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect((64 << 10) + RingBufferDescriptor.TRAILER_LENGTH)));
        return new RecordingHook(table, ring, new int[] {7000}, counters.newCounter("ring full"), counters.newCounter("unknown"),
            counters.newCounter("errors"), () -> { }, null, mark, failures, said::add);
    }

    private Connection bound(int fd) {
        Connection c = new Connection(1, 0x7f000001, 40000, 0x7f000001, 7000, 1);
        table.add(c);
        table.bind(c, fd);
        return c;
    }

    @Test
    void shouldMarkAServiceSocketBeforeItsOutputEnds() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket ss = new ServerSocket(0, 5, lo); Socket client = new Socket(lo, ss.getLocalPort());
             Socket accepted = ss.accept()) {
            int fd = FileDescriptors.of(accepted);
            assumeTrue(canMark(client), "setting SO_MARK needs CAP_NET_ADMIN");
            RecordingHook h = hook(CloseGuard.MARK);
            bound(fd);
            h.beforeOutputEnds(FileDescriptors.of(client)); // not a service connection: untouched
            assertEquals(0, FileDescriptors.mark(FileDescriptors.of(client)));
            h.beforeOutputEnds(fd);
            assertEquals(CloseGuard.MARK, FileDescriptors.mark(fd), "read back from the kernel");
            h.onClose(fd);
            assertEquals(0, failures.get());
            assertTrue(said.isEmpty());
        }
    }

    @Test
    void shouldMarkNothingWithoutTheGuard() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket ss = new ServerSocket(0, 5, lo); Socket client = new Socket(lo, ss.getLocalPort());
             Socket accepted = ss.accept()) {
            int fd = FileDescriptors.of(accepted);
            RecordingHook h = hook(0);
            bound(fd);
            h.beforeOutputEnds(fd);
            h.onClose(fd);
            assertEquals(0, FileDescriptors.mark(fd));
            assertEquals(0, failures.get());
        }
    }

    @Test
    void shouldCountAndSayOnceWhenTheMarkCannotBeSet() {
        RecordingHook h = hook(CloseGuard.MARK);
        int notOpen = 100_000; // no such fd: EBADF
        bound(notOpen);
        h.beforeOutputEnds(notOpen);
        h.onClose(notOpen); // once per connection: not tried again
        Connection other = new Connection(2, 0x7f000001, 40001, 0x7f000001, 7000, 1);
        table.add(other);
        table.bind(other, notOpen + 1);
        h.onClose(notOpen + 1);
        assertEquals(2, failures.get());
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.get(0).contains("SO_MARK") && said.get(0).contains("EBADF"), said.toString());
    }

    private static boolean canMark(Socket probe) {
        try {
            FileDescriptors.setMark(FileDescriptors.of(probe), 0);
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }
}
