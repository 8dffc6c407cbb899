/**
 * The real agent, loaded by the isolated class loader built in
 * {@link dev.understudy.agent.bootstrap}: {@link dev.understudy.agent.Agent} (start-up),
 * {@link dev.understudy.agent.Configuration} (every key, validated at once),
 * {@link dev.understudy.agent.AgentCli} ({@code java -jar understudy-agent.jar ...}) and
 * {@link dev.understudy.agent.ConfigurationTable} (the README table).
 *
 * <p>Nothing in this package is visible to the application: it lives in the nested
 * {@code understudy-agent-core.jar}. Code here may use every dependency the agent ships.
 */
package dev.understudy.agent;
