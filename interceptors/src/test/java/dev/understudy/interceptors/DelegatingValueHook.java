package dev.understudy.interceptors;

import java.time.Instant;

import dev.understudy.interceptors.hook.ValueHook;

/** A {@link ValueHook} that forwards every call; tests override the calls they change. */
class DelegatingValueHook implements ValueHook {

    private final ValueHook delegate;

    DelegatingValueHook(ValueHook delegate) {
        this.delegate = delegate;
    }

    @Override
    public long currentTimeMillis(long real) {
        return delegate.currentTimeMillis(real);
    }

    @Override
    public long nanoTime(long real) {
        return delegate.nanoTime(real);
    }

    @Override
    public Instant instant(Instant real) {
        return delegate.instant(real);
    }

    @Override
    public long randomSeed(long real) {
        return delegate.randomSeed(real);
    }

    @Override
    public long threadLocalRandomSeed(long real) {
        return delegate.threadLocalRandomSeed(real);
    }

    @Override
    public boolean replaceSecureBytes(byte[] bytes) {
        return delegate.replaceSecureBytes(bytes);
    }

    @Override
    public void onSecureBytes(byte[] bytes) {
        delegate.onSecureBytes(bytes);
    }
}
