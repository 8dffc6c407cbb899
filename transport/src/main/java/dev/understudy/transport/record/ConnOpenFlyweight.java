package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#CONN_OPEN}: a connection was accepted on the primary. Little-endian, fixed length
 * {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |                      connection id (i64)                      | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     client ISN (u32)                          | 32
 *  +---------------------------------------------------------------+
 *  |                     server ISN (u32)                          | 36
 *  +-------------------------------+-------------------------------+
 *  |       client port (u16)       |      service port (u16)       | 40
 *  +-------------------------------+---------------+---------------+
 *  |           MSS (u16)           | client wscale | server wscale | 44
 *  +---------------+---------------+---------------+---------------+
 *  |  tcp options  | address family|           reserved            | 48
 *  +---------------+---------------+-------------------------------+
 *  |                         reserved (u32)                        | 52
 *  +---------------------------------------------------------------+
 *  |        client address (16 bytes, IPv4 in the first 4)         | 56
 *  +---------------------------------------------------------------+
 *  |        service address (16 bytes, IPv4 in the first 4)        | 72
 *  +---------------------------------------------------------------+
 *                                                                    88
 * </pre>
 *
 * Addresses are in network byte order (as {@link java.net.InetAddress#getAddress()} returns them);
 * ports, ISNs and MSS are host values stored little-endian. {@code tcp options} is a bit set of the
 * kernel's {@code TCPI_OPT_*} values ({@link TcpOptions}: {@link TcpOptions#TCPI_OPT_TIMESTAMPS} = 1,
 * {@link TcpOptions#TCPI_OPT_SACK} = 2, {@link TcpOptions#TCPI_OPT_WSCALE} = 4), the same bit order as
 * {@link TcpInfoFlyweight}; {@code address family} is 4 or 6.
 */
public final class ConnOpenFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the client's initial sequence number (u32). */
    public static final int CLIENT_ISN_OFFSET = 32;
    /** Offset of the server's initial sequence number (u32). */
    public static final int SERVER_ISN_OFFSET = 36;
    /** Offset of the client port (u16). */
    public static final int CLIENT_PORT_OFFSET = 40;
    /** Offset of the service port (u16). */
    public static final int SERVICE_PORT_OFFSET = 42;
    /** Offset of the negotiated MSS (u16). */
    public static final int MSS_OFFSET = 44;
    /** Offset of the client's window scale (u8). */
    public static final int CLIENT_WSCALE_OFFSET = 46;
    /** Offset of the server's window scale (u8). */
    public static final int SERVER_WSCALE_OFFSET = 47;
    /** Offset of the TCP option bits (u8). */
    public static final int TCP_OPTIONS_OFFSET = 48;
    /** Offset of the address family, 4 or 6 (u8). */
    public static final int ADDRESS_FAMILY_OFFSET = 49;
    /** Offset of the client address (16 bytes). */
    public static final int CLIENT_ADDRESS_OFFSET = 56;
    /** Offset of the service address (16 bytes). */
    public static final int SERVICE_ADDRESS_OFFSET = 72;
    /** Bytes reserved per address. */
    public static final int ADDRESS_LENGTH = 16;
    /** Record length. */
    public static final int LENGTH = 88;

    @Override
    public ConnOpenFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes a header for a CONN_OPEN at {@code offset} and zeroes the body.
     *
     * @return this, positioned for setting the body
     */
    public ConnOpenFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.CONN_OPEN, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public ConnOpenFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return the client ISN as an unsigned value */
    public long clientIsn() {
        return buffer.getInt(offset + CLIENT_ISN_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public ConnOpenFlyweight clientIsn(long value) {
        mutableBuffer.putInt(offset + CLIENT_ISN_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return the server ISN as an unsigned value */
    public long serverIsn() {
        return buffer.getInt(offset + SERVER_ISN_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public ConnOpenFlyweight serverIsn(long value) {
        mutableBuffer.putInt(offset + SERVER_ISN_OFFSET, (int) value, ORDER);
        return this;
    }

    public int clientPort() {
        return buffer.getShort(offset + CLIENT_PORT_OFFSET, ORDER) & 0xFFFF;
    }

    public ConnOpenFlyweight clientPort(int value) {
        mutableBuffer.putShort(offset + CLIENT_PORT_OFFSET, (short) value, ORDER);
        return this;
    }

    public int servicePort() {
        return buffer.getShort(offset + SERVICE_PORT_OFFSET, ORDER) & 0xFFFF;
    }

    public ConnOpenFlyweight servicePort(int value) {
        mutableBuffer.putShort(offset + SERVICE_PORT_OFFSET, (short) value, ORDER);
        return this;
    }

    public int mss() {
        return buffer.getShort(offset + MSS_OFFSET, ORDER) & 0xFFFF;
    }

    public ConnOpenFlyweight mss(int value) {
        mutableBuffer.putShort(offset + MSS_OFFSET, (short) value, ORDER);
        return this;
    }

    public int clientWindowScale() {
        return buffer.getByte(offset + CLIENT_WSCALE_OFFSET) & 0xFF;
    }

    public ConnOpenFlyweight clientWindowScale(int value) {
        mutableBuffer.putByte(offset + CLIENT_WSCALE_OFFSET, (byte) value);
        return this;
    }

    public int serverWindowScale() {
        return buffer.getByte(offset + SERVER_WSCALE_OFFSET) & 0xFF;
    }

    public ConnOpenFlyweight serverWindowScale(int value) {
        mutableBuffer.putByte(offset + SERVER_WSCALE_OFFSET, (byte) value);
        return this;
    }

    /** @return a bit set of {@link TcpOptions} {@code TCPI_OPT_*} values */
    public int tcpOptions() {
        return buffer.getByte(offset + TCP_OPTIONS_OFFSET) & 0xFF;
    }

    /** @param value a bit set of {@link TcpOptions} {@code TCPI_OPT_*} values (u8) */
    public ConnOpenFlyweight tcpOptions(int value) {
        mutableBuffer.putByte(offset + TCP_OPTIONS_OFFSET, (byte) value);
        return this;
    }

    /** @return 4 or 6 */
    public int addressFamily() {
        return buffer.getByte(offset + ADDRESS_FAMILY_OFFSET) & 0xFF;
    }

    /**
     * Sets both addresses; they must have the same length, 4 (IPv4) or 16 (IPv6), network order.
     *
     * @return this
     */
    public ConnOpenFlyweight addresses(byte[] client, byte[] service) {
        if (client.length != service.length || (client.length != 4 && client.length != 16)) {
            throw new IllegalArgumentException("invalid address lengths: client=" + client.length
                + ", service=" + service.length + ", expected both 4 or both 16");
        }
        mutableBuffer.putByte(offset + ADDRESS_FAMILY_OFFSET, (byte) (client.length == 4 ? 4 : 6));
        mutableBuffer.setMemory(offset + CLIENT_ADDRESS_OFFSET, 2 * ADDRESS_LENGTH, (byte) 0);
        mutableBuffer.putBytes(offset + CLIENT_ADDRESS_OFFSET, client);
        mutableBuffer.putBytes(offset + SERVICE_ADDRESS_OFFSET, service);
        return this;
    }

    /** Sets IPv4 addresses given as ints in network order (a.b.c.d = a&lt;&lt;24 | ...). */
    public ConnOpenFlyweight ipv4Addresses(int client, int service) {
        mutableBuffer.putByte(offset + ADDRESS_FAMILY_OFFSET, (byte) 4);
        mutableBuffer.setMemory(offset + CLIENT_ADDRESS_OFFSET, 2 * ADDRESS_LENGTH, (byte) 0);
        mutableBuffer.putInt(offset + CLIENT_ADDRESS_OFFSET, client, java.nio.ByteOrder.BIG_ENDIAN);
        mutableBuffer.putInt(offset + SERVICE_ADDRESS_OFFSET, service, java.nio.ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** @return the client IPv4 address as an int, network order (a&lt;&lt;24 | ...) */
    public int clientIpv4() {
        return buffer.getInt(offset + CLIENT_ADDRESS_OFFSET, java.nio.ByteOrder.BIG_ENDIAN);
    }

    /** @return the service IPv4 address as an int, network order */
    public int serviceIpv4() {
        return buffer.getInt(offset + SERVICE_ADDRESS_OFFSET, java.nio.ByteOrder.BIG_ENDIAN);
    }

    /**
     * Copies the client address (4 or 16 bytes per {@link #addressFamily()}) into {@code dst}.
     *
     * @return the number of bytes copied
     */
    public int getClientAddress(byte[] dst) {
        int n = addressFamily() == 6 ? 16 : 4;
        buffer.getBytes(offset + CLIENT_ADDRESS_OFFSET, dst, 0, n);
        return n;
    }

    /**
     * Copies the service address (4 or 16 bytes per {@link #addressFamily()}) into {@code dst}.
     *
     * @return the number of bytes copied
     */
    public int getServiceAddress(byte[] dst) {
        int n = addressFamily() == 6 ? 16 : 4;
        buffer.getBytes(offset + SERVICE_ADDRESS_OFFSET, dst, 0, n);
        return n;
    }
}
