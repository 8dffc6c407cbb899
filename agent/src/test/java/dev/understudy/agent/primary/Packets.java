package dev.understudy.agent.primary;

import dev.understudy.netfilter.packet.TcpSegment;
import java.nio.ByteBuffer;

/** Builds real IPv4/TCP packets (RFC 791, RFC 9293) for the capture handler's tests. */
final class Packets {
    static final int CLIENT = (198 << 24) | (18 << 16) | 2;
    static final int VIP = (198 << 24) | (18 << 16) | 100;

    private Packets() {
    }

    /** A parsed segment from client:clientPort to VIP:port; {@code syn} adds MSS 1460, SACK-permitted and window scale 7. */
    static TcpSegment segment(int clientPort, int port, long seq, long ack, int flags, byte[] payload) {
        boolean syn = (flags & 0x02) != 0;
        byte[] options = syn ? new byte[] {2, 4, 0x05, (byte) 0xB4, 4, 2, 1, 3, 3, 7, 0, 0} : new byte[0];
        int tcpLength = 20 + options.length;
        int total = 20 + tcpLength + payload.length;
        ByteBuffer b = ByteBuffer.allocateDirect(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 1).putShort((short) 0x4000)
            .put((byte) 64).put((byte) 6).putShort((short) 0).putInt(CLIENT).putInt(port == -1 ? 0 : VIP);
        b.putShort((short) clientPort).putShort((short) port).putInt((int) seq).putInt((int) ack)
            .put((byte) ((tcpLength / 4) << 4)).put((byte) flags).putShort((short) 502).putShort((short) 0).putShort((short) 0);
        b.put(options).put(payload);
        TcpSegment s = new TcpSegment();
        int r = s.wrap(b, 0, total);
        if (r != TcpSegment.PARSE_OK) {
            throw new IllegalStateException("test packet does not parse: " + TcpSegment.resultName(r));
        }
        return s;
    }
}
