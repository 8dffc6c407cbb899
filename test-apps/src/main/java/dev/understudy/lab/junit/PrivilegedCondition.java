package dev.understudy.lab.junit;

import dev.understudy.lab.Host;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Skips {@link Privileged} tests, visibly, where the process lacks the capabilities. */
public final class PrivilegedCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String why = Host.whyNotPrivileged();
        if (why == null) {
            return ConditionEvaluationResult.enabled("privileged");
        }
        String msg = "SKIPPED " + context.getDisplayName() + ": " + why;
        System.err.println(msg);
        return ConditionEvaluationResult.disabled(msg);
    }
}
