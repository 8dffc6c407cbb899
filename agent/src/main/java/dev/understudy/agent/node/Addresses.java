package dev.understudy.agent.node;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Addresses as the capture and the kernel calls see them: the one conversion the primary and the clones share. */
public final class Addresses {
    private Addresses() {
    }

    /** IPv4 address as a host-order int (IPv4-mapped IPv6 included), 0 for anything else. */
    public static int ipv4(InetAddress a) {
        byte[] b;
        if (a instanceof Inet4Address) {
            b = a.getAddress();
        } else if (a instanceof Inet6Address) {
            byte[] s = a.getAddress();
            for (int i = 0; i < 10; i++) {
                if (s[i] != 0) {
                    return 0;
                }
            }
            if (s[10] != (byte) 0xff || s[11] != (byte) 0xff) {
                return 0;
            }
            b = new byte[] {s[12], s[13], s[14], s[15]};
        } else {
            return 0;
        }
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }
}
