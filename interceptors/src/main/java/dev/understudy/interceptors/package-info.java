/**
 * ByteBuddy advice on the JDK's socket and channel classes and the small hook interface the
 * advice calls. Advice runs in the bootstrap class loader: it stays tiny and depends on
 * nothing but that interface. (Recording and replay come after the foundation issues.)
 *
 * <p>Packaging: this module ships as a nested jar of {@code understudy-agent.jar} and is loaded
 * by the agent's isolated class loader like every other dependency. When the advice lands, the
 * hook interface (and only it) will additionally be appended to the bootstrap class loader's
 * search path by the agent, so that inlined advice in {@code java.base} can call it.
 */
package dev.understudy.interceptors;
