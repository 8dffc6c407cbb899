package dev.understudy.agent.clone;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which epoll sets of this process watch which fds, read from {@code /proc/self/fdinfo}: every
 * {@code anon_inode:[eventpoll]} fd lists one line per watched file, {@code tfd: FD events: HEX
 * data: HEX}. An epoll set watches a (file, fd) pair: when {@code dup2} puts a new socket under
 * an fd, the old file leaves every set it was in and the new one is in none. Re-adding each
 * registration with its events and data (what the JDK's selectors and pollers keep) is what
 * makes a Selector see the new socket as it saw the old one — whatever the JDK version, since
 * the kernel's record is read rather than the JDK's fields.
 */
final class EpollRegistrations {
    /** One registration: the epoll fd, the events mask and the user data. */
    record Registration(int epfd, int events, long data) {
    }

    private EpollRegistrations() {
    }

    /** The registrations of the fds in {@code targets}, by target fd. */
    static Map<Integer, List<Registration>> of(Set<Integer> targets) throws IOException {
        Map<Integer, List<Registration>> found = new HashMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : fds) {
                String link;
                try {
                    link = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (!link.equals("anon_inode:[eventpoll]")) {
                    continue;
                }
                int epfd = Integer.parseInt(p.getFileName().toString());
                List<String> lines;
                try {
                    lines = Files.readAllLines(Path.of("/proc/self/fdinfo/" + epfd));
                } catch (IOException e) {
                    continue;
                }
                for (String line : lines) {
                    parse(epfd, line, targets, found);
                }
            }
        }
        return found;
    }

    /** Parses one fdinfo line of an epoll fd; lines other than {@code tfd:} are skipped. */
    static void parse(int epfd, String line, Set<Integer> targets, Map<Integer, List<Registration>> into) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 6 || !f[0].equals("tfd:") || !f[2].equals("events:") || !f[4].equals("data:")) {
            return;
        }
        int tfd = Integer.parseInt(f[1]);
        if (!targets.contains(tfd)) {
            return;
        }
        int events = (int) Long.parseLong(f[3], 16);
        long data = Long.parseUnsignedLong(f[5], 16);
        into.computeIfAbsent(tfd, k -> new ArrayList<>()).add(new Registration(epfd, events, data));
    }
}
