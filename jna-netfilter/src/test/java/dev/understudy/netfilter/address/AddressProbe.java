package dev.understudy.netfilter.address;

import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LinuxIn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Runs {@link InterfaceAddresses} and {@link GratuitousArp} inside a lab node for {@link AddressIT}.
 * Stdin commands: {@code add A/P IF}, {@code remove A/P IF}, {@code garp A IF N}, {@code exit};
 * each answers one line: {@code OK true|false}, {@code MAC xx:..}, or {@code FAIL call errno}.
 */
public final class AddressProbe {
    public static void main(String[] args) throws Exception {
        System.out.println("READY");
        System.out.flush();
        try (InterfaceAddresses addrs = new InterfaceAddresses();
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null && !line.equals("exit")) {
                String[] a = line.split(" ");
                try {
                    if (a[0].equals("add") || a[0].equals("remove")) {
                        String[] ap = a[1].split("/");
                        boolean changed = a[0].equals("add")
                            ? addrs.add(a[2], LinuxIn.parse(ap[0]), Integer.parseInt(ap[1]))
                            : addrs.remove(a[2], LinuxIn.parse(ap[0]), Integer.parseInt(ap[1]));
                        System.out.println("OK " + changed);
                    } else if (a[0].equals("garp")) {
                        try (GratuitousArp arp = new GratuitousArp(a[2])) {
                            arp.announce(LinuxIn.parse(a[1]), Integer.parseInt(a[3]));
                            System.out.println("MAC " + HexFormat.ofDelimiter(":").formatHex(arp.mac()));
                        }
                    }
                } catch (ErrnoException e) {
                    System.out.println("FAIL " + e.call() + " " + e.errnoName());
                }
                System.out.flush();
            }
        }
    }
}
