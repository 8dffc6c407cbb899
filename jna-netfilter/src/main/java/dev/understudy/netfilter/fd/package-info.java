/**
 * File-descriptor helpers: the fd behind JDK sockets and channels, {@code dup2}, {@code fcntl}
 * flags and {@code epoll_ctl} — what the agent needs to put a rebuilt socket under an
 * application's own fd.
 */
package dev.understudy.netfilter.fd;
