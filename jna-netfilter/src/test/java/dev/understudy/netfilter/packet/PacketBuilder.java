package dev.understudy.netfilter.packet;

import java.nio.ByteBuffer;

/** Test helper: hand-built IPv4/TCP packets per RFC 791/793/7323, with a correct IP header checksum. */
public final class PacketBuilder {
    public int source = 0xC6120002;       // 198.18.0.2
    public int destination = 0xC6120064;  // 198.18.0.100
    public int sourcePort = 40000;
    public int destinationPort = 7000;
    public long seq = 1000;
    public long ack = 0;
    public int flags = TcpHeader.ACK;
    public int window = 502;
    public byte[] options = new byte[0];
    public byte[] ipOptions = new byte[0];
    public byte[] payload = new byte[0];
    public int ttl = 64;
    public int fragment = Ipv4Header.FLAG_DF;

    /** Linux's SYN options: MSS 1460, SACK-permitted, timestamps, NOP, window scale 7. */
    public static byte[] linuxSynOptions(long tsVal, long tsEcr) {
        return new byte[] {
            2, 4, 0x05, (byte) 0xB4,
            4, 2,
            8, 10, (byte) (tsVal >>> 24), (byte) (tsVal >>> 16), (byte) (tsVal >>> 8), (byte) tsVal,
            (byte) (tsEcr >>> 24), (byte) (tsEcr >>> 16), (byte) (tsEcr >>> 8), (byte) tsEcr,
            1, 3, 3, 7
        };
    }

    /** NOP, NOP, timestamps: the 12-byte option block of every Linux data segment. */
    public static byte[] timestampOptions(long tsVal, long tsEcr) {
        return new byte[] {
            1, 1, 8, 10, (byte) (tsVal >>> 24), (byte) (tsVal >>> 16), (byte) (tsVal >>> 8), (byte) tsVal,
            (byte) (tsEcr >>> 24), (byte) (tsEcr >>> 16), (byte) (tsEcr >>> 8), (byte) tsEcr
        };
    }

    public int length() {
        return 20 + ipOptions.length + 20 + options.length + payload.length;
    }

    public byte[] build() {
        byte[] out = new byte[length()];
        write(ByteBuffer.wrap(out), 0);
        return out;
    }

    /** Writes the packet at {@code off}; returns its length. Option blocks must be multiples of 4. */
    public int write(ByteBuffer b, int off) {
        if ((options.length & 3) != 0 || (ipOptions.length & 3) != 0) {
            throw new IllegalArgumentException("options must be padded to 4 bytes");
        }
        int ihl = 20 + ipOptions.length;
        int thl = 20 + options.length;
        int total = ihl + thl + payload.length;
        b.put(off, (byte) (0x40 | (ihl / 4)));
        b.put(off + 1, (byte) 0);
        b.putShort(off + 2, (short) total);
        b.putShort(off + 4, (short) 0x1234);
        b.putShort(off + 6, (short) fragment);
        b.put(off + 8, (byte) ttl);
        b.put(off + 9, (byte) 6);
        b.putShort(off + 10, (short) 0);
        b.putInt(off + 12, source);
        b.putInt(off + 16, destination);
        for (int i = 0; i < ipOptions.length; i++) {
            b.put(off + 20 + i, ipOptions[i]);
        }
        b.putShort(off + 10, (short) Ipv4Header.checksumResidue(b, off, ihl));
        int t = off + ihl;
        b.putShort(t, (short) sourcePort);
        b.putShort(t + 2, (short) destinationPort);
        b.putInt(t + 4, (int) seq);
        b.putInt(t + 8, (int) ack);
        b.put(t + 12, (byte) ((thl / 4) << 4));
        b.put(t + 13, (byte) flags);
        b.putShort(t + 14, (short) window);
        b.putShort(t + 16, (short) 0);
        b.putShort(t + 18, (short) 0);
        for (int i = 0; i < options.length; i++) {
            b.put(t + 20 + i, options[i]);
        }
        for (int i = 0; i < payload.length; i++) {
            b.put(t + thl + i, payload[i]);
        }
        return total;
    }
}
