package dev.understudy.netfilter.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.netfilter.fd.FileDescriptors;
import dev.understudy.netfilter.internal.LinuxTcp;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tcp_info offsets read ({@link LinuxTcp#TCPI_STATE} ...) checked against the running
 * kernel on a real loopback connection (TCP_INFO needs no privilege).
 */
@Timeout(30)
class TcpInfoTest {
    @Test
    void shouldReadStateOptionsScalesMssAndByteCountersAtTheKernelOffsets() throws Exception {
        assertEquals(0, LinuxTcp.TCPI_STATE);
        assertEquals(5, LinuxTcp.TCPI_OPTIONS);
        assertEquals(6, LinuxTcp.TCPI_WSCALE);
        assertEquals(16, LinuxTcp.TCPI_SND_MSS);
        assertEquals(120, LinuxTcp.TCPI_BYTES_ACKED);
        assertEquals(128, LinuxTcp.TCPI_BYTES_RECEIVED);
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel c = SocketChannel.open(l.getLocalAddress()); SocketChannel s = l.accept()) {
                ByteBuffer out = ByteBuffer.allocate(10_000);
                while (out.hasRemaining()) {
                    c.write(out);
                }
                ByteBuffer in = ByteBuffer.allocate(10_000);
                while (in.hasRemaining()) {
                    s.read(in);
                }
                TcpInfo server = new TcpInfo().read(FileDescriptors.of(s));
                TcpInfo client = new TcpInfo().read(FileDescriptors.of(c));
                assertEquals(LinuxTcp.TCP_ESTABLISHED, server.state());
                assertTrue(server.timestamps() && server.sack() && server.windowScaling(), "Linux defaults on loopback");
                assertEquals(client.sndWscale(), server.rcvWscale(), "each side's receive shift is the other's send shift");
                assertEquals(client.rcvWscale(), server.sndWscale());
                assertTrue(server.sndMss() > 1000 && server.sndMss() <= 65535, "mss " + server.sndMss());
                assertEquals(10_000, server.bytesReceived());
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (new TcpInfo().read(FileDescriptors.of(c)).bytesAcked() < 10_001 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(10_001, new TcpInfo().read(FileDescriptors.of(c)).bytesAcked(), "10000 bytes + the SYN");
                assertTrue(server.rttMicros() >= 0 && server.rtoMicros() >= 200_000, "rto " + server.rtoMicros());
            }
        }
    }
}
