package dev.understudy.agent.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Target of a dynamic attach: says it is ready, waits for a line on stdin (the test attaches the
 * agent meanwhile), then does {@link TinyApp}'s work and exits.
 */
public final class AttachTargetApp {
    private AttachTargetApp() {
    }

    public static void main(final String[] args) throws Exception {
        System.out.println("attach-target: ready");
        System.out.flush();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final String line = in.readLine();
        System.out.println("attach-target: got " + line);
        TinyApp.main(args);
    }
}
