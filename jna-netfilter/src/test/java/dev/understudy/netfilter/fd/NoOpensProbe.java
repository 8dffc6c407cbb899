package dev.understudy.netfilter.fd;

import java.nio.channels.SocketChannel;

/** Run by {@link FileDescriptorsTest} in a JVM without {@code --add-opens}: prints the error. */
public final class NoOpensProbe {
    public static void main(String[] args) throws Exception {
        try (SocketChannel ch = SocketChannel.open()) {
            System.out.println("FD " + FileDescriptors.of(ch));
        } catch (IllegalStateException e) {
            System.out.println("ERROR " + e.getMessage());
        }
    }
}
