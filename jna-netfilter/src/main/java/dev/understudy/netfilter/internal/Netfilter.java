package dev.understudy.netfilter.internal;

/** Verdicts and hooks from {@code linux/netfilter.h}. */
public final class Netfilter {
    public static final int NF_DROP = 0;
    public static final int NF_ACCEPT = 1;
    public static final int NF_STOLEN = 2;
    public static final int NF_QUEUE = 3;
    public static final int NF_REPEAT = 4;
    public static final int NF_STOP = 5;

    public static final int NF_INET_PRE_ROUTING = 0;
    public static final int NF_INET_LOCAL_IN = 1;
    public static final int NF_INET_FORWARD = 2;
    public static final int NF_INET_LOCAL_OUT = 3;
    public static final int NF_INET_POST_ROUTING = 4;

    private Netfilter() {
    }
}
