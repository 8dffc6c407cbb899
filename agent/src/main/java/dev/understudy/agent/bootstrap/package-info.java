/**
 * The only classes of the agent the application's class loader can see (the top level of
 * {@code understudy-agent.jar}). JDK only: they refuse a second attach, check the JVM, unpack
 * the nested jars, build the isolated class loader, apply the module grants and hand over to
 * {@code dev.understudy.agent.Agent}. See {@link dev.understudy.agent.bootstrap.Launcher} for
 * why isolation is a class loader and not relocation.
 */
package dev.understudy.agent.bootstrap;
