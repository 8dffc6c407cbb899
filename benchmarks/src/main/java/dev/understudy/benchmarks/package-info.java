/**
 * JMH latency benchmarks and lab harnesses. Results are written as JSON under
 * {@code benchmarks/results/}; every benchmark measures with and without the component under
 * test in the same run.
 */
package dev.understudy.benchmarks;
