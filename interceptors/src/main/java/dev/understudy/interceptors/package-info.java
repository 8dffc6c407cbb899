/**
 * ByteBuddy advice on the JDK's socket and channel classes and the small hook interface the
 * advice calls. Advice runs in the bootstrap class loader: it stays tiny and depends on
 * nothing but that interface. (Recording and replay come after the foundation issues.)
 */
package dev.understudy.interceptors;
