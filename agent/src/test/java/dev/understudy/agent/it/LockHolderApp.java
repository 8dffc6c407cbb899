package dev.understudy.agent.it;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Holds a shared lock on the file given as argument, says so, and waits for stdin to close. */
public final class LockHolderApp {
    private LockHolderApp() {
    }

    public static void main(final String[] args) throws Exception {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]),
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            channel.lock(0, Long.MAX_VALUE, true);
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the test to close stdin
            }
        }
    }
}
