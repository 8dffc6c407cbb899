package dev.understudy.agent.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A one-connection KV client for {@link InputCommitIT}, run in the lab's {@code client}: connects
 * to {@code HOST:PORT}, then for each line on stdin sends it as a request and prints
 * {@code REPLY <line>} when the answer comes (or {@code ERROR <what>}). Prints {@code CONNECTED
 * <localPort>} first. Exits at end of stdin; every read is bounded by a 60 s timeout.
 */
public final class HoldProbe {
    private HoldProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 10_000);
            s.setSoTimeout(60_000);
            s.setTcpNoDelay(true);
            System.out.println("CONNECTED " + s.getLocalPort());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = commands.readLine()) != null) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                System.out.println("SENT " + line);
                System.out.flush();
                try {
                    String reply = in.readLine();
                    System.out.println(reply == null ? "ERROR eof" : "REPLY " + reply);
                } catch (Exception e) {
                    System.out.println("ERROR " + e);
                }
                System.out.flush();
            }
        }
    }
}
