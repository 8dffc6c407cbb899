package dev.understudy.interceptors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.net.StandardSocketOptions;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.understudy.interceptors.hook.Hooks;
import dev.understudy.interceptors.hook.SocketHook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** End-to-end over loopback: what the application moved equals what the hook was told. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketInterceptionTest {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static RecordingHook hook;
    static InstallReport report;
    ExecutorService pool;

    @BeforeAll
    static void install() {
        hook = new RecordingHook();
        report = Interceptors.install(BootstrapHookJar.instrumentation(), hook);
    }

    @AfterAll
    static void uninstall() {
        Interceptors.uninstall();
    }

    @BeforeEach
    void startPool() {
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "test threads did not end");
    }

    static byte[] data(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] readAll(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[7919]; // odd size: many reads of varied lengths
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    // Mutation check (each done once): with the "read" target removed from Target.all() this failed on
    // JDK 17 ("bytes read on the accepted fd": 0 of 1000003); with the accept(Socket) matcher renamed
    // it failed on JDK 25 in awaitAccepted.
    @Test
    void shouldReportExactBytesOfServerSocketStreams() throws Exception {
        byte[] request = data(1, 1_000_003);
        byte[] reply = data(2, 300_007);
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            Future<byte[]> served = pool.submit(() -> {
                try (Socket s = server.accept()) {
                    byte[] got = readAll(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    out.write(reply, 0, 1000);
                    out.write(reply, 1000, reply.length - 1000);
                    s.shutdownOutput();
                    return got;
                }
            });
            byte[] answer;
            int clientPort;
            try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
                clientPort = client.getLocalPort();
                client.getOutputStream().write(request);
                client.shutdownOutput();
                answer = readAll(client.getInputStream());
            }
            assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            assertArrayEquals(reply, answer);

            RecordingHook.Conn c = hook.awaitAccepted(clientPort);
            assertEquals(LOOPBACK, c.remote.getAddress());
            assertArrayEquals(request, c.readBytes(), "bytes read on the accepted fd");
            assertArrayEquals(reply, c.writtenBytes(), "bytes written on the accepted fd");
            synchronized (c) {
                assertTrue(c.eofs >= 1, "EOF (-1) seen");
                assertEquals(java.util.List.of(1), c.shutdowns, "shutdownOutput seen as SHUT_WR");
                assertTrue(c.closed, "close seen");
            }
            assertEquals(0, Hooks.errors());
        }
    }

    static InetSocketAddress address(ServerSocketChannel server) throws java.io.IOException {
        return new InetSocketAddress(LOOPBACK, ((InetSocketAddress) server.getLocalAddress()).getPort());
    }

    static int localPort(SocketChannel ch) throws java.io.IOException {
        return ((InetSocketAddress) ch.getLocalAddress()).getPort();
    }

    /** {@code SocketChannelImpl.fdVal} (same field on 17 and 25; sun.nio.ch is opened to the test JVM). */
    static int fdOf(SocketChannel ch) throws ReflectiveOperationException {
        java.lang.reflect.Field f = ch.getClass().getDeclaredField("fdVal");
        f.setAccessible(true);
        return f.getInt(ch);
    }

    static void writeFully(SocketChannel ch, ByteBuffer b) throws java.io.IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static byte[] readAll(SocketChannel ch) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8191);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        out.write(buf.array(), 0, buf.position());
        return out.toByteArray();
    }

    /** Client side of the usual exchange: send request, half-close, read the reply to EOF. */
    static byte[] clientExchange(InetSocketAddress to, byte[] request, int[] portOut) throws java.io.IOException {
        try (SocketChannel client = SocketChannel.open(to)) {
            portOut[0] = localPort(client);
            writeFully(client, ByteBuffer.wrap(request));
            client.shutdownOutput();
            return readAll(client);
        }
    }

    // Mutation check (done once, JDK 17): with the accept(SocketChannel) matcher renamed this failed in
    // awaitAccepted (no accept for the client's port), as did the adaptor, Selector and scatter tests.
    @Test
    void shouldReportExactBytesOfBlockingSocketChannel() throws Exception {
        byte[] request = data(3, 777_777);
        byte[] reply = data(4, 555_555);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
            Future<byte[]> served = pool.submit(() -> {
                try (SocketChannel ch = server.accept()) {
                    byte[] got = readAll(ch);
                    ByteBuffer direct = ByteBuffer.allocateDirect(reply.length);
                    direct.put(reply, 0, 100_000).flip();
                    writeFully(ch, direct);                                      // direct buffer
                    writeFully(ch, ByteBuffer.wrap(reply, 100_000, reply.length - 100_000)); // heap buffer
                    ch.shutdownOutput();
                    return got;
                }
            });
            int[] port = new int[1];
            byte[] answer = clientExchange(address(server), request, port);
            assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            assertArrayEquals(reply, answer);

            RecordingHook.Conn c = hook.awaitAccepted(port[0]);
            assertArrayEquals(request, c.readBytes());
            assertArrayEquals(reply, c.writtenBytes());
            synchronized (c) {
                assertTrue(c.eofs >= 1, "EOF seen");
                assertEquals(List.of(1), c.shutdowns, "SocketChannel.shutdownOutput seen");
                assertTrue(c.closed, "close seen");
            }
        }
    }

    // Mutation check (done once, JDK 17): with the "write" target removed this failed on writtenBytes
    // (0 of 3000000 bytes); with "read" removed, on readBytes.
    @Test
    void shouldReportPartialAndUnavailableIoOfSelectorChannels() throws Exception {
        byte[] request = data(5, 2_000_000);
        byte[] reply = data(6, 3_000_000);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             Selector selector = Selector.open()) {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            CountDownLatch clientMayRead = new CountDownLatch(1);
            Future<byte[]> client = pool.submit(() -> {
                try (SocketChannel ch = SocketChannel.open()) {
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, 32 * 1024);
                    ch.connect(address(server));
                    writeFully(ch, ByteBuffer.wrap(request));
                    ch.shutdownOutput();
                    // let the server fill our small receive window first: its writes go partial / EAGAIN
                    clientMayRead.await(20, TimeUnit.SECONDS);
                    return readAll(ch);
                }
            });
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocateDirect(65_536);
            ByteBuffer out = ByteBuffer.allocateDirect(reply.length);
            out.put(reply).flip();
            SocketChannel accepted = null;
            int clientPort = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean done = false;
            while (!done && System.nanoTime() < deadline) {
                selector.select(100);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (key.isAcceptable()) {
                        accepted = server.accept();
                        accepted.configureBlocking(false);
                        accepted.setOption(StandardSocketOptions.SO_SNDBUF, 32 * 1024);
                        clientPort = ((InetSocketAddress) accepted.getRemoteAddress()).getPort();
                        accepted.register(selector, SelectionKey.OP_READ);
                    } else if (key.isReadable()) {
                        int n;
                        while ((n = accepted.read(in)) > 0) {
                            got.write(bytes(in), 0, n);
                        }
                        if (n < 0) {
                            key.interestOps(SelectionKey.OP_WRITE);
                        }
                    } else if (key.isWritable()) {
                        int n;
                        while (out.hasRemaining() && (n = accepted.write(out)) > 0) {
                            if (n > 0 && out.position() > 200_000) {
                                clientMayRead.countDown();
                            }
                        }
                        clientMayRead.countDown();
                        if (!out.hasRemaining()) {
                            accepted.close();
                            done = true;
                        }
                    }
                }
            }
            assertTrue(done, "selector loop finished");
            // a registered non-blocking channel's fd is closed only when its key is flushed by the
            // next selection operation (SocketChannelImpl.kill): that is when onClose comes
            selector.selectNow();
            assertArrayEquals(reply, client.get(30, TimeUnit.SECONDS));
            assertArrayEquals(request, got.toByteArray());

            RecordingHook.Conn c = hook.awaitAccepted(clientPort);
            assertArrayEquals(request, c.readBytes());
            assertArrayEquals(reply, c.writtenBytes());
            synchronized (c) {
                assertTrue(c.partialWrites > 0, "a write moved fewer bytes than asked: " + c.partialWrites);
                assertTrue(c.unavailable > 0, "UNAVAILABLE (-2) seen: " + c.unavailable);
                assertTrue(c.eofs >= 1);
                assertTrue(c.closed);
            }
        }
    }

    /** The bytes a read just put before {@code in}'s position, and clears it. */
    private static byte[] bytes(ByteBuffer in) {
        in.flip();
        byte[] b = new byte[in.remaining()];
        in.get(b);
        in.clear();
        return b;
    }

    // Mutation check (done once, JDK 17): with the "read" target removed readBytes was empty (0 of 400001).
    @Test
    void shouldReportExactBytesThroughSocketAdaptorStreams() throws Exception {
        byte[] request = data(7, 400_001);
        byte[] reply = data(8, 123_457);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
            Future<byte[]> served = pool.submit(() -> {
                try (Socket s = server.socket().accept()) {   // ServerSocketAdaptor -> SocketAdaptor
                    byte[] got = readAll(s.getInputStream());
                    s.getOutputStream().write(reply);
                    s.shutdownOutput();
                    return got;
                }
            });
            byte[] answer;
            int port;
            try (SocketChannel ch = SocketChannel.open(address(server))) {
                Socket client = ch.socket();
                port = client.getLocalPort();
                client.getOutputStream().write(request);
                client.shutdownOutput();
                answer = readAll(client.getInputStream());
            }
            assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            assertArrayEquals(reply, answer);
            RecordingHook.Conn c = hook.awaitAccepted(port);
            assertArrayEquals(request, c.readBytes());
            assertArrayEquals(reply, c.writtenBytes());
            synchronized (c) {
                assertEquals(List.of(1), c.shutdowns);
                assertTrue(c.closed);
            }
        }
    }

    // Mutation check (done once, JDK 17): with the "writev" target removed from Target.all() this was the
    // only test to fail: writtenBytes was empty (0 of 432109) while the application's bytes were right.
    @Test
    void shouldReportScatteringReadsAsReadvAndGatheringWritesAsWritev() throws Exception {
        byte[] request = data(9, 654_321);
        byte[] reply = data(10, 432_109);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
            Future<byte[]> served = pool.submit(() -> {
                try (SocketChannel ch = server.accept()) {
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    ByteBuffer[] bufs = {ByteBuffer.allocateDirect(1000), ByteBuffer.allocate(3001),
                            ByteBuffer.allocateDirect(60_000)};
                    long n;
                    do {
                        n = ch.read(bufs);
                        for (ByteBuffer b : bufs) {
                            got.write(bytes(b));
                        }
                    } while (n >= 0);
                    ByteBuffer[] out = {ByteBuffer.wrap(reply, 0, 10), ByteBuffer.allocateDirect(200_000),
                            ByteBuffer.wrap(reply, 200_010, reply.length - 200_010)};
                    out[1].put(reply, 10, 200_000).flip();
                    while (out[2].hasRemaining()) {
                        ch.write(out);
                    }
                    return got.toByteArray();
                }
            });
            int[] port = new int[1];
            byte[] answer = clientExchange(address(server), request, port);
            assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            assertArrayEquals(reply, answer);
            RecordingHook.Conn c = hook.awaitAccepted(port[0]);
            assertArrayEquals(request, c.readBytes());
            assertArrayEquals(reply, c.writtenBytes());
            synchronized (c) {
                assertTrue(c.readvs > 0, "readv seen");
                assertTrue(c.writevs > 0, "writev seen");
                assertTrue(c.closed);
            }
        }
    }

    // Mutation check (done once, JDK 17): with the finishAccept matcher renamed this failed in
    // awaitAccepted; with the async shutdownOutput matcher renamed, on shutdowns ([] instead of [1]).
    @Test
    void shouldReportAsynchronousSocketChannelIo() throws Exception {
        byte[] request = data(11, 333_333);
        byte[] reply = data(12, 222_222);
        ExecutorService groupThreads = Executors.newFixedThreadPool(2);
        AsynchronousChannelGroup group = AsynchronousChannelGroup.withThreadPool(groupThreads);
        try (AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open(group)
                .bind(new InetSocketAddress(LOOPBACK, 0))) {
            int serverPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            Future<AsynchronousSocketChannel> acceptance = server.accept();
            int[] port = new int[1];
            Future<byte[]> client = pool.submit(() ->
                    clientExchange(new InetSocketAddress(LOOPBACK, serverPort), request, port));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try (AsynchronousSocketChannel ch = acceptance.get(20, TimeUnit.SECONDS)) {
                ByteBuffer in = ByteBuffer.allocate(50_000);
                while (ch.read(in).get(20, TimeUnit.SECONDS) >= 0) {
                    got.write(bytes(in));
                }
                ByteBuffer out = ByteBuffer.wrap(reply);
                while (out.hasRemaining()) {
                    ch.write(out).get(20, TimeUnit.SECONDS);
                }
                ch.shutdownOutput();
            }
            assertArrayEquals(reply, client.get(30, TimeUnit.SECONDS));
            assertArrayEquals(request, got.toByteArray());
            RecordingHook.Conn c = hook.awaitAccepted(port[0]);
            assertArrayEquals(request, c.readBytes());
            assertArrayEquals(reply, c.writtenBytes());
            synchronized (c) {
                assertEquals(List.of(1), c.shutdowns);
                assertTrue(c.closed);
            }
        } finally {
            group.shutdownNow();
            assertTrue(group.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // Mutation check (done once, JDK 17): with Hooks.read ignoring "thrown" (always calling onRead)
    // readFailure stayed null.
    @Test
    void shouldReportConnectionResetAsReadFailure() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            CountDownLatch firstBytesRead = new CountDownLatch(1);
            Future<Throwable> served = pool.submit(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().readNBytes(1000);
                    firstBytesRead.countDown();
                    try {
                        s.getInputStream().read();
                        return null;
                    } catch (SocketException e) {
                        return e;
                    }
                }
            });
            int port;
            try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
                port = client.getLocalPort();
                client.getOutputStream().write(data(13, 1000));
                assertTrue(firstBytesRead.await(20, TimeUnit.SECONDS));
                client.setSoLinger(true, 0); // close sends RST
            }
            Throwable appSaw = served.get(30, TimeUnit.SECONDS);
            assertNotNull(appSaw, "application read threw");
            RecordingHook.Conn c = hook.awaitAccepted(port);
            synchronized (c) {
                assertNotNull(c.readFailure, "onReadFailed seen");
                assertTrue(String.valueOf(c.readFailure.getMessage()).contains("reset"), c.readFailure.toString());
                assertEquals(1000, c.readBytes().length);
            }
        }
    }

    // Mutation check (done once, JDK 17): with the "write" target removed, otherFdWritten had no entry
    // for the client fd; with the guard check removed from Hooks.write, the suppressed write was reported.
    @Test
    void shouldReportFdsItNeverSawAcceptedAndNothingInsideSuppressed() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel client = SocketChannel.open(address(server));
             SocketChannel accepted = server.accept()) {
            int clientFd = fdOf(client);
            long before = hook.otherFdWritten.getOrDefault(clientFd, 0L); // the number may have been used before
            writeFully(client, ByteBuffer.wrap(data(14, 12_345)));
            assertEquals(before + 12_345L, hook.otherFdWritten.get(clientFd), "client fd (never accepted) reported");
            Hooks.suppressed(() -> {
                try {
                    writeFully(client, ByteBuffer.wrap(data(15, 777)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertEquals(before + 12_345L, hook.otherFdWritten.get(clientFd), "nothing reported inside suppressed()");
            assertFalse(Hooks.isSuppressed());
            ByteBuffer all = ByteBuffer.allocate(12_345 + 777);
            while (all.hasRemaining()) {
                accepted.read(all);
            }
        }
    }

    // Mutation check (done once, JDK 17): with the guard check removed from Hooks.write, maxDepth was
    // 745: every side-channel write re-entered the hook.
    @Test
    void shouldNotReenterAHookThatDoesItsOwnSocketIo() throws Exception {
        try (ServerSocketChannel sideServer = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel side = SocketChannel.open(address(sideServer));
             SocketChannel sideAccepted = sideServer.accept()) {
            int sideFd = fdOf(side);
            int sideAcceptedFd = fdOf(sideAccepted);
            ReentrantHook reentrant = new ReentrantHook(side);
            // the side reader is an "agent thread": its own reads are never reported
            Future<?> drain = pool.submit(() -> Hooks.suppressed(() -> {
                ByteBuffer b = ByteBuffer.allocate(4096);
                try {
                    while (sideAccepted.read(b) >= 0) {
                        b.clear();
                    }
                } catch (java.io.IOException ignored) {
                    // closed at the end of the test
                }
            }));
            swapHook(reentrant, () -> {
                byte[] request = data(16, 50_000);
                try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
                    Future<byte[]> served = pool.submit(() -> {
                        try (Socket s = server.accept()) {
                            return readAll(s.getInputStream());
                        }
                    });
                    try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
                        client.getOutputStream().write(request);
                    }
                    assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
                }
            });
            assertTrue(reentrant.calls.get() > 0, "hook was called");
            assertTrue(reentrant.sideWrites.get() > 0, "hook did its own I/O");
            assertEquals(1, reentrant.maxDepth.get(), "hook was never re-entered");
            assertFalse(reentrant.fds.contains(sideFd), "the hook's own socket was never reported");
            assertFalse(reentrant.fds.contains(sideAcceptedFd), "the suppressed thread's socket was never reported");
            sideAccepted.shutdownInput();
            drain.get(10, TimeUnit.SECONDS);
        }
    }

    // Mutation check (done once, JDK 17): with Hooks.read catching only StackOverflowError the
    // application still worked (the advice's suppress = Throwable swallowed the throw: two layers), but
    // errors() counted 8 of 32 throws and the test failed.
    @Test
    void shouldKeepTheApplicationWorkingWhenTheHookThrows() throws Exception {
        long errorsBefore = Hooks.errors();
        ThrowingHook throwing = new ThrowingHook();
        byte[] request = data(17, 100_000);
        byte[] reply = data(18, 70_000);
        swapHook(throwing, () -> {
            try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
                Future<byte[]> served = pool.submit(() -> {
                    try (Socket s = server.accept()) {
                        byte[] got = readAll(s.getInputStream());
                        s.getOutputStream().write(reply);
                        s.shutdownOutput();
                        return got;
                    }
                });
                try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
                    client.getOutputStream().write(request);
                    client.shutdownOutput();
                    assertArrayEquals(reply, readAll(client.getInputStream()));
                }
                assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            }
        });
        assertTrue(throwing.calls.get() > 0);
        assertEquals(throwing.calls.get(), Hooks.errors() - errorsBefore, "every throw counted");
    }

    // Mutation check (done once, JDK 17): with ignore() left at ByteBuddy's default, 0/15 targets were
    // transformed ("class was not retransformed") and ok() was false; with any one matcher renamed, 14/15.
    @Test
    void shouldListEveryTargetAsTransformedOnTheRunningJdk() {
        assertTrue(report.ok(), report.describe());
        assertEquals(Target.all().size(), report.expected().size());
        assertEquals(report.expected(), report.transformed());
        assertTrue(report.missing().isEmpty());
        assertTrue(report.describe().contains(Runtime.version().toString()), report.describe());
        assertTrue(report.describe().contains(Target.all().size() + "/" + Target.all().size()), report.describe());
        assertThrows(IllegalStateException.class,
                () -> Interceptors.install(BootstrapHookJar.instrumentation(), new RecordingHook()));
        assertTrue(Hooks.installed() == hook, "a refused second install leaves the first hook");
    }

    // Mutation check (done once, JDK 25): with the accept(Socket) matcher renamed, awaitAccepted failed
    // ("accepted: 0").
    @Test
    void shouldReportVirtualThreadIo() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, () -> {
            String why = "virtual threads need JDK 21+, running " + Runtime.version();
            System.out.println("skipped shouldReportVirtualThreadIo: " + why);
            return why;
        });
        ExecutorService virtual = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                .invoke(null);
        byte[] request = data(19, 500_000);
        byte[] reply = data(20, 250_000);
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            Future<byte[]> served = virtual.submit(() -> {
                try (Socket s = server.accept()) {
                    byte[] got = readAll(s.getInputStream());
                    s.getOutputStream().write(reply);
                    s.shutdownOutput();
                    return got;
                }
            });
            int[] port = new int[1];
            Future<byte[]> client = virtual.submit(() -> {
                try (Socket c = new Socket(LOOPBACK, server.getLocalPort())) {
                    port[0] = c.getLocalPort();
                    c.getOutputStream().write(request);
                    c.shutdownOutput();
                    return readAll(c.getInputStream());
                }
            });
            assertArrayEquals(reply, client.get(30, TimeUnit.SECONDS));
            assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            RecordingHook.Conn c = hook.awaitAccepted(port[0]);
            assertArrayEquals(request, c.readBytes());
            assertArrayEquals(reply, c.writtenBytes());
            synchronized (c) {
                assertEquals(List.of(1), c.shutdowns);
                assertTrue(c.closed);
            }
        } finally {
            virtual.shutdownNow();
            assertTrue(virtual.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // Mutation check (done once, JDK 17): with the preClose matcher renamed, closesSinceAccept was 1
    // (only the final close, made by the woken reader), not 2.
    @Test
    void shouldReportPreCloseWhenClosingASocketWithABlockedReader() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
             Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
            Socket accepted = server.accept();
            RecordingHook.Conn c = hook.awaitAccepted(client.getLocalPort());
            CountDownLatch reading = new CountDownLatch(1);
            Future<Throwable> reader = pool.submit(() -> {
                reading.countDown();
                try {
                    accepted.getInputStream().read();
                    return null;
                } catch (SocketException e) {
                    return e;
                }
            });
            assertTrue(reading.await(10, TimeUnit.SECONDS));
            Thread.sleep(200); // let the reader block in read(2): close then has to pre-close the fd
            accepted.close();
            assertNotNull(reader.get(10, TimeUnit.SECONDS), "blocked read ended with 'Socket closed'");
            synchronized (c) {
                assertTrue(c.closed);
            }
            assertEquals(2, hook.closesSinceAccept(c), "preClose (dup2 while the reader blocks) and the final close");
        }
    }

    /**
     * beforeOutputEnds comes before the FIN leaves, for shutdownOutput and for close (with and
     * without a reader blocked in read, i.e. with a preClose) of sockets and channels: the peer has
     * not received the FIN yet when the hook runs (and has it right after). The primary's close
     * guard depends on it: it marks the socket there so that its FIN may leave. The JDK's close
     * shuts the output down natively before the dispatcher's close or preClose, so onClose is too
     * late for that (seen here first: "onClose fin" on JDK 17 and 25).
     * Mutation check (done once, JDK 17): without the "before close(Socket)" target the closes of
     * peers 1 to 3 were not reported before the FIN (onClose alone saw "fin") and this failed.
     */
    @Test
    void shouldCallCloseAndShutdownOutputHooksBeforeTheFinLeaves() throws Exception {
        FinProbeHook probe = new FinProbeHook();
        swapHook(probe, () -> {
            try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
                 ServerSocketChannel channels = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
                // Socket.shutdownOutput, then Socket.close
                SocketChannel peer1 = probe.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
                Socket s = server.accept();
                s.shutdownOutput();
                awaitFin(peer1);
                s.close();
                // Socket.close alone
                SocketChannel peer2 = probe.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
                Socket closing = server.accept();
                closing.close();
                awaitFin(peer2);
                // Socket.close with a reader blocked in read(2): the JDK pre-closes (dup2) the fd
                SocketChannel peer3 = probe.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
                Socket blocked = server.accept();
                CountDownLatch reading = new CountDownLatch(1);
                Future<?> reader = pool.submit(() -> {
                    reading.countDown();
                    try {
                        return blocked.getInputStream().read();
                    } catch (SocketException e) {
                        return e;
                    }
                });
                assertTrue(reading.await(10, TimeUnit.SECONDS));
                Thread.sleep(200);
                blocked.close();
                reader.get(10, TimeUnit.SECONDS);
                awaitFin(peer3);
                // SocketChannel.shutdownOutput, then SocketChannel.close
                SocketChannel peer4 = probe.connect(address(channels));
                SocketChannel ch = channels.accept();
                ch.shutdownOutput();
                awaitFin(peer4);
                ch.close();
                // SocketChannel.close alone, blocking and non-blocking
                SocketChannel peer5 = probe.connect(address(channels));
                SocketChannel blockingChannel = channels.accept();
                blockingChannel.close();
                awaitFin(peer5);
                SocketChannel peer6 = probe.connect(address(channels));
                SocketChannel nonBlocking = channels.accept();
                nonBlocking.configureBlocking(false);
                nonBlocking.close();
                awaitFin(peer6);
                for (SocketChannel p : List.of(peer1, peer2, peer3, peer4, peer5, peer6)) {
                    p.close();
                }
            }
        });
        List<String> seen = probe.seen();
        // peers 1 and 4: shutdownOutput (FIN not sent yet), then close (FIN already sent by the shutdown)
        assertEquals(List.of("1 open", "1 fin", "2 open", "3 open", "4 open", "4 fin", "5 open", "6 open"), seen, seen.toString());
    }

    /**
     * beforeWrite runs before the bytes leave, for a Socket's stream (write) and a channel's
     * gathering write (writev): while the hook holds the writing thread the peer receives nothing,
     * and the bytes arrive once it lets go. A clone's switchover holds the application's writes
     * there while it moves the connection to a new socket. Mutation check (done once, JDK 17): with
     * the Write and Writev advice's enter not calling the hook, beforeWrite was never called and
     * this failed.
     */
    @Test
    void shouldHoldAWriteInBeforeWriteBeforeAnyByteLeaves() throws Exception {
        HoldingHook holding = new HoldingHook();
        swapHook(holding, () -> {
            try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
                try (SocketChannel peer = SocketChannel.open(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
                     Socket s = server.accept()) {
                    assertHeldThenDelivered(holding, peer, () -> s.getOutputStream().write("held".getBytes()), "held");
                }
            }
            try (ServerSocketChannel channels = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
                 SocketChannel peer = SocketChannel.open(address(channels));
                 SocketChannel ch = channels.accept()) {
                assertHeldThenDelivered(holding, peer,
                    () -> ch.write(new ByteBuffer[] {ByteBuffer.wrap("gath".getBytes()), ByteBuffer.wrap("ered".getBytes())}),
                    "gathered");
            }
        });
    }

    private void assertHeldThenDelivered(HoldingHook holding, SocketChannel peer, IoAction write, String expected) throws Exception {
        holding.arm();
        Future<?> writer = pool.submit(() -> {
            write.run();
            return null;
        });
        assertTrue(holding.entered.await(10, TimeUnit.SECONDS), "beforeWrite was not called");
        peer.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(64);
        Thread.sleep(200);
        assertEquals(0, peer.read(b), "bytes left while the writer was held");
        holding.release();
        writer.get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.position() < expected.length() && System.nanoTime() < deadline) {
            peer.read(b);
            Thread.sleep(5);
        }
        assertEquals(expected, new String(b.array(), 0, b.position()));
    }

    /** Holds the first write after {@link #arm} in beforeWrite until {@link #release}. */
    static final class HoldingHook implements SocketHook {
        volatile boolean armed;
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch released = new CountDownLatch(1);

        void arm() {
            entered = new CountDownLatch(1);
            released = new CountDownLatch(1);
            armed = true;
        }

        void release() {
            released.countDown();
        }

        @Override public void beforeWrite(int fd) {
            if (!armed) {
                return;
            }
            armed = false;
            entered.countDown();
            try {
                released.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override public void onAccept(int listenFd, int fd, InetSocketAddress remote) { }
        @Override public void onRead(int fd, long address, int length, long result) { }
        @Override public void onReadv(int fd, long iovAddress, int iovCount, long result) { }
        @Override public void onReadFailed(int fd, Throwable t) { }
        @Override public void onWrite(int fd, long address, int length, long result) { }
        @Override public void onWritev(int fd, long iovAddress, int iovCount, long result) { }
        @Override public void onWriteFailed(int fd, Throwable t) { }
        @Override public void onShutdown(int fd, int how) { }
        @Override public void onClose(int fd) { }
    }

    private static void awaitFin(SocketChannel peer) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ByteBuffer b = ByteBuffer.allocate(16);
        while (peer.read(b) >= 0) {
            assertTrue(System.nanoTime() < deadline, "no FIN at the peer");
            b.clear();
            Thread.sleep(5);
        }
    }

    /**
     * For accepted fds whose peer is a non-blocking channel of the test, records at each
     * beforeOutputEnds whether the peer has already received the FIN ("N fin") or not ("N open"),
     * N numbering the peers in the order they connected. Forgets an fd at its first onClose (the
     * number is reused at once).
     */
    static final class FinProbeHook implements SocketHook {
        private final java.util.Map<Integer, SocketChannel> byRemotePort = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<Integer, SocketChannel> byFd = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<SocketChannel, Integer> number = new java.util.concurrent.ConcurrentHashMap<>();
        private final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

        SocketChannel connect(InetSocketAddress to) throws java.io.IOException {
            SocketChannel c = SocketChannel.open(to);
            c.configureBlocking(false);
            number.put(c, number.size() + 1);
            byRemotePort.put(((InetSocketAddress) c.getLocalAddress()).getPort(), c);
            return c;
        }

        List<String> seen() {
            return List.copyOf(seen);
        }

        @Override public void beforeOutputEnds(int fd) {
            SocketChannel peer = byFd.get(fd);
            if (peer == null) {
                return;
            }
            try {
                int n = peer.read(ByteBuffer.allocate(16));
                seen.add(number.get(peer) + " " + (n < 0 ? "fin" : "open"));
            } catch (java.io.IOException e) {
                seen.add(number.get(peer) + " " + e);
            }
        }

        @Override public void onAccept(int listenFd, int fd, InetSocketAddress remote) {
            SocketChannel peer = byRemotePort.get(remote.getPort());
            if (peer != null) {
                byFd.put(fd, peer);
            }
        }
        @Override public void onRead(int fd, long address, int length, long result) { }
        @Override public void onReadv(int fd, long iovAddress, int iovCount, long result) { }
        @Override public void onReadFailed(int fd, Throwable t) { }
        @Override public void onWrite(int fd, long address, int length, long result) { }
        @Override public void onWritev(int fd, long iovAddress, int iovCount, long result) { }
        @Override public void onWriteFailed(int fd, Throwable t) { }
        @Override public void onShutdown(int fd, int how) { }
        @Override public void onClose(int fd) { byFd.remove(fd); }
    }

    interface IoAction {
        void run() throws Exception;
    }

    /** Runs {@code action} with {@code temporary} installed in place of the recording hook. */
    static void swapHook(SocketHook temporary, IoAction action) throws Exception {
        Hooks.uninstall();
        Hooks.install(temporary);
        try {
            action.run();
        } finally {
            Hooks.uninstall();
            Hooks.install(hook);
        }
    }

    /** Writes one byte to its own side channel on every event, and tracks nesting per thread. */
    static final class ReentrantHook implements SocketHook {
        final SocketChannel side;
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger sideWrites = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger maxDepth = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.Set<Integer> fds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

        ReentrantHook(SocketChannel side) {
            this.side = side;
        }

        private void event(int fd) {
            int[] d = depth.get();
            d[0]++;
            maxDepth.accumulateAndGet(d[0], Math::max);
            try {
                calls.incrementAndGet();
                fds.add(fd);
                synchronized (side) {
                    side.write(ByteBuffer.wrap(new byte[] {1}));
                }
                sideWrites.incrementAndGet();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                d[0]--;
            }
        }

        @Override public void onAccept(int listenFd, int fd, InetSocketAddress remote) { event(fd); }
        @Override public void onRead(int fd, long address, int length, long result) { event(fd); }
        @Override public void onReadv(int fd, long iovAddress, int iovCount, long result) { event(fd); }
        @Override public void onReadFailed(int fd, Throwable t) { event(fd); }
        @Override public void onWrite(int fd, long address, int length, long result) { event(fd); }
        @Override public void onWritev(int fd, long iovAddress, int iovCount, long result) { event(fd); }
        @Override public void onWriteFailed(int fd, Throwable t) { event(fd); }
        @Override public void onShutdown(int fd, int how) { event(fd); }
        @Override public void onClose(int fd) { event(fd); }
    }

    /**
     * A task scheduled on a {@code ScheduledThreadPoolExecutor} is reported once when scheduled
     * (on the scheduling thread), and each run on the worker, begun and ended. Mutation check
     * (done once): without the "timer run" target the runs were missing and this failed.
     */
    @Test
    void shouldReportScheduledTasksAndEachRun() throws Exception {
        hook.timers.clear();
        java.util.concurrent.ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "test-timer"));
        try {
            java.util.concurrent.CountDownLatch three = new java.util.concurrent.CountDownLatch(3);
            java.util.concurrent.ScheduledFuture<?> f = timer.scheduleAtFixedRate(three::countDown, 1, 5, TimeUnit.MILLISECONDS);
            assertTrue(three.await(10, TimeUnit.SECONDS));
            f.cancel(false);
            timer.shutdown();
            assertTrue(timer.awaitTermination(10, TimeUnit.SECONDS));
            // only this test's task: surefire's own stream flusher is a scheduled task too, and may run meanwhile
            java.util.List<String> seen = hook.timers.stream()
                .filter(e -> e.endsWith(" " + Thread.currentThread().getName()) || e.endsWith(" test-timer")).toList();
            String task = seen.get(0).split(" ")[1];
            assertEquals("scheduled " + task + " " + Thread.currentThread().getName(), seen.get(0), seen.toString());
            long runs = seen.stream().filter(e -> e.equals("run " + task + " test-timer")).count();
            long ends = seen.stream().filter(e -> e.equals("end " + task + " test-timer")).count();
            assertTrue(runs >= 3, seen.toString());
            assertEquals(runs, ends, seen.toString());
            for (int i = 1; i < seen.size(); i++) {
                assertEquals(i % 2 == 1 ? "run " + task + " test-timer" : "end " + task + " test-timer", seen.get(i),
                    seen.toString());
            }
        } finally {
            timer.shutdownNow();
        }
    }

    /** Throws from every callback, counting the calls. */
    static final class ThrowingHook implements SocketHook {
        final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();

        private void boom() {
            calls.incrementAndGet();
            throw new IllegalStateException("hook failure");
        }

        @Override public void onAccept(int listenFd, int fd, InetSocketAddress remote) { boom(); }
        @Override public void onRead(int fd, long address, int length, long result) { boom(); }
        @Override public void onReadv(int fd, long iovAddress, int iovCount, long result) { boom(); }
        @Override public void onReadFailed(int fd, Throwable t) { boom(); }
        @Override public void onWrite(int fd, long address, int length, long result) { boom(); }
        @Override public void onWritev(int fd, long iovAddress, int iovCount, long result) { boom(); }
        @Override public void onWriteFailed(int fd, Throwable t) { boom(); }
        @Override public void onShutdown(int fd, int how) { boom(); }
        @Override public void onClose(int fd) { boom(); }
    }
}
